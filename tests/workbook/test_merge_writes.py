"""The one merge of SheetWrites (``sheetdata.merge_writes``): where the Table ends after two
writes to the same sheet, and whose cells win."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from authbook.workbook.sheetdata import SheetWrite, merge_writes

ends = st.one_of(st.none(), st.integers(min_value=1, max_value=10_000))


@given(ends, ends)
def test_a_later_write_never_cuts_off_rows_an_earlier_one_appended(first, then):
    merged = merge_writes(
        {"Auths": SheetWrite(cells={(2, 1): "a"}, last_row=first)},
        {"Auths": SheetWrite(cells={(3, 1): "b"}, last_row=then)},
    )["Auths"]
    given_ends = [r for r in (first, then) if r is not None]
    assert merged.last_row == (max(given_ends) if given_ends else None)


def test_two_writes_without_an_end_leave_the_table_as_it_is():
    merged = merge_writes({"Auths": SheetWrite(cells={(2, 1): 1})}, {"Auths": SheetWrite()})
    assert merged["Auths"].last_row is None


@given(ends, st.integers(min_value=1, max_value=10_000))
def test_a_whole_sheet_write_sets_where_the_table_ends(first, rows_end):
    merged = merge_writes(
        {"Alerts": SheetWrite(cells={(9, 1): "x"}, last_row=first)},
        {"Alerts": SheetWrite(rows=[["Kind"]], last_row=rows_end)},
    )["Alerts"]
    assert merged.last_row == rows_end and merged.rows == [["Kind"]]


def test_the_later_writes_cells_and_number_formats_win_and_other_sheets_are_kept():
    merged = merge_writes(
        {
            "Auths": SheetWrite(cells={(2, 1): "old", (2, 2): "kept"}, number_formats={1: "@"}),
            "Notes": SheetWrite(cells={(5, 5): 5}),
        },
        {"Auths": SheetWrite(cells={(2, 1): "new"}, number_formats={1: "0"})},
    )
    assert merged["Auths"].cells == {(2, 1): "new", (2, 2): "kept"}
    assert merged["Auths"].number_formats == {1: "0"}
    assert merged["Notes"].cells == {(5, 5): 5}
