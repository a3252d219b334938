"""A large sheet is read by column (ColumnRows): it must read as the RowReads it stands for,
and give the refresh the same raw rows and the same cells to write as rows read one by one
(hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.models import NOTE_STATUS_FIELDS, NoteStatus, NoteStatuses, Source
from authbook.workbook import fastread, rawbook, records, schema
from authbook.workbook.sheetdata import ColumnRows, RowRead, SheetRead
from authbook.workbook.xlsx import rows as row_stream
from authbook.workbook.xlsxfile import WorkbookFile
from tests.workbook.test_fastread import _normal
from tests.workbook.test_fastread_split import notes_workbook

#: the computed columns included, as the template has them, and a column of the user's own
HEADERS = [*schema.NOTES.headers, "My own column"]
WIDTH = len(HEADERS)
COMPUTED = len(schema.NOTES.headers) - 9
cells = st.sampled_from([None, " ", "C1", "c2", 0, 2, 4.5, "=SUM(A1)"])
computed = st.sampled_from([None, "OK", "P1", 12.5, 100, 100.0, "Y", True, 1, ""])


@st.composite
def sheets(draw):
    """A Notes sheet as rows of cells (None for empty, never empty text) and its numbers."""
    count = draw(st.integers(0, 12))
    numbers = sorted(draw(st.sets(st.integers(2, 40), min_size=count, max_size=count)))
    grid = []
    for _ in numbers:
        row = [draw(cells) for _ in range(9)] + [draw(computed) for _ in range(COMPUTED)]
        row.append(draw(st.sampled_from([None, "mine"])))
        if all(v is None for v in row):
            row[-1] = "mine"  # a reader never gives a row empty in every column
        grid.append(row)
    return numbers, grid


def _both(numbers, grid, formulas=None) -> tuple[SheetRead, SheetRead]:
    """The sheet read row by row and by column (``formulas``: row -> its formula columns)."""
    formulas = formulas or {}
    rows = [RowRead(n, list(v), formulas.get(n, frozenset())) for n, v in zip(numbers, grid)]
    by_rows = SheetRead("Notes", list(HEADERS), rows)
    columns = [list(c) for c in zip(*grid)] if grid else [[] for _ in HEADERS]
    by_columns = SheetRead("Notes", list(HEADERS), ColumnRows(list(numbers), columns, formulas))
    return by_rows, by_columns


@settings(max_examples=150, deadline=None)
@given(sheets())
def test_rows_read_by_column_read_as_the_rows_they_hold(sheet):
    by_rows, by_columns = _both(*sheet)
    assert list(by_columns.rows) == by_rows.rows
    assert len(by_columns.rows) == len(by_rows.rows)
    if by_rows.rows:
        assert by_columns.rows[-1] == by_rows.rows[-1]
        assert by_columns.rows[0:2] == by_rows.rows[0:2]


@settings(max_examples=150, deadline=None)
@given(sheets())
def test_raw_rows_of_a_sheet_read_by_column_equal_those_read_row_by_row(sheet):
    by_rows, by_columns = _both(*sheet)
    expected = rawbook.raw_rows(schema.NOTES, by_rows)
    got = rawbook.raw_rows(schema.NOTES, by_columns)
    assert list(got) == list(expected)
    assert got.rows == expected.rows
    names = ["client_id", "units", "minutes"]
    assert [list(c) for c in got.columns(names)] == [list(c) for c in expected.columns(names)]


statuses = st.fixed_dictionaries(
    {
        "applied_auth_no": st.sampled_from([None, "P1", "P2"]),
        "payer": st.sampled_from([None, "Aetna"]),
        "charge": st.sampled_from([None, 12.5, 99.0, 100.0, 1.0]),
        "inpatient": st.sampled_from([None, True, False]),
        "check": st.sampled_from(["OK", "NO AUTH"]),
    }
)


@settings(max_examples=150, deadline=None)
@given(sheets(), st.data())
def test_cells_written_to_a_sheet_read_by_column_equal_those_compared_row_by_row(sheet, data):
    numbers, grid = sheet
    mode = data.draw(st.sampled_from(["first refresh", "other values", "refreshed before"]))
    if mode == "first refresh":  # the computed columns empty
        grid = [row[:9] + [None] * COMPUTED + row[-1:] for row in grid]
        grid = [row if any(v is not None for v in row) else row[:-1] + ["mine"] for row in grid]
    # statuses for the rows the refresh could read (some rows may have none), and maybe
    # for a row the sheet lacks
    if mode == "refreshed before" or data.draw(st.booleans()):
        rows = list(numbers)
    else:
        rows = sorted(data.draw(st.sets(st.sampled_from(numbers)))) if numbers else []
        rows += data.draw(st.sampled_from([[], [41]]))
    found = [NoteStatus(source=Source(sheet="Notes", row=n), **data.draw(statuses)) for n in rows]
    if mode == "refreshed before":  # the sheet holds what these statuses write, or nearly
        at = {name: schema.NOTES.headers.index(schema.NOTES.by_field[name].header)
              for name in records.NOTE_COMPUTED}  # fmt: skip
        for row, status in zip(grid, found):
            for name, index in at.items():
                value = getattr(status, name)
                row[index] = ("Y" if value else "N") if type(value) is bool else value
                if data.draw(st.integers(0, 9)) == 0:  # the same as another type writes it
                    row[index] = {1.0: True, 100.0: 100, "Y": True, None: ""}.get(value, value)
    by_rows, by_columns = _both(numbers, grid)
    expected = records.record_writes(schema.NOTES, by_rows, found, records.NOTE_COMPUTED)
    got = records.record_writes(schema.NOTES, by_columns, found, records.NOTE_COMPUTED)
    assert list(got.cells.items()) == list(expected.cells.items())
    assert got.last_row == expected.last_row


def test_a_true_cell_where_a_refresh_writes_the_number_one_is_rewritten():
    """Comparing whole columns must not take TRUE for 1 (the cell-by-cell comparison does
    not): the Charge cell holding TRUE gets the charge written."""
    at = {n: HEADERS.index(schema.NOTES.by_field[n].header) for n in records.NOTE_COMPUTED}
    status = NoteStatus(source=Source(sheet="Notes", row=2), applied_auth_no="P1",
                        payer="Aetna", charge=1.0, inpatient=False, check="OK")  # fmt: skip
    row = ["N1", "C1"] + [None] * (WIDTH - 2)
    for name, index in at.items():
        value = getattr(status, name)
        row[index] = ("Y" if value else "N") if type(value) is bool else value
    row[at["charge"]] = True
    for read in _both([2], [row]):
        write = records.record_writes(schema.NOTES, read, [status], records.NOTE_COMPUTED)
        assert dict(write.cells.items()) == {(2, at["charge"] + 1): 1.0}


def test_column_rows_refuse_columns_of_another_length():
    with pytest.raises(ValueError):
        ColumnRows([2, 3], [["a", "b"], ["c"]])


# --- the file reader -------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [False, True])
def test_the_largest_sheet_read_by_column_reads_as_openpyxl_reads_it(monkeypatch, tmp_path, cut):
    """A real file (blank rows, hidden rows, errors, formulas, every kind of value, a Table):
    its largest sheet read by column (in pieces or whole) reads as the openpyxl adapter
    reads it row by row."""
    notes_book = notes_workbook(tmp_path / "notes.xlsx")
    monkeypatch.setattr(fastread, "BLOCK_ROWS", 4)
    monkeypatch.setattr(fastread, "SAMPLE_ROWS", 8)
    if cut:
        monkeypatch.setattr(fastread, "SPLIT_BYTES", 0)
        monkeypatch.setattr(fastread, "PIECE_BYTES", 700)
        monkeypatch.setattr(row_stream, "CHUNK", 300)
    monkeypatch.setattr(fastread, "COLUMN_ROWS_FROM", 0)
    by_column = fastread.read_sheets(notes_book, ["Notes", "Auths"])
    by_row = WorkbookFile(notes_book).read_sheets(["Notes", "Auths"])

    assert isinstance(by_column["Notes"].rows, ColumnRows)
    assert by_column["Notes"] == _normal(by_row["Notes"])
    assert any(r.formulas for r in by_column["Notes"].rows)
    assert 11 not in by_column["Notes"].rows.numbers  # a blank row


@settings(max_examples=150, deadline=None)
@given(sheets(), st.data())
def test_a_computed_cell_holding_a_formula_gets_the_value_even_where_its_result_equals_it(
    sheet, data
):
    """A formula typed into a computed column would be recalculated by the spreadsheet to
    something else: the refresh writes its value over it even where the formula's last
    result is that value. A formula in an input column, or on a row with no status, stays."""
    numbers, grid = sheet
    at = {n: HEADERS.index(schema.NOTES.by_field[n].header) for n in records.NOTE_COMPUTED}
    name_of = {index + 1: name for name, index in at.items()}
    computed_cols = sorted(name_of)
    first = data.draw(st.booleans())  # a first refresh: the formulas' results all empty
    if first:
        rows = list(numbers)
        grid = [row[:9] + [None] * COMPUTED + ["mine"] for row in grid]
    else:
        rows = sorted(data.draw(st.sets(st.sampled_from(numbers)))) if numbers else []
    found = [NoteStatus(source=Source(sheet="Notes", row=n), **data.draw(statuses)) for n in rows]
    by_number = dict(zip(numbers, grid))
    for status in [] if first else found:  # the sheet holds what the statuses write
        for name, index in at.items():
            value = getattr(status, name)
            by_number[status.source.row][index] = (
                ("Y" if value else "N") if type(value) is bool else value
            )
    formulas = {}
    for n in numbers:
        marked = data.draw(st.sets(st.sampled_from([1, *computed_cols])))
        if marked:
            formulas[n] = frozenset(marked)
    expected = {}
    for status in found:
        row = status.source.row
        for col in computed_cols:
            value = getattr(status, name_of[col])
            if col in formulas.get(row, ()) or (first and value is not None):
                expected[(row, col)] = ("Y" if value else "N") if type(value) is bool else value
    for read in _both(numbers, grid, formulas):
        write = records.record_writes(schema.NOTES, read, found, records.NOTE_COMPUTED)
        assert dict(write.cells.items()) == expected
        assert list(write.cells) == sorted(write.cells)


@settings(max_examples=150, deadline=None)
@given(sheets(), st.data())
def test_input_cells_whose_formula_has_no_result_are_found_alike_by_row_and_by_column(sheet, data):
    """An input cell holding a formula and reading as blank (no result saved) is a problem;
    one with a result, a computed cell, or a column of the user's own is not."""
    numbers, grid = sheet
    formulas = {}
    for n in numbers:
        marked = data.draw(st.sets(st.integers(1, WIDTH)))
        if marked:
            formulas[n] = frozenset(marked)
    inputs = {i + 1: c.field for i, c in enumerate(schema.NOTES.columns) if not c.computed}
    expected = [
        (n, inputs[col])
        for n, row in zip(numbers, grid)
        for col in sorted(formulas.get(n, ()))
        if col in inputs and row[col - 1] in (None, "")
    ]
    for read in _both(numbers, grid, formulas):
        found = rawbook.formulas_without_results(schema.NOTES, read)
        assert [(p.source.row, p.field) for p in found] == expected
        assert all(p.source.sheet == "Notes" and p.message == rawbook.NO_RESULT for p in found)


@given(st.data())
def test_a_yes_no_field_reads_y_and_n_whatever_else_its_column_holds(data):
    """``status_columns`` shows a Yes/No (bool) value as "Y"/"N", and every other value as
    it is: 1, 1.0 and 0 stay numbers beside True and False (equal to them in a dict)."""
    count = data.draw(st.integers(0, 8))
    value = st.sampled_from([None, True, False, 1, 0, 1.0, "Y", "OK"])
    columns = {
        name: data.draw(st.lists(value, min_size=count, max_size=count))
        for name in NOTE_STATUS_FIELDS
    }
    sources = [Source(sheet="Notes", row=n + 2) for n in range(count)]
    statuses = NoteStatuses(sources, columns)
    rows, shown, kinds = records.status_columns(statuses, list(NOTE_STATUS_FIELDS))
    assert rows == [n + 2 for n in range(count)]
    for column, values, held in zip(shown, columns.values(), kinds):
        expected = [("Y" if v else "N") if type(v) is bool else v for v in values]
        assert list(map(type, column)) == list(map(type, expected))
        assert column == expected
        assert set(map(type, column)) <= held  # the types a writer is told it will meet
