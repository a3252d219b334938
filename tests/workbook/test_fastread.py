"""The fast reader reads what the openpyxl adapter reads, from files openpyxl and LibreOffice wrote."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from authbook.workbook import fastread
from authbook.workbook.fastread import read_sheets
from authbook.workbook.sheetdata import SheetRead
from authbook.workbook.xlsxfile import WorkbookFile
from tests.workbook import lo_fixtures


def _normal(sheet: SheetRead) -> SheetRead:
    """openpyxl gives '' for some empty text cells where calamine gives nothing at all."""
    for row in sheet.rows:
        row.values = [None if v == "" else v for v in row.values]
    return sheet


def _both(path):
    fast = read_sheets(path, ["Auths", "Notes", "Missing"])
    slow = WorkbookFile(path).read_sheets(["Auths", "Notes", "Missing"])
    return fast, {name: _normal(sheet) for name, sheet in slow.items()}


@pytest.fixture
def sample(tmp_path):
    return lo_fixtures.build_sample(tmp_path / "sample.xlsx")


def test_fast_reader_reads_what_openpyxl_reads(sample):
    fast, slow = _both(sample)
    assert fast == slow


def test_rows_below_the_table_and_blank_rows_inside_it(sample):
    auths = read_sheets(sample, ["Auths"])["Auths"]
    assert [r.row for r in auths.rows] == [2, 3, 5, 6, 8]
    assert auths.table_name == "Auths" and auths.table_ref == "A1:G6"
    assert auths.rows[-1].values[5] == "past the Table's range"


def test_values_come_back_typed(sample):
    auths = read_sheets(sample, ["Auths"])["Auths"]
    row2, row3, row5 = auths.rows[0], auths.rows[1], auths.rows[2]
    assert row2.values[2] == datetime(2026, 1, 5)
    assert row3.values[2] == datetime(2026, 2, 5, 13, 30)
    assert type(row2.values[3]) is int and row2.values[4] == 2.5
    assert row3.values[4] is None and row3.values[5] is None
    assert row5.values[5] == "=not a formula?" and 6 not in row5.formulas


def test_formula_cells_give_their_cached_result_and_are_marked(sample):
    auths = read_sheets(sample, ["Auths"])["Auths"]
    assert auths.rows[0].values[6] == 20 and auths.rows[0].formulas == {7}
    assert auths.rows[1].values[6] == 6 and auths.rows[1].formulas == {7}
    assert auths.rows[3].formulas == frozenset()


def test_hidden_rows_and_filters(sample):
    sheets = read_sheets(sample, ["Auths", "Notes"])
    assert sheets["Auths"].hidden_rows == {3, 5}
    assert sheets["Auths"].filter_ref == "A1:G6"
    assert sheets["Notes"].filter_ref == "A1:C11"
    assert sheets["Notes"].table_name is None


def test_missing_sheets_are_left_out(sample):
    assert set(read_sheets(sample, ["Missing", "Notes"])) == {"Notes"}


def test_fast_reader_reads_what_openpyxl_reads_in_a_libreoffice_file(sample, tmp_path, libreoffice):
    saved = libreoffice.resave(sample, tmp_path / "by-libreoffice.xlsx")
    fast, slow = _both(saved)
    assert fast == slow
    auths = fast["Auths"]
    assert auths.hidden_rows == {3, 5}
    assert auths.rows[0].values[6] == 20 and auths.rows[0].formulas == {7}
    assert auths.rows[0].values[2] == datetime(2026, 1, 5)


_write = lo_fixtures.write_workbook
_set_cells = lo_fixtures.set_cells


@pytest.fixture
def small_blocks(monkeypatch):
    """Convert a few rows at a time, so that small sheets cross many block boundaries."""
    monkeypatch.setattr(fastread, "BLOCK_ROWS", 4)
    monkeypatch.setattr(fastread, "SAMPLE_ROWS", 8)


def _mixed_rows(count: int) -> list[list]:
    rows = [["Note ID", "Client ID", "Service Date", "Units", "Flag", "Comment", "Amount"]]
    for i in range(2, count + 2):
        if i % 9 == 0:
            rows.append([None] * 7)  # a blank row
            continue
        rows.append(
            [
                f"N{i:05d}",  # all distinct
                f"C{i % 4}",  # repeating
                date(2026, 1, 1 + i % 5) if i % 7 else None,
                i % 3 if i % 5 else float(i) + 0.5,  # integral and fractional numbers
                (i % 2 == 0) if i % 4 else 1,  # booleans and numbers in one column
                "" if i % 6 == 0 else ("text" if i % 3 else 12),  # text and numbers
                2**60 if i == 11 else 150,  # a number too big to be exact as a float
            ]
        )
    return rows


@pytest.mark.parametrize("by_column", [False, True])
def test_a_large_sheet_read_block_by_block_reads_what_openpyxl_reads(
    small_blocks, tmp_path, monkeypatch, by_column
):
    """Also when the reader keeps it by column (ColumnRows, for a sheet of many rows)."""
    if by_column:
        monkeypatch.setattr(fastread, "COLUMN_ROWS_FROM", 0)
    path = _write(tmp_path / "mixed.xlsx", {"Notes": _mixed_rows(60)}, hidden=(7, 30))
    rows = [r for r in range(2, 62) if r % 9]
    _set_cells(
        path,
        "xl/worksheets/sheet1.xml",
        {
            "F13": b'<c r="F13" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
            "F23": b'<c r="F23" t="e"><v>#N/A</v></c>',
            "G40": b'<c r="G40"><f>D40*2</f><v>4</v></c>',
            "G41": b'<c r="G41"><f>D41*2</f><v>0</v></c>',
        },
    )
    fast = read_sheets(path, ["Notes"])["Notes"]
    slow = _normal(WorkbookFile(path).read_sheets(["Notes"])["Notes"])
    assert fast == slow
    assert [r.row for r in fast.rows] == rows
    assert fast.hidden_rows == {7, 30}
    by_row = {r.row: r for r in fast.rows}
    assert by_row[13].values[5] == "#DIV/0!" and by_row[13].formulas == {6}
    assert by_row[23].values[5] == "#N/A" and by_row[23].formulas == frozenset()
    assert by_row[40].values[6] == 4 and by_row[40].formulas == {7}
    assert by_row[41].formulas == {7} and by_row[42].formulas == frozenset()
    assert [type(v) for v in by_row[15].values[3:]] == [float, bool, int, int]
    assert type(by_row[11].values[6]) is float  # beyond 2**53: kept as calamine gives it
    assert by_row[12].values[4] == 1 and type(by_row[12].values[4]) is int
    assert type(by_row[2].values[2]) is datetime and by_row[14].values[2] is None


@pytest.mark.parametrize("by_column", [False, True])
def test_empty_columns_and_date_columns_read_block_by_block(
    small_blocks, tmp_path, monkeypatch, by_column
):
    """Blocks where a column is empty in every row, or holds only dates (the same dates in
    several blocks, a date with a time among them), read as openpyxl reads them."""
    if by_column:
        monkeypatch.setattr(fastread, "COLUMN_ROWS_FROM", 0)
    rows = [["Note ID", "Empty", "Service Date", "Later", "Stamp", "Last"]]
    for i in range(2, 40):
        rows.append(
            [
                f"N{i}",
                None,  # never typed in
                date(2026, 1, 1 + i % 3),  # only dates, repeating across blocks
                "late" if i > 30 else None,  # empty in the first blocks only
                datetime(2026, 2, 1, 9, 30) if i % 5 == 0 else date(2026, 2, 1),
                i,
            ]
        )
    path = _write(tmp_path / "dates.xlsx", {"Notes": rows})
    fast = read_sheets(path, ["Notes"])["Notes"]
    slow = _normal(WorkbookFile(path).read_sheets(["Notes"])["Notes"])
    assert fast == slow
    by_row = {r.row: r for r in fast.rows}
    assert by_row[2].values[1] is None and by_row[2].values[3] is None
    assert by_row[31].values[3] == "late"
    assert type(by_row[2].values[2]) is datetime and by_row[2].values[2] == datetime(2026, 1, 3)
    assert by_row[2].values[2] is by_row[5].values[2]  # one object per distinct date
    assert by_row[10].values[4] == datetime(2026, 2, 1, 9, 30)
    assert by_row[11].values[4] == datetime(2026, 2, 1)


def test_a_row_whose_only_value_is_an_error_is_read(small_blocks, tmp_path):
    rows = [["A", "B"], ["x", 1], [None, 2], ["y", 3], [5, 4]]
    path = _write(tmp_path / "error.xlsx", {"Notes": rows})
    _set_cells(
        path,
        "xl/worksheets/sheet1.xml",
        {
            "B3": b'<c r="B3" t="e"><v>#REF!</v></c>',
            "B4": b'<c r="B4" t="e"/>',  # no value: nothing to read, not the next cell's
        },
    )
    fast = read_sheets(path, ["Notes"])["Notes"]
    assert [(r.row, r.values) for r in fast.rows] == [
        (2, ["x", 1]),
        (3, [None, "#REF!"]),
        (4, ["y", None]),
        (5, [5, 4]),
    ]


def test_equal_text_and_dates_in_a_column_are_one_object(small_blocks, tmp_path):
    notes = [["Note ID", "Client ID", "Service Date"]]
    notes += [[f"N{i}", f"C{i % 4 + 1}", date(2026, 3, 1 + i % 2)] for i in range(40)]
    path = _write(tmp_path / "shared.xlsx", {"Notes": notes})
    rows = read_sheets(path, ["Notes"])["Notes"].rows
    assert rows[0].values[1] is rows[36].values[1] and rows[0].values[1] == "C1"
    assert rows[0].values[2] is rows[38].values[2] and type(rows[0].values[2]) is datetime


def test_sheets_come_back_in_the_order_asked(tmp_path):
    sheets = {"Small": [["A"], ["x"]], "Large": [["A", "B"]] + [[i, f"t{i}"] for i in range(300)]}
    path = _write(tmp_path / "order.xlsx", sheets)
    assert list(read_sheets(path, ["Small", "Missing", "Large"])) == ["Small", "Large"]
    assert list(read_sheets(path, ["Large", "Small"])) == ["Large", "Small"]


def test_a_sheet_whose_data_starts_right_of_column_a(small_blocks, tmp_path):
    rows = [[None, "Auth #", "Units"]] + [[None, f"A{i}", i] for i in range(12)]
    rows[5] = [None, None, None]
    path = _write(tmp_path / "offset.xlsx", {"Auths": rows})
    fast = read_sheets(path, ["Auths"])["Auths"]
    assert fast.headers == ["", "Auth #", "Units"]
    assert fast == _normal(WorkbookFile(path).read_sheets(["Auths"])["Auths"])


def test_a_sheet_whose_first_row_is_empty_has_no_header_and_no_rows(tmp_path):
    path = _write(tmp_path / "low.xlsx", {"Auths": [[None], [None], ["Auth #"], ["A1"]]})
    fast = read_sheets(path, ["Auths"])["Auths"]
    assert fast.headers == [] and fast.rows == []


def test_the_first_of_several_tables_is_the_sheets_table(tmp_path):
    rows = [["Auth #", "Units", None, "Code"]] + [[f"A{i}", i, None, f"9{i}"] for i in range(5)]
    path = _write(
        tmp_path / "tables.xlsx", {"Auths": rows}, tables=[("First", "A1:B6"), ("Second", "D1:D6")]
    )
    fast = read_sheets(path, ["Auths"])["Auths"]
    assert (fast.table_name, fast.table_ref) == ("First", "A1:B6")
    assert fast == _normal(WorkbookFile(path).read_sheets(["Auths"])["Auths"])


def _replace_bytes(path, part: str, changes: dict[bytes, bytes]) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name == part:
            for old, new in changes.items():
                assert old in data
                data = data.replace(old, new)
        return data

    lo_fixtures.rewrite_parts(path, change)


def test_hidden_rows_as_excel_and_libreoffice_mark_them(tmp_path):
    rows = [["A", "B"]] + [[f"x{i}", i] for i in range(8)]
    path = _write(tmp_path / "hidden.xlsx", {"Notes": rows}, hidden=(3,))
    _replace_bytes(
        path,
        "xl/worksheets/sheet1.xml",
        {
            b'<row r="4">': b'<row r="4" ht="15" hidden="false">',  # LibreOffice, on every row
            b'<row r="5">': b'<row r="5" ht="15" hidden="true" customHeight="false">',
            b'<row r="6">': b'<row r="6"\n hidden="true">',
            b"<t>x5</t>": b'<t>text with hidden="1" in it</t>',  # row 7: not hidden
        },
    )
    fast = read_sheets(path, ["Notes"])["Notes"]
    assert fast.hidden_rows == {3, 5, 6}
    assert fast == _normal(WorkbookFile(path).read_sheets(["Notes"])["Notes"])
