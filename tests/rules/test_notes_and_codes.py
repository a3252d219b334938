"""Payer, charge and inpatient on notes; eligible codes; auth numbering; bad input."""

from datetime import date

from authbook.models import RawBook
from authbook.rules.eligibility import eligible_codes
from authbook.rules.refresh import refresh
from tests.rules.ledger import auth_status, note_status, run, table

NOTE = """
client_id | service_date | billing_code | status  | units
C1        | 2026-01-10   | 90834        | Pending | 2
"""


def test_claim_payer_is_the_auths_payer_else_the_clients_primary_payer():
    with_payer = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | payer
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | Blue Plan
        """,
        NOTE,
    )
    assert note_status(with_payer, 2).payer == "Blue Plan"
    without = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10
        """,
        NOTE,
    )
    assert note_status(without, 2).payer == "Medicaid"


def test_charge_is_rate_times_units_times_sliding_scale():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | sliding_scale_pct
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | 40
        """,
        NOTE,
    )
    assert note_status(result, 2).charge == 110 * 2 * 40 / 100
    full = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10
        """,
        NOTE,
    )
    assert note_status(full, 2).charge == 220


def test_inpatient_auth_makes_the_note_inpatient():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | inpatient
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | Y
        """,
        NOTE,
    )
    assert note_status(result, 2).inpatient is True


ELIGIBLE = """
auth_no | client_id | billing_code | start_date | end_date   | allotted_units | default | provider | exclude_from_notes
A32     | C1        | 90832        | 2026-01-01 | 2026-06-30 | 5              |         |          |
A37     | C1        | 90837        | 2026-01-01 | 2026-06-30 | 5              | Y       |          |
A53     | C1        | 90853        | 2026-01-01 | 2026-06-30 | 1              |         |          |
A46     | C1        | 90846        | 2026-01-01 | 2026-06-30 | 5              |         | Dr Ash   |
A91     | C1        | 90791        | 2026-01-01 | 2026-06-30 | 5              |         |          | Y
A34     | C1        | 90834        | 2026-04-01 | 2026-06-30 | 5              |         |          |
"""


def _eligible(result, provider=None, day=date(2026, 2, 1)):
    return eligible_codes(result.book.auths, result.ledger, "C1", day, provider)


def test_eligible_codes_list_the_default_first():
    result = run(ELIGIBLE)
    assert _eligible(result, "Dr Ash") == ["90837", "90832", "90853", "90846"]


def test_eligible_codes_leave_out_used_up_excluded_other_provider_and_out_of_date_auths():
    result = run(
        ELIGIBLE,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90853        | Pending
        """,
    )
    assert _eligible(result, "Dr Birch") == ["90837", "90832"]
    assert "90834" in _eligible(result, day=date(2026, 4, 2))


def test_blank_auth_number_gets_the_next_number_and_typed_numbers_are_kept():
    result = run(
        """
        auth_no   | client_id | billing_code | start_date | end_date   | allotted_units
        AB000041  | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10
                  | C1        | 90837        | 2026-01-01 | 2026-06-30 | 10
        PAYER-991 | C1        | 90832        | 2026-01-01 | 2026-06-30 | 10
                  | C2        | 90834        | 2026-01-01 | 2026-06-30 | 10
        """
    )
    assert result.new_auth_numbers == {3: "AB000042", 5: "AB000043"}
    assert [s.auth_no for s in result.auths] == ["AB000041", "AB000042", "PAYER-991", "AB000043"]


def test_an_auth_number_that_is_a_formula_not_calculated_yet_gets_no_number():
    """An Auth # cell holding a formula whose result was never saved reads as blank, but it
    is not blank: the auth is refreshed without a number and the next one is not skipped."""
    auths = table(
        "Auths",
        """
        auth_no   | client_id | billing_code | start_date | end_date   | allotted_units
        AB000041  | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10
                  | C1        | 90837        | 2026-01-01 | 2026-06-30 | 10
                  | C2        | 90834        | 2026-01-01 | 2026-06-30 | 10
        """,
    )
    raw = RawBook(auths=auths, uncalculated=frozenset({("Auths", 3, "auth_no")}))
    result = refresh(raw, today=date(2026, 3, 1))
    assert result.new_auth_numbers == {4: "AB000042"}
    assert [s.auth_no for s in result.auths] == ["AB000041", None, "AB000042"]


def test_one_payer_number_on_two_code_lines_of_one_client_is_no_problem():
    """Issue 23: one approval covering two codes carries the payer's number on both lines."""
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        X1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10
        X1      | C1        | 90837        | 2026-01-01 | 2026-06-30 | 10
        """
    )
    assert [p for p in result.problems if p.field == "auth_no"] == []
    assert [s.alert for s in result.auths] == ["", ""]


def test_an_auth_number_on_two_clients_is_a_problem_on_each_line():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        X1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10
        X1      | C2        | 90834        | 2026-01-01 | 2026-06-30 | 10
        """
    )
    dupes = [p for p in result.problems if p.field == "auth_no"]
    assert [(p.source.row, p.entity) for p in dupes] == [(2, "X1"), (3, "X1")]
    # each line's Alert cell says so too, where a manager filtering Auths sees it
    assert result.auths[0].alert.startswith("INPUT PROBLEM: Auth # X1 is also on row 3")
    assert result.auths[1].alert.startswith("INPUT PROBLEM: Auth # X1 is also on row 2")
    assert result.auths[1].remaining_units == 10  # it still counts its own units


BAD_AUTHS = """
auth_no | client_id | billing_code | start_date | end_date   | allotted_units | unit_alert_level
GOOD    | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             |
BADDAY  | C1        | 90834        | 2026-01-01 | 2/30/2026  | 10             |
NEG     | C1        | 90834        | 2026-01-01 | 2026-06-30 | -4             |
WHO     | C9        | 90834        | 2026-01-01 | 2026-06-30 | 10             |
CODE    | C1        | 99999        | 2026-01-01 | 2026-06-30 | 10             |
BACK    | C1        | 90834        | 2026-06-30 | 2026-01-01 | 10             |
LEVEL   | C1        | 90837        | 2026-01-01 | 2026-06-30 | 10             | lots
"""


def _problem_fields(result):
    return {(p.source.row, p.field) for p in result.problems}


def test_bad_cells_become_problems_naming_row_and_column():
    result = run(BAD_AUTHS)
    assert _problem_fields(result) == {
        (3, "end_date"),
        (4, "allotted_units"),
        (5, "client_id"),
        (6, "billing_code"),
        (7, "end_date"),
        (8, "unit_alert_level"),
    }
    messages = {p.source.row: p.message for p in result.problems}
    assert "2/30/2026" in messages[3] and "not a real date" in messages[3]
    assert "negative" in messages[4]


def test_good_rows_still_process_when_other_rows_are_bad():
    result = run(
        BAD_AUTHS,
        """
        client_id | service_date | billing_code | status
        C1        | 2026-01-10   | 90834        | Released
        """,
    )
    assert note_status(result, 2).applied_auth_no == "GOOD"
    assert auth_status(result, "GOOD").used_units == 1
    # An unreadable optional cell counts as blank; the auth still works.
    assert auth_status(result, "LEVEL").remaining_units == 10
    # Unusable rows get no units and say why in their Alert cell.
    assert auth_status(result, "BADDAY").remaining_units is None
    assert auth_status(result, "BADDAY").alert.startswith("INPUT PROBLEM")


def test_names_not_on_their_lists_are_problems_and_only_an_unknown_client_stops_the_auth():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units | auth_group
        OK1     | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | G1
        ODD     | C1        | 90837        | 2026-01-01 | 2026-06-30 | 10             | G9
        WHO     | C9        | 99999        | 2026-01-01 | 2026-06-30 | 10             | G9
        C1LATE  | c1        | 90834        | 2026-07-01 | 2026-12-31 | 10             | g1
        """
    )
    assert [(p.source.row, p.field, p.message) for p in result.problems] == [
        (3, "auth_group", "'G9' is not on the AuthGroups sheet"),
        (4, "client_id", "'C9' is not on the Clients sheet"),
        (4, "billing_code", "'99999' is not on the BillingCodes sheet"),
        (4, "auth_group", "'G9' is not on the AuthGroups sheet"),
    ]
    assert auth_status(result, "ODD").remaining_units == 10  # an unknown group: still counts
    assert auth_status(result, "WHO").remaining_units is None  # an unknown client: unusable
    assert auth_status(result, "C1LATE").remaining_units == 10  # names match as typed loosely


def test_note_with_an_unreadable_date_is_flagged_and_draws_nothing():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10
        """,
        """
        client_id | service_date | billing_code | status   | units
        C1        | 13/45/2026   | 90834        | Released | 1
        C1        | 2026-01-10   | 90834        | Released | 2.5
        """,
    )
    assert note_status(result, 2).check.startswith("INPUT PROBLEM")
    assert note_status(result, 3).check.startswith("INPUT PROBLEM")
    assert auth_status(result, "A1").used_units == 0
    # the Checks sheet lists both, with the Service Date where the cell reads as one
    checks = {f.source.row: f for f in result.findings if f.kind == "INPUT PROBLEM"}
    assert checks[2].service_date is None
    assert checks[3].service_date == date(2026, 1, 10)


def test_settings_date_order_decides_how_typed_dates_are_read():
    auths = table(
        "Auths",
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        A1      | C1        | 90834        | 03/04/2026 | 12/05/2026 | 10
        """,
    )
    clients = table("Clients", "client_id\nC1")
    settings = table("Settings", "field | value\ndate_order | DMY")
    result = refresh(
        RawBook(auths=auths, clients=clients, settings=settings), today=date(2026, 5, 1)
    )
    auth = result.book.auths[0]
    assert (auth.start_date, auth.end_date) == (date(2026, 4, 3), date(2026, 5, 12))


def test_settings_as_of_is_used_when_no_date_is_given():
    settings = table("Settings", "field | value\nas_of | 2026-02-02")
    result = refresh(RawBook(settings=settings), today=date(2026, 5, 1))
    assert result.as_of == date(2026, 2, 2)
    assert refresh(RawBook(settings=settings), date(2026, 5, 1), date(2026, 1, 1)).as_of == date(
        2026, 1, 1
    )


def test_a_formula_not_calculated_yet_holds_back_only_its_own_sheets_cell():
    """An uncalculated cell is a sheet's row and column: a note's Auth # formula on Notes row
    3 does not keep Auths row 3 from its new number, and an auth's Billing Code formula on
    Auths row 4 does not keep Notes row 4 from its client's Default code."""
    auths = table(
        "Auths",
        """
        auth_no  | client_id | billing_code | start_date | end_date   | allotted_units | default
        AB000041 | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | Y
                 | C2        | 90834        | 2026-01-01 | 2026-06-30 | 10             |
        AB000040 | C2        |              | 2026-01-01 | 2026-06-30 | 10             |
        """,
    )
    notes = table(
        "Notes",
        """
        client_id | service_date | billing_code | status  | units
        C1        | 2026-01-10   | 90834        | Pending | 1
        C1        | 2026-01-12   |              | Pending | 1
        C1        | 2026-01-14   |              | Pending | 1
        """,
    )
    formulas = frozenset({("Notes", 3, "auth_no"), ("Auths", 4, "billing_code")})
    raw = RawBook(auths=auths, notes=notes, uncalculated=formulas)
    result = refresh(raw, today=date(2026, 3, 1))
    assert result.new_auth_numbers == {3: "AB000042"}
    assert [note_status(result, row).default_code for row in (2, 3, 4)] == [None, "90834", "90834"]
    # the same cells on their own sheets hold back as before
    own = frozenset({("Auths", 3, "auth_no"), ("Notes", 4, "billing_code")})
    result = refresh(raw.model_copy(update={"uncalculated": own}), today=date(2026, 3, 1))
    assert result.new_auth_numbers == {}
    assert [note_status(result, row).default_code for row in (2, 3, 4)] == [None, "90834", None]
