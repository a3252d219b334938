"""The fast reader reads what the openpyxl adapter reads, from files openpyxl and LibreOffice wrote."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest

from authbook.workbook.fastread import read_sheets
from authbook.workbook.sheetdata import SheetRead
from authbook.workbook.xlsxfile import WorkbookFile

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lo_fixtures  # noqa: E402
from lo_fixtures import lo_helpers  # noqa: E402


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


def test_fast_reader_reads_what_openpyxl_reads_in_a_libreoffice_file(sample, tmp_path):
    soffice, uno_python = lo_helpers.require_libreoffice()
    with lo_helpers.running_office(soffice, tmp_path) as office:
        saved = lo_fixtures.resave_with_libreoffice(
            office, uno_python, sample, tmp_path / "by-libreoffice.xlsx"
        )
    fast, slow = _both(saved)
    assert fast == slow
    auths = fast["Auths"]
    assert auths.hidden_rows == {3, 5}
    assert auths.rows[0].values[6] == 20 and auths.rows[0].formulas == {7}
    assert auths.rows[0].values[2] == datetime(2026, 1, 5)
