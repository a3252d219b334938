"""The base of a refresh (``prepare_base``: every sheet but Notes built, new Auth #s given,
the auths indexed) prepared before the Notes sheet is read, then given its rows
(``with_notes_read``), is the base of the whole book: a large refresh prepares it while
other threads are still parsing the Notes sheet."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.rules.refresh import (
    draw_notes,
    finish_refresh,
    notes_refreshed,
    prepare_base,
    refresh,
    with_notes,
    with_notes_read,
)
from tests.rules.test_notes_in_parts import AS_OF, books

#: Cells holding a formula with no saved result, on either sheet, in rows both sheets have.
formulas = st.frozensets(
    st.tuples(
        st.sampled_from(["Auths", "Notes"]),
        st.integers(2, 12),
        st.sampled_from(["auth_no", "billing_code", "units"]),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(books, formulas)
def test_the_base_prepared_before_the_notes_are_read_is_the_whole_books(raw, unknown):
    raw = raw.model_copy(update={"uncalculated": unknown})
    without_notes = raw.model_copy(
        update={"notes": (), "uncalculated": frozenset(c for c in unknown if c[0] != "Notes")}
    )
    early = with_notes_read(prepare_base(without_notes, today=AS_OF), raw)
    whole = prepare_base(raw, today=AS_OF)
    assert early.raw == whole.raw
    assert early.book == whole.book
    assert early.new_auth_numbers == whole.new_auth_numbers
    assert early.problems == whole.problems
    assert early.first_problem == whole.first_problem
    assert (early.as_of, early.clients, early.rates) == (whole.as_of, whole.clients, whole.rates)
    assert early.index.by_number == whole.index.by_number
    # and the refresh finished on it is the refresh of the whole book
    prepared = with_notes(early)
    finished = finish_refresh(notes_refreshed(prepared, draw_notes(prepared)))
    serial = refresh(raw, today=AS_OF)
    assert finished.auths == serial.auths
    assert list(finished.notes) == list(serial.notes)
    assert finished.alerts == serial.alerts
    assert finished.problems == serial.problems
    assert finished.findings == serial.findings
    assert finished.new_auth_numbers == serial.new_auth_numbers
