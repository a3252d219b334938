"""A first refresh hands the writer its millions of computed cells as CellColumns (the
columns as computed) rather than a dict: it must hold exactly the cells the cell-by-cell path
sets, in (row, column) order, and read as the dict would."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.models import NoteStatus, Source
from authbook.workbook import records, schema
from authbook.workbook.sheetdata import CellColumns, RowRead, SheetRead

statuses = st.lists(
    st.fixed_dictionaries(
        {
            "applied_auth_no": st.one_of(st.none(), st.sampled_from(["P1", "AB000002"])),
            "payer": st.one_of(st.none(), st.sampled_from(["Medicaid", "Aetna"])),
            "charge": st.one_of(st.none(), st.floats(0, 500, allow_nan=False)),
            "inpatient": st.one_of(st.none(), st.booleans()),
            "check": st.sampled_from(["OK", "DRAFT: not checked until Pending", "NO AUTH"]),
        }
    ),
    max_size=40,
)


def _notes_sheet(count: int, filled: bool) -> SheetRead:
    headers = schema.NOTES.headers
    width = len(headers)
    rows = []
    for row in range(2, count + 2):
        values = [f"N{row}", "C1"] + [None] * (width - 2)
        if filled:
            values[-1] = "stale"
        rows.append(RowRead(row, values))
    return SheetRead(name="Notes", headers=headers, rows=rows)


@settings(max_examples=100, deadline=None)
@given(statuses)
def test_first_refresh_cells_equal_the_cells_set_one_by_one(found):
    notes = [
        NoteStatus(source=Source(sheet="Notes", row=row), **values)
        for row, values in enumerate(found, start=2)
    ]
    read = _notes_sheet(len(notes), filled=False)

    write = records.record_writes(schema.NOTES, read, notes, records.NOTE_COMPUTED)
    one_by_one = records.column_writes(
        schema.NOTES,
        read,
        {n.source.row: {f: getattr(n, f) for f in records.NOTE_COMPUTED} for n in notes},
    )

    assert dict(write.cells.items()) == one_by_one.cells
    assert list(write.cells) == sorted(one_by_one.cells)  # (row, column) order
    assert write.last_row == one_by_one.last_row


def test_cell_columns_read_as_the_dict_of_the_cells_set():
    cells = CellColumns([2, 4, 7], [3, 5], [["a", None, "c"], [None, None, 7.5]])
    as_dict = {(2, 3): "a", (7, 3): "c", (7, 5): 7.5}
    assert cells == as_dict
    assert len(cells) == 3 and bool(cells)
    assert cells[(7, 5)] == 7.5 and (2, 3) in cells and (4, 3) not in cells
    assert list(cells.items()) == list(as_dict.items())
    assert list(cells.values()) == ["a", "c", 7.5]
    assert list(reversed(cells)) == [(7, 5), (7, 3), (2, 3)]
    assert {**cells, (8, 8): 1} == {**as_dict, (8, 8): 1}
    assert cells.bounds() == (3, 2, 5, 7)
    assert not CellColumns([2], [1], [[None]]) and CellColumns([2], [1], [[None]]).bounds() is None


def test_cell_columns_refuse_rows_out_of_order_or_columns_of_another_length():
    for rows, columns, values in (
        ([3, 2], [1], [["a", "b"]]),
        ([2, 3], [2, 1], [["a", "b"], ["c", "d"]]),
        ([2, 3], [1], [["a"]]),
        ([2, 3], [1, 2], [["a", "b"]]),
    ):
        with pytest.raises(ValueError):
            CellColumns(rows, columns, values)


def test_cells_already_holding_values_are_compared_one_by_one():
    """A refresh of a refreshed sheet takes the cell-by-cell path: only changed cells."""
    notes = [
        NoteStatus(source=Source(sheet="Notes", row=2), applied_auth_no=None, payer=None,
                   charge=None, inpatient=None, check="OK"),
    ]  # fmt: skip
    read = _notes_sheet(1, filled=True)
    write = records.record_writes(schema.NOTES, read, notes, records.NOTE_COMPUTED)
    assert isinstance(write.cells, dict)
    assert list(write.cells.values()) == ["OK"]


@given(
    st.lists(st.integers(2, 30), min_size=1, max_size=12, unique=True).map(sorted),
    st.lists(st.integers(1, 12), min_size=1, max_size=5, unique=True).map(sorted),
    st.data(),
)
def test_a_cell_is_found_by_its_key_exactly_when_it_is_set(rows, columns, data):
    values = [
        data.draw(
            st.lists(st.one_of(st.none(), st.integers()), min_size=len(rows), max_size=len(rows))
        )
        for _ in columns
    ]
    cells = CellColumns(rows, columns, values)
    as_dict = _cells_set(rows, columns, values)
    for key in [(r, c) for r in range(1, 32) for c in range(0, 14)] + [(2,), "A2", None]:
        assert (key in cells) == (key in as_dict), key
        assert cells.get(key, "unset") == as_dict.get(key, "unset"), key


@given(st.data())
def test_cell_columns_are_as_long_and_as_empty_as_the_dict_of_their_cells(data):
    """Length and truth are worked out apart (the truth stops at the first cell set, the
    length is counted when asked): both are the dict's."""
    rows = sorted(data.draw(st.sets(st.integers(2, 50), max_size=6)))
    columns = sorted(data.draw(st.sets(st.integers(1, 9), min_size=1, max_size=3)))
    value = st.sampled_from([None, None, "", "a", 0, 1.5, False])
    by_column = [
        data.draw(st.lists(value, min_size=len(rows), max_size=len(rows))) for _ in columns
    ]
    cells = CellColumns(rows, columns, by_column)
    as_dict = _cells_set(rows, columns, by_column)
    assert bool(cells) == bool(as_dict)
    assert len(cells) == len(as_dict)
    assert dict(cells.items()) == as_dict


def _cells_set(rows: list[int], columns: list[int], by_column: list[list]) -> dict:
    """The dict ``{(row, column): value}`` of the cells a CellColumns of these sets."""
    return {
        (row, column): v
        for row_at, row in enumerate(rows)
        for column, values in zip(columns, by_column)
        if (v := values[row_at]) is not None
    }
