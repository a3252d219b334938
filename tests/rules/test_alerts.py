"""Active, unit alerts and expiration alerts, as of a date."""

from datetime import date

from tests.rules.ledger import alert_kinds, auth_status, run

AS_OF = date(2026, 3, 1)


def _auth(allotted="10", start="2026-01-01", end="2026-06-30", extra_cols="", extra_vals=""):
    return f"""
    auth_no | client_id | billing_code | start_date | end_date | allotted_units{extra_cols}
    A1      | C1        | 90834        | {start}    | {end}    | {allotted}{extra_vals}
    """


def _released(n: int, code: str = "90834") -> str:
    return "\n".join(
        ["client_id | service_date | billing_code | status"]
        + [f"C1 | 2026-01-{d:02d} | {code} | Released" for d in range(1, n + 1)]
    )


def test_auth_is_active_inside_its_dates_with_units_left():
    assert auth_status(run(_auth()), "A1").active is True


def test_auth_is_inactive_once_units_are_used_up():
    result = run(_auth(allotted="2"), _released(2))
    assert auth_status(result, "A1").active is False


def test_auth_is_inactive_before_it_starts_and_after_it_ends():
    assert auth_status(run(_auth(start="2026-04-01", end="2026-06-30")), "A1").active is False
    assert auth_status(run(_auth(start="2025-01-01", end="2026-02-28")), "A1").active is False


def test_unmanaged_auth_is_active_within_its_dates_whatever_the_units():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | unmanaged
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | Y
        """,
        _released(25),
    )
    assert auth_status(result, "A1").active is True
    assert alert_kinds(result, "A1") == set()


def test_over_alert_when_more_units_were_billed_than_approved():
    result = run(_auth(allotted="2"), _released(3))
    assert alert_kinds(result, "A1") == {"OVER"}
    assert auth_status(result, "A1").alert == "OVER: 1 unit over the approval"


def test_exhausted_alert_when_no_units_remain():
    result = run(_auth(allotted="3"), _released(3))
    assert alert_kinds(result, "A1") == {"EXHAUSTED"}


def test_low_alert_when_remaining_reaches_the_unit_alert_level():
    auths = _auth(allotted="5", extra_cols=" | unit_alert_level", extra_vals=" | 2")
    assert alert_kinds(run(auths, _released(2)), "A1") == set()  # 3 left
    result = run(auths, _released(3))  # 2 left
    assert alert_kinds(result, "A1") == {"LOW"}
    assert auth_status(result, "A1").alert == "LOW: 2 units left"


def test_no_low_alert_without_a_unit_alert_level():
    assert alert_kinds(run(_auth(allotted="5"), _released(4)), "A1") == set()


def test_expiring_alert_within_the_expiration_alert_days():
    auths = _auth(end="2026-03-15", extra_cols=" | exp_alert_days", extra_vals=" | 14")
    assert alert_kinds(run(auths), "A1") == {"EXPIRING"}
    later = _auth(end="2026-03-16", extra_cols=" | exp_alert_days", extra_vals=" | 14")
    assert alert_kinds(run(later), "A1") == set()


def test_expired_alert_for_an_active_client_with_no_later_auth():
    result = run(_auth(start="2025-07-01", end="2026-02-15"))
    assert alert_kinds(result, "A1") == {"EXPIRED"}


def test_no_expired_alert_once_the_auth_is_renewed():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        A1      | C1        | 90834        | 2025-07-01 | 2026-02-15 | 10
        A2      | C1        | 90834        | 2026-02-16 | 2026-08-15 | 10
        """
    )
    assert alert_kinds(result, "A1") == set()


def test_no_expired_alert_for_an_inactive_client():
    clients = """
    client_id | active
    C1        | N
    """
    result = run(_auth(start="2025-07-01", end="2026-02-15"), clients=clients)
    assert alert_kinds(result, "A1") == set()


def test_ended_auth_stops_raising_low_and_exhausted_but_keeps_over():
    exhausted = run(_auth(allotted="3", start="2026-01-01", end="2026-02-01"), _released(3))
    assert alert_kinds(exhausted, "A1") == {"EXPIRED"}
    over = run(_auth(allotted="2", start="2026-01-01", end="2026-02-01"), _released(3))
    assert alert_kinds(over, "A1") == {"OVER", "EXPIRED"}


def test_suspended_alerts_raise_nothing():
    auths = _auth(allotted="2", extra_cols=" | suspend_alerts", extra_vals=" | Y")
    result = run(auths, _released(3))
    assert alert_kinds(result, "A1") == set()
    assert auth_status(result, "A1").alert == ""


def test_one_auth_can_raise_a_unit_alert_and_an_expiration_alert():
    auths = _auth(
        allotted="3",
        end="2026-03-10",
        extra_cols=" | unit_alert_level | exp_alert_days",
        extra_vals=" | 2 | 30",
    )
    result = run(auths, _released(2))
    assert alert_kinds(result, "A1") == {"LOW", "EXPIRING"}
    assert auth_status(result, "A1").alert.startswith("LOW: 1 unit left; EXPIRING")
