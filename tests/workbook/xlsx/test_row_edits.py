"""``RowEdits.bounds``: the range of the values a write puts in a sheet (its new
``<dimension>``), worked out by column with the loops in C, against a cell-by-cell count."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.xlsx.edits import RowEdits, every_row_holds_a_value

CELL = st.one_of(st.none(), st.none(), st.integers(0, 9), st.just(""), st.booleans())


def _counted(rows, cells) -> tuple[int, int, int, int] | None:
    held = [(r, c) for r, values in enumerate(rows, 1) for c, v in enumerate(values, 1)]
    held = [(r, c) for r, c in held if rows[r - 1][c - 1] is not None]
    held += [key for key, value in cells.items() if value is not None]
    if not held:
        return None
    return (min(c for _, c in held), min(r for r, _ in held),
            max(c for _, c in held), max(r for r, _ in held))  # fmt: skip


@given(
    st.lists(st.lists(CELL, max_size=6), max_size=12),
    st.dictionaries(st.tuples(st.integers(1, 15), st.integers(1, 8)), CELL, max_size=5),
)
def test_the_bounds_of_a_replaced_sheet_are_those_of_its_values(rows, cells):
    edits = RowEdits(SheetWrite(rows=rows, cells=cells))
    assert edits.bounds() == _counted(rows, cells)


@given(st.lists(st.lists(CELL, max_size=6), max_size=12))
def test_every_row_holds_a_value_as_each_row_tells(rows):
    """The check made in C for a replaced sheet's rows (one comparison per row width) says
    what looking at each row's cells says."""
    each = all(any(v is not None for v in row) for row in rows)
    assert every_row_holds_a_value(rows) == each
