"""Units: which auth a note draws from, and Used / Pending / Remaining / Available."""

from tests.rules.ledger import auth_status, note_status, run

ONE_AUTH = """
auth_no | client_id | billing_code | start_date | end_date   | allotted_units | prior_units_used
A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | 2
"""


def test_released_note_counts_as_used_and_lowers_remaining():
    result = run(
        ONE_AUTH,
        """
        client_id | service_date | billing_code | status   | units
        C1        | 2026-01-10   | 90834        | Released | 3
        """,
    )
    status = auth_status(result, "A1")
    assert (status.used_units, status.pending_units) == (3, 0)
    assert status.remaining_units == 10 - 2 - 3
    assert status.available_units == 5


def test_pending_note_lowers_available_but_not_remaining():
    result = run(
        ONE_AUTH,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90834        | Pending
        """,
    )
    status = auth_status(result, "A1")
    assert (status.used_units, status.pending_units) == (0, 1)
    assert status.remaining_units == 8
    assert status.available_units == 7


def test_draft_note_draws_no_units():
    result = run(
        ONE_AUTH,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90834        | Draft
        """,
    )
    status = auth_status(result, "A1")
    assert (status.used_units, status.pending_units, status.remaining_units) == (0, 0, 8)
    assert note_status(result, 2).applied_auth_no is None
    assert note_status(result, 2).check.startswith("DRAFT")
    # A blank Status is no longer read as Draft (issue 25): see
    # tests/rules/test_hostile_values.py::test_a_blank_note_status_is_a_problem_and_counts_as_pending


def test_blank_units_on_a_note_count_as_one():
    result = run(
        ONE_AUTH,
        """
        client_id | service_date | billing_code | status   | units
        C1        | 2026-01-10   | 90834        | Released |
        """,
    )
    assert auth_status(result, "A1").used_units == 1


SEED_001_GROUP = """
auth_no | client_id | billing_code | start_date | end_date   | allotted_units | auth_group
G32     | C1        | 90832        | 2026-01-01 | 2026-06-30 | 20             | G1
G34     | C1        | 90834        | 2026-01-01 | 2026-06-30 | 20             | G1
G37     | C1        | 90837        | 2026-01-01 | 2026-06-30 | 20             | G1
G53     | C1        | 90853        | 2026-01-01 | 2026-06-30 | 20             | G1
"""


def _sessions(codes: list[str], status: str = "Released") -> str:
    lines = ["client_id | service_date | billing_code | status"]
    for day, code in enumerate(codes, start=1):
        lines.append(f"C1 | 2026-01-{day:02d} | {code} | {status}")
    return "\n".join(lines)


def test_released_note_decrements_every_auth_in_its_group():
    """Seed 001: 20 sessions approved for any of 90832/90834/90837/90853, one shared pool."""
    codes = ["90832", "90834", "90837", "90853"] * 5  # 20 sessions, mixed codes
    result = run(SEED_001_GROUP, _sessions(codes))
    for auth_no in ("G32", "G34", "G37", "G53"):
        status = auth_status(result, auth_no)
        assert status.used_units == 20
        assert status.remaining_units == 0
    assert all(n.check == "OK" for n in result.notes)


def test_twenty_first_session_of_a_group_is_over_units():
    codes = ["90834"] * 20 + ["90837"]
    result = run(SEED_001_GROUP, _sessions(codes))
    last = note_status(result, 22)
    assert last.applied_auth_no == "G37"
    assert last.check.startswith("OVER UNITS")
    assert auth_status(result, "G32").remaining_units == -1


def test_group_draw_counts_only_against_auths_whose_dates_contain_the_session():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | auth_group
        OLD     | C1        | 90834        | 2025-07-01 | 2025-12-31 | 20             | G1
        NEW34   | C1        | 90834        | 2026-01-01 | 2026-06-30 | 20             | G1
        NEW37   | C1        | 90837        | 2026-01-01 | 2026-06-30 | 20             | G1
        """,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90837        | Released
        """,
    )
    assert auth_status(result, "NEW34").used_units == 1
    assert auth_status(result, "NEW37").used_units == 1
    assert auth_status(result, "OLD").used_units == 0


def test_groups_are_per_client():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | auth_group
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 20             | G1
        B1      | C2        | 90834        | 2026-01-01 | 2026-06-30 | 20             | G1
        """,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90834        | Released
        """,
    )
    assert auth_status(result, "B1").used_units == 0


def test_typed_auth_number_on_a_note_pins_the_auth():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | default
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | Y
        P77     | C1        | 90834        | 2026-01-01 | 2026-12-31 | 10             |
        """,
        """
        client_id | service_date | billing_code | status   | auth_no
        C1        | 2026-01-10   | 90834        | Released | p77
        """,
    )
    assert note_status(result, 2).applied_auth_no == "P77"
    assert auth_status(result, "A1").used_units == 0


def test_pinned_auth_that_does_not_fit_the_note_draws_nothing():
    result = run(
        ONE_AUTH,
        """
        client_id | service_date | billing_code | status   | auth_no
        C1        | 2026-01-10   | 90837        | Released | A1
        C1        | 2026-01-10   | 90834        | Released | NOPE
        """,
    )
    assert auth_status(result, "A1").used_units == 0
    assert note_status(result, 2).check.startswith("AUTH # DOES NOT FIT (CARC 15)")
    assert note_status(result, 3).check.startswith("AUTH # NOT FOUND (CARC 15)")


def test_default_auth_is_chosen_before_earlier_ending_ones():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | default
        EARLY   | C1        | 90834        | 2026-01-01 | 2026-03-31 | 10             |
        DEF     | C1        | 90834        | 2026-01-01 | 2026-12-31 | 10             | Y
        """,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90834        | Pending
        """,
    )
    assert note_status(result, 2).applied_auth_no == "DEF"


def test_earliest_ending_auth_is_used_first_then_sheet_order():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        LATE    | C1        | 90834        | 2026-01-01 | 2026-12-31 | 10
        SOON    | C1        | 90834        | 2026-01-01 | 2026-03-31 | 10
        TWIN    | C1        | 90834        | 2026-01-01 | 2026-03-31 | 10
        """,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90834        | Pending
        """,
    )
    assert note_status(result, 2).applied_auth_no == "SOON"


def test_auth_without_units_left_is_passed_over_for_one_with_units():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | default
        USED    | C1        | 90834        | 2026-01-01 | 2026-06-30 | 1              | Y
        SPARE   | C1        | 90834        | 2026-01-01 | 2026-12-31 | 5              |
        """,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90834        | Released
        C1        | 2026-01-17   | 90834        | Released
        """,
    )
    assert note_status(result, 2).applied_auth_no == "USED"
    assert note_status(result, 3).applied_auth_no == "SPARE"
    assert all(n.check == "OK" for n in result.notes)


def test_session_beyond_all_units_still_draws_and_is_flagged_over():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 1
        """,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90834        | Released
        C1        | 2026-01-17   | 90834        | Released
        """,
    )
    assert note_status(result, 3).applied_auth_no == "A1"
    assert note_status(result, 3).check.startswith("OVER UNITS (CARC 198)")
    assert auth_status(result, "A1").remaining_units == -1


def test_notes_are_applied_in_service_date_order_not_sheet_order():
    auths = """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units
    A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 1
    """
    result = run(
        auths,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-02-10   | 90834        | Released
        C1        | 2026-01-10   | 90834        | Released
        """,
    )
    assert note_status(result, 3).check == "OK"  # the earlier session got the unit
    assert note_status(result, 2).check.startswith("OVER UNITS")


def test_backdated_note_draws_from_an_inactive_auth_whose_dates_contain_it():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        A1      | C1        | 90834        | 2025-07-01 | 2025-12-31 | 10
        """,
        """
        client_id | service_date | billing_code | status
        C1        | 2025-12-20   | 90834        | Pending
        """,
    )
    status = auth_status(result, "A1")
    assert status.active is False  # ended before the as-of date
    assert note_status(result, 2).applied_auth_no == "A1"
    assert note_status(result, 2).check == "OK"
    assert status.pending_units == 1


def test_provider_restricted_auth_serves_only_that_provider():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | provider
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | Dr Ash
        """,
        """
        client_id | service_date | billing_code | status   | provider
        C1        | 2026-01-10   | 90834        | Released | dr ash
        C1        | 2026-01-11   | 90834        | Released | Dr Birch
        """,
    )
    assert note_status(result, 2).applied_auth_no == "A1"
    assert note_status(result, 3).applied_auth_no is None
    assert note_status(result, 3).check.startswith("PROVIDER NOT ALLOWED (CARC 15)")
    assert auth_status(result, "A1").used_units == 1


def test_unmanaged_auth_has_no_unit_limit_but_honours_its_dates():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | unmanaged
        U1      | C1        | 90834        | 2026-01-01 | 2026-01-31 | Y
        """,
        "\n".join(
            ["client_id | service_date | billing_code | status"]
            + [f"C1 | 2026-01-{d:02d} | 90834 | Released" for d in range(1, 31)]
            + ["C1 | 2026-02-01 | 90834 | Released"]
        ),
    )
    status = auth_status(result, "U1")
    assert status.used_units == 30
    assert status.remaining_units is None and status.available_units is None
    assert sum(n.check == "OK" for n in result.notes) == 30
    assert result.notes[-1].check.startswith("OUTSIDE DATES")


def test_auth_excluded_from_notes_serves_no_note():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | exclude_from_notes
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | Y
        """,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90834        | Released
        """,
    )
    assert auth_status(result, "A1").used_units == 0
    assert note_status(result, 2).check.startswith("EXCLUDED")


def test_note_without_any_auth_for_its_code_is_flagged_no_auth():
    result = run(
        ONE_AUTH,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90837        | Pending
        """,
    )
    assert note_status(result, 2).check.startswith("NO AUTH (CARC 197)")
