"""Workbooks for the file-adapter tests: a small one built with openpyxl, the same saved again by
LibreOffice, and the UNO scripts that let LibreOffice read back what AuthBook wrote.

LibreOffice is driven through ``tests/lo_helpers.py`` (private profile, named pipe).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.table import Table, TableStyleInfo

from tests import lo_helpers

HEADERS = ["Auth #", "Client ID", "Start Date", "Allotted Units", "Rate", "Comments", "Double"]
ROWS = [
    ["A1", "C1", date(2026, 1, 5), 10, 2.5, "first", "=D2*2"],
    ["A2", "C2", datetime(2026, 2, 5, 13, 30), 3, None, None, "=D3*2"],
    [None, None, None, None, None, None, None],  # a blank row inside the Table
    ["A4", "C1", date(2026, 4, 1), -1, 1234.125, "=not a formula?", None],
    ["A5", "C3", date(2026, 5, 1), 0, 0.1, "  spaced  ", None],
]
BEYOND = {8: ["A8", "C9", date(2026, 8, 8), 8, None, "past the Table's range", None]}
HIDDEN_ROWS = (3, 5)
FORMULA_RESULTS = {"G2": 20, "G3": 6}


def build_sample(path: Path) -> Path:
    """An Auths sheet (a Table, with dates, numbers, text, blanks, formulas with cached results,
    hidden rows, a row below the Table) and a Notes sheet with a plain AutoFilter."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Auths"
    ws.append(HEADERS)
    for values in ROWS:
        ws.append(values)
    for row, values in BEYOND.items():
        for col, value in enumerate(values, start=1):
            ws.cell(row, col, value)
    ws["F5"].data_type = "s"  # text that starts with "=", not a formula
    for row in range(2, 9):
        ws.cell(row, 3).number_format = "mm/dd/yyyy"
        ws.cell(row, 5).number_format = '"$"#,##0.00'
    ws["D2"].fill = PatternFill("solid", fgColor="FFDDEEFF")
    ws["A1"].font = Font(bold=True)
    for row in HIDDEN_ROWS:
        ws.row_dimensions[row].hidden = True
    table = Table(displayName="Auths", ref="A1:G6")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    notes = wb.create_sheet("Notes")
    notes.append(["Note ID", "Units", "Service Date"])
    for i in range(2, 12):
        notes.append([f"N{i}", i % 3 + 1, date(2026, 1, i)])
        notes.cell(i, 3).number_format = "yyyy-mm-dd"
    notes.auto_filter.ref = "A1:C11"
    alerts = wb.create_sheet("Alerts")
    alerts.append(["Auth #", "Alert", "Since"])
    alerts["A1"].font = Font(bold=True)
    for i in range(2, 6):
        alerts.append([f"A{i}", "LOW", date(2026, 2, i)])
        alerts.cell(i, 3).number_format = "mm/dd/yyyy"
    alerts.add_table(Table(displayName="Alerts", ref="A1:C5"))
    wb.save(path)
    _add_cached_results(path, "xl/worksheets/sheet1.xml", FORMULA_RESULTS)
    return path


def _add_cached_results(path: Path, part: str, results: dict[str, object]) -> None:
    """openpyxl writes formulas without results: add them, as Excel would have saved them."""

    def change(name: str, data: bytes) -> bytes:
        if name == part:
            for ref, value in results.items():
                start = data.index(f'<c r="{ref}"'.encode())
                end = data.index(b"</c>", start)
                cell = data[start:end].replace(b"<v />", b"").replace(b"<v/>", b"")
                data = data[:start] + cell + b"<v>%s</v>" % str(value).encode() + data[end:]
        return data

    rewrite_parts(path, change)


def write_workbook(path: Path, sheets: dict[str, list[list]], hidden=(), tables=()) -> Path:
    """An openpyxl workbook of ``sheets`` (name -> rows, None for an empty cell; dates
    formatted as dates). ``hidden`` rows and ``tables`` (name, ref) are the first sheet's.
    openpyxl writes text as inline strings."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is not None:
                    ws.cell(r, c, value)
                    if isinstance(value, (date, datetime)):
                        ws.cell(r, c).number_format = "mm/dd/yyyy"
        if len(wb.worksheets) == 1:
            for row in hidden:
                ws.row_dimensions[row].hidden = True
            for table_name, ref in tables:
                ws.add_table(Table(displayName=table_name, ref=ref))
    wb.save(path)
    return path


def rewrite_parts(path: Path, change) -> None:
    """Rewrite the package's parts in place: ``change(name, data)`` gives each part's new
    bytes (as another program would have written them)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, change(info.filename, zin.read(info)))
    tmp.replace(path)


CALC_CHAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
CALC_CHAIN_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"


def with_calc_chain(path: Path, entries: bytes) -> None:
    """Give the package the calculation chain Excel writes for a workbook with formulas
    (``entries``: its ``<c .../>`` elements), with its relationship and content type."""

    def change(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            override = f'<Override PartName="/xl/calcChain.xml" ContentType="{CALC_CHAIN_TYPE}"/>'
            return data.replace(b"</Types>", override.encode() + b"</Types>")
        if name == "xl/_rels/workbook.xml.rels":
            rel = f'<Relationship Id="rIdChain" Type="{CALC_CHAIN_REL}" Target="calcChain.xml"/>'
            return data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
        return data

    rewrite_parts(path, change)
    chain = b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/calcChain.xml", chain + entries + b"</calcChain>")


def set_cells(path: Path, part: str, cells: dict[str, bytes]) -> None:
    """Replace whole ``<c>`` elements of ``part``, as another program would have written them."""

    def change(name: str, data: bytes) -> bytes:
        if name == part:
            for ref, xml in cells.items():
                start = data.index(f'<c r="{ref}"'.encode())
                end = data.index(b"</c>", start) + len(b"</c>")
                data = data[:start] + xml + data[end:]
        return data

    rewrite_parts(path, change)


def parts(path: Path) -> dict[str, bytes]:
    """Every entry of a package, uncompressed."""
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def written_with(monkeypatch, src: Path, writes, **settings) -> dict[str, bytes]:
    """The parts ``xlsx.writer.write_sheets`` makes of ``src`` with ``writes`` while the
    ``settings`` of the xlsx modules (APPEND_FAST=False, FORK_ROWS=1, ...) are in force,
    each set in the module that holds it."""
    from authbook.workbook.xlsx import appended, child, entries, sheet, writer

    with tempfile.TemporaryDirectory() as tmp, monkeypatch.context() as m:
        for name, value in settings.items():
            holder = next(mod for mod in (sheet, appended, entries, child) if hasattr(mod, name))
            m.setattr(holder, name, value)
        out = Path(tmp) / "out.xlsx"
        writer.write_sheets(src, out, writes)
        return parts(out)


RESAVE = """
import sys
doc = load(sys.argv[1])
doc.storeToURL(file_url(sys.argv[2]), props(FilterName="Calc MS Excel 2007 XML"))
doc.close(True)
print("ok")
"""

READ_CELLS = """
import json, sys
doc = load(sys.argv[1])
out = {}
for name in sys.argv[2:]:
    sheet = doc.Sheets.getByName(name)
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    last_col, last_row = cursor.RangeAddress.EndColumn, cursor.RangeAddress.EndRow
    cells = []
    for r in range(last_row + 1):
        row = []
        for c in range(last_col + 1):
            cell = sheet.getCellByPosition(c, r)
            kind = cell.Type.value
            if kind == "EMPTY":
                row.append(None)
            elif kind == "TEXT":
                row.append({"text": cell.String})
            elif kind == "FORMULA":
                row.append({"formula": cell.Formula, "value": cell.Value, "text": cell.String})
            else:
                row.append({"value": cell.Value, "format": cell.NumberFormat})
        cells.append(row)
    out[name] = cells
doc.close(True)
print(json.dumps(out))
"""


def resave_with_libreoffice(office, uno_python: str, src: Path, dst: Path) -> Path:
    lo_helpers.run_uno_script(uno_python, office, RESAVE, str(src), str(dst))
    return dst


def libreoffice_cells(office, uno_python: str, path: Path, *sheets: str) -> dict[str, list]:
    """The cells LibreOffice sees: None, {"text"}, {"value"} or {"formula", "value"}."""
    result = lo_helpers.run_uno_script(uno_python, office, READ_CELLS, str(path), *sheets)
    return json.loads(result.stdout)


def excel_serial(value: date | datetime | time) -> float:
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    delta = moment - datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400
