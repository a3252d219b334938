"""Issue 25 item 8: what a user typed is read as typed or reported, never guessed: a day
past 12 in a month-first workbook, a blank note Status, a Note ID used twice, a control
character in a bulk value."""

from __future__ import annotations

from datetime import date

from authbook.models import RawBook
from authbook.rules.bulk import plan_bulk_update
from authbook.rules.values import parse_date
from tests.rules.ledger import CLIENTS, auth_status, note_status, run, table

ONE_AUTH = """
auth_no | client_id | billing_code | start_date | end_date   | allotted_units
A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10
"""


def problems_at(result) -> set[tuple[str, int, str]]:
    return {(p.source.sheet, p.source.row, p.field) for p in result.problems}


def test_a_day_past_12_in_a_month_first_workbook_is_not_a_date():
    assert parse_date("13/4/2026", "MDY")[0] is None
    assert "MDY" in parse_date("13/4/2026", "MDY")[1]
    assert parse_date("13/4/2026", "DMY") == (date(2026, 4, 13), None)
    assert parse_date("4/13/2026", "DMY")[0] is None
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date  | allotted_units
        A1      | C1        | 90834        | 1/1/2026   | 13/4/2026 | 10
        """
    )
    assert ("Auths", 2, "end_date") in problems_at(result)
    assert not result.book.auths  # an auth without a readable End Date serves no note


def test_a_blank_note_status_is_a_problem_and_counts_as_pending():
    result = run(
        ONE_AUTH,
        """
        note_id | client_id | service_date | billing_code | status
        N1      | C1        | 2026-01-11   | 90834        |
        """,
    )
    assert ("Notes", 2, "status") in problems_at(result)
    status = auth_status(result, "A1")
    assert (status.used_units, status.pending_units) == (0, 1)  # seed 001: not yet released
    assert note_status(result, 2).applied_auth_no == "A1"  # and it is checked like one


def test_a_note_id_used_twice_is_a_problem_on_both_rows():
    result = run(
        ONE_AUTH,
        """
        note_id | client_id | service_date | billing_code | status
        N1      | C1        | 2026-01-11   | 90834        | Released
        N2      | C1        | 2026-01-12   | 90834        | Released
        n1      | C1        | 2026-01-13   | 90834        | Released
        """,
    )
    flagged = {row for sheet, row, field in problems_at(result) if field == "note_id"}
    assert flagged == {2, 4}
    assert auth_status(result, "A1").used_units == 3  # both notes still count


def test_a_control_character_in_a_bulk_value_is_refused_not_dropped():
    raw = RawBook(auths=table("Auths", ONE_AUTH), clients=table("Clients", CLIENTS))
    plan = plan_bulk_update(raw, [2], {"comments": "call back\x1b[2J"}, "pat", date(2026, 3, 1))
    assert not plan.ok and not plan.changes
    assert [p.field for p in plan.problems] == ["comments"]
    assert "control character" in plan.problems[0].message
