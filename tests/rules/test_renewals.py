"""The renewal pipeline: burn-rate forecasts (dates computed by hand), RUNS OUT alerts, the
Renewals rows, the request row that copies an auth forward, and payer approval figures."""

from __future__ import annotations

from datetime import date, timedelta

from authbook.rules.renewals import forecast, payer_requests, renewal_of
from tests.rules.billing_fixtures import run_book

AS_OF = date(2026, 3, 1)


def weekly_notes(first: date, count: int, code: str = "90834", client: str = "C1") -> str:
    lines = ["note_id | client_id | service_date | billing_code | units | status"]
    for i in range(count):
        day = first + timedelta(days=7 * i)
        lines.append(f"N{i + 1} | {client} | {day.isoformat()} | {code} | 1 | Released")
    return "\n".join(lines)


def auths(allotted: int, start: str = "2026-01-01", alert_days: int = 14) -> str:
    return f"""
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units | exp_alert_days
    A1      | C1        | 90834        | {start} | 2026-06-30 | {allotted} | {alert_days}
    """


def test_forecast_one_session_a_week_runs_out_on_the_hand_computed_day():
    # 8 weekly sessions 01/05..02/23 in the 56 days 01/05..03/01: 8/56 = 1 unit a week.
    # 20 - 8 = 12 units left -> 12 * 56 / 8 = 84 days after 03/01 = 05/24/2026.
    result = run_book(auths(20), weekly_notes(date(2026, 1, 5), 8))
    found = forecast(result.book.auths[0], result.ledger, AS_OF, weeks=8)
    assert (found.units, found.days, found.available) == (8, 56, 12)
    assert found.runs_out == date(2026, 5, 24)
    alert = next(a for a in result.alerts if a.kind == "RUNS OUT")
    assert alert.message.startswith("RUNS OUT 05/24/2026")


def test_no_runs_out_alert_when_the_units_last_until_end_date_minus_alert_days():
    # 25 - 8 = 17 left -> 17 * 56 / 8 = 119 days -> 06/28/2026, after 06/30 - 14 = 06/16.
    result = run_book(auths(25), weekly_notes(date(2026, 1, 5), 8))
    assert forecast(result.book.auths[0], result.ledger, AS_OF).runs_out == date(2026, 6, 28)
    assert "RUNS OUT" not in {a.kind for a in result.alerts}
    # With 0 alert days the deadline is End Date itself: 06/28 is still before 06/30.
    result = run_book(auths(25, alert_days=0), weekly_notes(date(2026, 1, 5), 8))
    assert "RUNS OUT" in {a.kind for a in result.alerts}


def test_forecast_window_starts_at_the_auths_start_date():
    # Started 02/16: window 02/16..03/01 = 14 days, 2 sessions -> 1 a week.
    # 10 - 2 = 8 left -> 8 * 14 / 2 = 56 days -> 04/26/2026.
    result = run_book(auths(10, start="2026-02-16"), weekly_notes(date(2026, 2, 16), 2))
    found = forecast(result.book.auths[0], result.ledger, AS_OF)
    assert (found.units, found.days, found.runs_out) == (2, 14, date(2026, 4, 26))


def test_forecast_weeks_come_from_settings():
    # Weekly sessions, then two a week in the last two weeks: only a 2-week window sees it.
    notes = (
        weekly_notes(date(2026, 1, 5), 8)
        + "\nN9 | C1 | 2026-02-19 | 90834 | 1 | Pending\nN10 | C1 | 2026-02-26 | 90834 | 1 | Pending"
    )
    slow = run_book(auths(30), notes, forecast_weeks=8)
    fast = run_book(auths(30), notes, forecast_weeks=2)
    # 8 weeks: 10 units / 56 days, 20 available -> 112 days -> 06/21; 2 weeks: window
    # 02/16..03/01 holds 02/16, 02/19, 02/23, 02/26 = 4 units / 14 days -> 70 days -> 05/10.
    assert [a.message[:19] for a in slow.alerts if a.kind == "RUNS OUT"] == []
    assert [a.message[:19] for a in fast.alerts if a.kind == "RUNS OUT"] == ["RUNS OUT 05/10/2026"]


def test_no_forecast_without_recent_notes_or_for_unmanaged_auths():
    result = run_book(auths(20), "")
    assert forecast(result.book.auths[0], result.ledger, AS_OF).runs_out is None
    assert result.alerts == []


def test_renewals_list_what_needs_a_request_now_and_drop_auths_already_renewed():
    table = """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units | unit_alert_level | exp_alert_days | owner | request_status | follow_up_date | requested_units | date_requested
    A1      | C1        | 90834        | 2026-01-01 | 2026-03-10 | 10             | 2                | 14             | Kim   |                |                |                 |
    A2      | C1        | 90837        | 2026-01-01 | 2026-03-10 | 10             | 2                | 14             | Kim   |                |                |                 |
    A3      | C1        | 90837        | 2026-03-11 | 2026-06-30 |                |                  |                | Lee   | Submitted      | 2026-02-27     | 12              | 2026-02-13
    A4      | C2        | 90834        | 2025-06-01 | 2025-12-31 | 10             |                  |                |       |                |                |                 |
    A5      | C2        | 90832        | 2025-06-01 | 2026-12-31 | 10             |                  |                |       | Pended         | 2026-03-20     | 10              |
    """
    result = run_book(table, "")
    rows = [(r.reason, r.auth_no, r.request, r.owner) for r in result.renewals]
    assert rows == [
        ("EXPIRING", "A1", "none", "Kim"),
        ("EXPIRED", "A4", "none", None),
        ("FOLLOW UP", "A3", "Submitted A3 (follow up 02/27/2026)", "Lee"),
    ]
    # A2 has A3 on file; A5's follow-up date has not come; no alerts on a request.
    assert not {a.auth_no for a in result.alerts} & {"A3", "A5"}


def test_a_denied_successor_is_no_renewal():
    table = """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units | request_status
    A1      | C1        | 90834        | 2025-06-01 | 2026-02-20 | 10             |
    A2      | C1        | 90834        | 2026-02-21 | 2026-08-20 |                | Denied
    """
    result = run_book(table, "")
    assert [(r.reason, r.auth_no) for r in result.renewals] == [("EXPIRED", "A1")]


def test_renewal_of_copies_the_auth_into_the_next_period_as_requested():
    table = """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units | auth_group | provider | payer    | max_units | per  | owner
    A1      | C1        | 90834        | 2026-01-01 | 2026-03-31 | 12             | G1         | Dr Ash   | Medicaid | 1         | Week | Kim
    """
    auth = run_book(table, "").book.auths[0]
    values = renewal_of(auth, today=date(2026, 3, 1))
    assert values["start_date"] == date(2026, 4, 1)
    assert values["end_date"] == date(2026, 6, 29)  # 90 days, as 01/01..03/31
    assert (values["request_status"], values["requested_units"]) == ("Requested", 12)
    assert (values["date_requested"], values["follow_up_date"]) == (
        date(2026, 3, 1),
        date(2026, 3, 15),
    )
    assert {k: values[k] for k in ("client_id", "billing_code", "auth_group", "provider")} == {
        "client_id": "C1",
        "billing_code": "90834",
        "auth_group": "G1",
        "provider": "Dr Ash",
    }
    assert (values["payer"], values["max_units"], values["per"], values["owner"]) == (
        "Medicaid",
        1,
        "Week",
        "Kim",
    )
    assert "allotted_units" not in values
    other = renewal_of(auth, today=date(2026, 3, 1), start=date(2026, 5, 1), units=8)
    assert (other["start_date"], other["requested_units"]) == (date(2026, 5, 1), 8)


def test_payer_requests_compare_requested_and_approved_units_and_the_approval_rate():
    table = """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units | payer     | request_status | requested_units
    A1      | C1        | 90834        | 2026-01-01 | 2026-03-31 | 12             | Medicaid  | Approved       | 12
    A2      | C1        | 90837        | 2026-01-01 | 2026-03-31 | 6              | Medicaid  | Partial        | 10
    A3      | C1        | 90832        | 2026-01-01 | 2026-03-31 |                | Medicaid  | Denied         | 8
    A4      | C2        | 90834        | 2026-01-01 | 2026-03-31 |                |           | Submitted      | 20
    A5      | C2        | 90837        | 2026-01-01 | 2026-03-31 | 30             |           |                |
    """
    found = {p.payer: p for p in payer_requests(run_book(table, "").book)}
    medicaid = found["Medicaid"]
    assert (medicaid.requested_units, medicaid.approved_units) == (30, 18)
    assert (medicaid.approved, medicaid.partial, medicaid.denied) == (1, 1, 1)
    assert medicaid.approval_rate == 2 / 3
    blue = found["Blue Plan"]  # C2's primary payer; A5 has no Request Status: not counted
    assert (blue.requested_units, blue.open, blue.approval_rate) == (20, 1, None)
