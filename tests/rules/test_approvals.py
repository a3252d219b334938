"""Approvals and pools (issue 23): which lines make one approval, and the units that never
cross from one approval to another (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from authbook.rules.approvals import approval_rows, pool_rows
from authbook.rules.refresh import refresh
from tests.rules.ledger import run
from tests.rules.test_properties import AS_OF, BASE, CODES, book_of

SHARED_NUMBER = """
auth_no  | client_id | billing_code | start_date | end_date   | allotted_units | auth_group
AET-7788 | C1        | 90832        | 2026-01-01 | 2026-06-30 | 20             | G1
AET-7788 | C1        | 90834        | 2026-01-01 | 2026-06-30 | 20             | G1
         | C1        | 90837        | 2026-01-01 | 2026-06-30 | 20             | G1
         | C1        | 90853        | 2026-02-01 | 2026-06-30 | 20             | G1
AET-7788 | C2        | 90834        | 2026-01-01 | 2026-06-30 | 20             | G1
MCD-5    | C1        | 90791        | 2026-01-01 | 2026-06-30 | 1              |
MCD-5    | C1        | 90834        | 2026-03-01 | 2026-08-31 | 6              |
"""


def test_an_approval_is_one_clients_lines_sharing_a_number_or_dates_and_group():
    book = run(SHARED_NUMBER).book
    approvals = approval_rows(book.auths)
    # rows 2-4: a payer number, and a generated number with the same dates and group
    assert [approvals[r] for r in (2, 3, 4)] == [2, 2, 2]
    assert approvals[5] == 5  # same group, other Start Date, its own number
    assert approvals[6] == 6  # the same number on another client's line is not its approval
    assert approvals[7] == approvals[8] == 7  # one number, no group: one approval
    pools = pool_rows(book.auths)
    assert [pools[r] for r in (2, 3, 4, 5)] == [2, 2, 2, 5]
    assert (pools[7], pools[8]) == (7, 8)  # no Auth Group: every line its own pool


def _line(number, code, start, days, group):
    return {
        "auth_no": number,
        "client_id": "C1",
        "billing_code": code,
        "start_date": start,
        "end_date": start + timedelta(days=days),
        "allotted_units": 6,
        "auth_group": group,
    }


@st.composite
def approval_lines(draw, number: str):
    """Lines of one approval: one number, the same group for all or none."""
    group = draw(st.sampled_from([None, "G1", "G2"]))
    start = BASE + timedelta(days=draw(st.integers(0, 60)))
    days = draw(st.integers(0, 120))
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True))
    return [_line(number, code, start, days, group) for code in codes]


@st.composite
def any_lines(draw, number: str):
    """Lines of one number with any dates and groups (another approval)."""
    count = draw(st.integers(1, 3))
    return [
        _line(
            number,
            draw(st.sampled_from(CODES)),
            BASE + timedelta(days=draw(st.integers(0, 120))),
            draw(st.integers(0, 120)),
            draw(st.sampled_from([None, "G1", "G2"])),
        )
        for _ in range(count)
    ]


@st.composite
def sessions(draw):
    return [
        {
            "client_id": "C1",
            "service_date": BASE + timedelta(days=draw(st.integers(0, 200))),
            "billing_code": draw(st.sampled_from(CODES)),
            "status": draw(st.sampled_from(["Pending", "Released", "Released"])),
            "units": draw(st.integers(1, 3)),
            "auth_no": draw(st.sampled_from(["P1", "P1", None])),
        }
        for _ in range(draw(st.integers(0, 20)))
    ]


def _drawn_from(result, rows: set[int]) -> dict[int, int]:
    """Note row -> the auth row it drew from, for the notes drawing from ``rows``."""
    return {
        d.note.source.row: d.auth.source.row
        for d in result.draws
        if d.auth is not None and d.auth.source.row in rows
    }


@settings(max_examples=150, deadline=None)
@given(approval_lines("P1"), any_lines("P2"), sessions())
def test_adding_another_approval_never_changes_the_first_approvals_units(first, second, notes):
    """Adding lines of a second approval (any dates, any group) changes the units of the
    first approval's lines only when a note is applied to them differently."""
    # a second approval: lines that the rule does not join to the first (same Start, End
    # and Auth Group would make them one approval)
    spans = {(a["start_date"], a["end_date"], a["auth_group"]) for a in first if a["auth_group"]}
    assume(not any((b["start_date"], b["end_date"], b["auth_group"]) in spans for b in second))
    alone = refresh(book_of(first, notes), today=AS_OF)
    both = refresh(book_of(first + second, notes), today=AS_OF)
    rows = set(range(2, 2 + len(first)))
    assert {approval_rows(both.book.auths)[r] for r in rows} == {2}
    if _drawn_from(alone, rows) == _drawn_from(both, rows):
        for before, after in zip(alone.auths, both.auths):
            assert (before.used_units, before.pending_units) == (
                after.used_units,
                after.pending_units,
            )


@settings(max_examples=100, deadline=None)
@given(approval_lines("P1"), any_lines("P2"), sessions())
def test_a_note_pinned_to_a_number_draws_only_from_that_numbers_lines(first, second, notes):
    result = refresh(book_of(first + second, notes), today=AS_OF)
    for d in result.draws:
        if d.auth is not None and d.note.auth_no:
            assert d.auth.auth_no == d.note.auth_no
        if d.note.auth_no and d.reason == "pin_mismatch":
            # CARC 15 only when no line of the number fits the note
            assert not any(
                a.auth_no == d.note.auth_no
                and a.billing_code == d.note.billing_code
                and a.covers(d.note.service_date)
                for a in result.book.auths
            )


def test_generated_numbers_stay_unique_per_line():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
                | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10
                | C1        | 90837        | 2026-01-01 | 2026-06-30 | 10
        """
    )
    assert len(set(result.new_auth_numbers.values())) == 2
    assert date(2026, 1, 1) <= result.book.auths[0].start_date  # both lines are kept


def test_a_line_reference_names_one_auths_row_and_an_auth_number_does_not():
    from authbook.rules.approvals import line_reference

    assert [line_reference(t) for t in ("Auths!12", "auths!F12", "Auths!$F$12", "row 12")] == [
        12
    ] * 4
    assert [line_reference(t) for t in ("AET-7788", "12", "AB000012", "Notes!12")] == [None] * 4
