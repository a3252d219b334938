"""A filter applied by LibreOffice (headless, through its UNO bridge) and saved as .xlsx: the
bulk commands with --visible touch exactly the rows LibreOffice left visible."""

from __future__ import annotations

import json

import pytest

from authbook.cli import main
from tests import lo_helpers
from tests.bulk_fixtures import AS_OF, AUTHS, make_book, sheet_rows

#: Apply a standard filter (COLUMN = VALUE) to a sheet's used range, save as .xlsx, and print
#: the rows LibreOffice shows afterwards (1-based, under the header).
FILTER_AND_SAVE = r"""
import json
from com.sun.star.sheet import TableFilterField
from com.sun.star.sheet.FilterOperator import EQUAL

src, dst, sheet_name, header, value = sys.argv[1:6]
doc = load(src)
sheet = doc.Sheets.getByName(sheet_name)
cursor = sheet.createCursor()
cursor.gotoEndOfUsedArea(False)
last_row, last_col = cursor.RangeAddress.EndRow, cursor.RangeAddress.EndColumn
names = [sheet.getCellByPosition(c, 0).String for c in range(last_col + 1)]
cells = sheet.getCellRangeByPosition(0, 0, last_col, last_row)
field = TableFilterField()
field.Field = names.index(header)
field.Operator = EQUAL
field.IsNumeric = False
field.StringValue = value
descriptor = cells.createFilterDescriptor(True)
descriptor.ContainsHeader = True
descriptor.FilterFields = (field,)
cells.filter(descriptor)
rows = sheet.getRows()
visible = [r + 1 for r in range(1, last_row + 1) if rows.getByIndex(r).IsVisible]
doc.storeToURL(file_url(dst), props(FilterName="Calc MS Excel 2007 XML"))
doc.close(True)
print(json.dumps(visible))
"""


@pytest.fixture(scope="module")
def filtered(tmp_path_factory):
    """Two LibreOffice-filtered copies of the practice: Auths by Payer, Clients by Division."""
    soffice, uno_python = lo_helpers.require_libreoffice()
    folder = tmp_path_factory.mktemp("lo-bulk")
    source = make_book(folder, "source.xlsx")
    out = {}
    with lo_helpers.running_office(soffice, folder) as office:
        for name, sheet, header, value in (
            ("auths.xlsx", "Auths", "Payer", "Medicaid"),
            ("clients.xlsx", "Clients", "Division", "South"),
        ):
            result = lo_helpers.run_uno_script(
                uno_python,
                office,
                FILTER_AND_SAVE,
                str(source),
                str(folder / name),
                sheet,
                header,
                value,
            )
            out[sheet] = (folder / name, json.loads(result.stdout))
    return out


def test_bulk_update_visible_touches_exactly_the_rows_libreoffice_left_visible(
    filtered, monkeypatch
):
    monkeypatch.setenv("AUTHBOOK_USER", "pat")
    path, visible = filtered["Auths"]
    assert visible == [6, 7, 8]  # the Medicaid auths; every other row hidden by the filter
    before = sheet_rows(path, "Auths")
    args = ["bulk-update", str(path), "--visible", "--set", "Unit Alert Level=4", "--yes"]
    assert main([*args, "--as-of", AS_OF.isoformat()]) == 0
    after = sheet_rows(path, "Auths")
    changed = {r for r in before if before[r]["Unit Alert Level"] != after[r]["Unit Alert Level"]}
    assert changed == set(visible)
    edited = {r for r, v in after.items() if v["Last Edited By"] == "pat"}
    assert edited == set(visible) | {9}  # and row 9, whose blank Auth # the refresh numbered


def test_bulk_add_visible_takes_the_clients_libreoffice_left_visible(filtered, monkeypatch):
    monkeypatch.setenv("AUTHBOOK_USER", "pat")
    path, visible = filtered["Clients"]
    assert visible == [4, 5]  # C3 and C4, the South division
    args = ["bulk-add", str(path), "--code-group", "Medication Management", "--visible"]
    args += ["--allotted", "6", "--start", "2026-04-01", "--end", "2026-06-30", "--yes"]
    assert main([*args, "--as-of", AS_OF.isoformat()]) == 0
    new = [v for r, v in sheet_rows(path, "Auths").items() if r > len(AUTHS) + 1]
    assert [v["Client ID"] for v in new] == ["C3", "C3", "C4", "C4"]
