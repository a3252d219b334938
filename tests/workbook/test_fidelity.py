"""Workbook fidelity (issue 7): a refresh of a workbook a real spreadsheet program built changes
the computed cells and generated sheets, and not one byte of anything else; LibreOffice reads
back what it wrote and, recalculating on its own, agrees with AuthBook's numbers; a refresh
killed at any moment leaves the old or the new workbook and an intact backup.
"""

from __future__ import annotations

import os
import random
import re
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import TableColumn, TableFormula

from authbook import cli
from authbook.services import refresh as app
from authbook.workbook import memory, schema, template
from authbook.workbook.fastread import read_package, read_sheets
from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.xlsx import child, writer
from authbook.workbook.xlsx.rows import column_number
from authbook.workbook.xlsxfile import FastWorkbookFile, RefreshLock, WorkbookError, WorkbookFile
from tests.workbook import lo_fixtures
from tests.workbook.lo_fixtures import lo_helpers, parts

TODAY = date(2026, 3, 1)
ROOT = Path(__file__).resolve().parents[2]


def col(spec: schema.Sheet, header: str) -> int:
    return spec.headers.index(header) + 1


def letter(spec: schema.Sheet, header: str) -> str:
    return schema.column_letter(col(spec, header))


def refresh(path: Path) -> app.Computed:
    return app.refresh_store(FastWorkbookFile(path), TODAY, user="tester")


def tiny_png(path: Path) -> Path:
    raw = b"".join(b"\x00" + b"\x20\x60\xc0" * 4 for _ in range(4))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    png = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png)
    return path


def small_practice() -> dict[str, list[dict]]:
    auths = [
        {
            "auth_no": f"A{i}",
            "client_id": "C1" if i < 4 else "C2",
            "billing_code": "90834" if i % 2 else "90837",
            "start_date": date(2026, 1, 1),
            "end_date": date(2026, 12, 31) if i != 3 else date(2026, 3, 10),
            "allotted_units": 6 + i,
        }
        for i in range(1, 7)
    ]
    notes = [
        {
            "note_id": f"N{i}",
            "client_id": "C1" if i % 3 else "C2",
            "service_date": date(2026, 1, 2) + timedelta(days=3 * i),
            "billing_code": "90834" if i % 2 else "90837",
            "units": 1 + i % 2,
            "status": ("Released", "Pending", "Draft")[i % 3],
        }
        for i in range(1, 16)
    ]
    clients = [
        {"client_id": c, "last_name": "Person", "first_name": c, "active": True}
        for c in ("C1", "C2")
    ]
    return {"Clients": clients, "Auths": auths, "Notes": notes}


BUILD_WITH_LIBREOFFICE = r"""
import sys
from com.sun.star.awt import Point, Rectangle, Size
from com.sun.star.lang import Locale
from com.sun.star.sheet.DataPilotFieldOrientation import DATA, ROW
from com.sun.star.sheet.GeneralFunction import SUM
from com.sun.star.table import CellAddress, CellRangeAddress

src, dst, png, units_col, extra_col = sys.argv[1:6]
units_col, extra_col = int(units_col), int(extra_col)
doc = load(src)
sheets = doc.Sheets
index = {n: i for i, n in enumerate(sheets.ElementNames)}
auths, notes = sheets.getByName("Auths"), sheets.getByName("Notes")
cursor = auths.createCursor()
cursor.gotoEndOfUsedArea(False)
last_row = cursor.RangeAddress.EndRow
units_letter = auths.getCellByPosition(units_col, 0).AbsoluteName.split("$")[2]

# an extra user column, right of the Table (one empty column between), with its own formula
auths.getCellByPosition(extra_col, 0).String = "My Calc"
for r in range(1, last_row + 1):
    auths.getCellByPosition(extra_col, r).Formula = "=%s%d*2" % (units_letter, r + 1)
# a custom number format on an input column
formats = doc.NumberFormats
key = formats.queryKey('0.0" u"', Locale(), False)
if key == -1:
    key = formats.addNew('0.0" u"', Locale())
auths.getCellRangeByPosition(units_col, 1, units_col, last_row).NumberFormat = key
# a comment
auths.Annotations.insertNew(CellAddress(index["Auths"], 0, 1), "checked by the biller")
# a chart over the Auths Table
source = CellRangeAddress(index["Auths"], units_col, 0, units_col, last_row)
auths.Charts.addNewByName("UnitsChart", Rectangle(1000, 8000, 9000, 6000), (source,), True, False)
# an image
image = doc.createInstance("com.sun.star.drawing.GraphicObjectShape")
image.GraphicURL = file_url(png)
auths.DrawPage.add(image)
image.Position, image.Size = Point(12000, 1000), Size(2000, 2000)
# a pivot table over Notes, on a sheet of its own
sheets.insertNewByName("Pivot", len(sheets.ElementNames))
ncursor = notes.createCursor()
ncursor.gotoEndOfUsedArea(False)
pivots = sheets.getByName("Pivot").DataPilotTables
descriptor = pivots.createDataPilotDescriptor()
descriptor.SourceRange = CellRangeAddress(
    index["Notes"], 0, 0, ncursor.RangeAddress.EndColumn, ncursor.RangeAddress.EndRow)
descriptor.DataPilotFields.getByIndex(1).Orientation = ROW
units = descriptor.DataPilotFields.getByIndex(5)
units.Orientation, units.Function = DATA, SUM
pivots.insertNewByName("NotesPivot", CellAddress(len(sheets.ElementNames) - 1, 0, 0), descriptor)
doc.storeToURL(file_url(dst), props(FilterName="Calc MS Excel 2007 XML"))
doc.close(True)
print("ok")
"""


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    soffice, uno_python = lo_helpers.require_libreoffice()
    workdir = tmp_path_factory.mktemp("office")
    with lo_helpers.running_office(soffice, workdir) as running:
        yield running, uno_python


@pytest.fixture(scope="module")
def built(office, tmp_path_factory):
    """The small practice, with a chart, pivot, comment, image, user column and custom format
    added and saved by LibreOffice."""
    running, uno_python = office
    folder = tmp_path_factory.mktemp("fidelity")
    src = template.write_new(folder / "by-authbook.xlsx", small_practice())
    dst = folder / "by-libreoffice.xlsx"
    units = col(schema.AUTHS, "Allotted Units") - 1
    extra = len(schema.AUTHS.columns) + 1  # 0-based: one empty column after the Table
    lo_helpers.run_uno_script(
        uno_python, running, BUILD_WITH_LIBREOFFICE, str(src), str(dst),
        str(tiny_png(folder / "logo.png")), str(units), str(extra),
    )  # fmt: skip
    return dst


#: What Excel puts on the root of every worksheet: the markup-compatibility namespaces and
#: the revision id (LibreOffice declares some of the namespaces itself).
EXCEL_ROOT = {
    b"xmlns:mc": b"http://schemas.openxmlformats.org/markup-compatibility/2006",
    b"mc:Ignorable": b"x14ac xr xr2 xr3",
    b"xmlns:x14ac": b"http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac",
    b"xmlns:xr": b"http://schemas.microsoft.com/office/spreadsheetml/2014/revision",
    b"xmlns:xr2": b"http://schemas.microsoft.com/office/spreadsheetml/2015/revision2",
    b"xmlns:xr3": b"http://schemas.microsoft.com/office/spreadsheetml/2016/revision3",
    b"xr:uid": b"{00000000-0001-0000-0000-000000000000}",
}
_LO_ROW = re.compile(rb'<row r="(\d+)"([^>]*?)(/?)>')


def as_excel_writes_it(name: str, data: bytes) -> bytes:
    """A worksheet part LibreOffice wrote, in the dialect Excel writes: the root's extra
    namespaces, each row as ``<row r="n" spans="1:w" x14ac:dyDescent="0.25">`` (hidden
    rows kept hidden), ``x14ac:dyDescent`` on the sheet's row format, cells without the
    defaults LibreOffice spells out (``s="0"``, ``t="n"``) and formulas without ``aca``."""
    if re.fullmatch(r"xl/tables/table\d+\.xml", name):
        return _table_as_excel_writes_it(data)
    if not re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
        return data
    dimension = re.search(rb'<dimension ref="[A-Z]+\d+:([A-Z]+)\d+"', data)
    width = column_number(dimension.group(1)) if dimension else 1

    def row(m: re.Match) -> bytes:
        hidden = b' hidden="1"' if re.search(rb'hidden="(?:true|1)"', m.group(2)) else b""
        spans = b' spans="1:%d"' % width
        return b'<row r="%s"%s%s x14ac:dyDescent="0.25"%s>' % (
            m.group(1),
            spans,
            hidden,
            m.group(3),
        )

    root = re.search(rb"<worksheet\b[^>]*", data)
    adds = b"".join(
        b' %s="%s"' % (attr, value)
        for attr, value in EXCEL_ROOT.items()
        if b" " + attr + b"=" not in root.group(0)
    )
    data = data[: root.end()] + adds + data[root.end() :]
    data = _LO_ROW.sub(row, data)
    data = re.sub(rb"(<sheetFormatPr\b[^>]*?)(/?>)", rb'\1 x14ac:dyDescent="0.25"\2', data)
    data = re.sub(rb'(<c r="[A-Z]+\d+")((?: [a-z]+="[^"]*")*?) s="0"', rb"\1\2", data)
    data = re.sub(rb'(<c r="[A-Z]+\d+"[^>]*?) t="n"', rb"\1", data)
    return data.replace(b'<f aca="false">', b"<f>")


def _table_as_excel_writes_it(data: bytes) -> bytes:
    """A Table part in Excel's dialect: revision ids on the table, its AutoFilter and each
    column, with the namespaces they need."""
    root = re.search(rb"<table\b[^>]*", data)
    adds = b"".join(
        b' %s="%s"' % (attr, EXCEL_ROOT[attr])
        for attr in (b"xmlns:mc", b"xmlns:xr", b"xmlns:xr3")
        if b" " + attr + b"=" not in root.group(0)
    )
    adds += b' mc:Ignorable="xr xr3" xr:uid="{00000000-000C-0000-FFFF-FFFF00000000}"'
    data = data[: root.end()] + adds + data[root.end() :]
    data = re.sub(rb'(<autoFilter ref="[^"]*")>\s*</autoFilter>', rb"\1/>", data)
    data = re.sub(
        rb'(<autoFilter ref="[^"]*")', rb'\1 xr:uid="{00000000-0009-0000-0000-000000000000}"', data
    )
    return re.sub(
        rb'(<tableColumn id="(\d+)")',
        lambda m: m.group(1) + b' xr3:uid="{00000000-0010-0000-0000-%012d}"' % int(m.group(2)),
        data,
    )


@pytest.fixture(scope="module", params=["libreoffice", "excel"])
def saved(request, built, tmp_path_factory):
    """The ``built`` workbook as LibreOffice saved it, and the same in Excel's dialect."""
    if request.param == "libreoffice":
        return built
    path = tmp_path_factory.mktemp("excel") / "by-excel.xlsx"
    path.write_bytes(built.read_bytes())
    lo_fixtures.rewrite_parts(path, as_excel_writes_it)
    return path


def _user_content(path: Path) -> dict:
    """Everything a refresh must not change: every input cell, formulas included."""
    names = [s.name for s in schema.SHEETS if not s.generated]
    sheets = read_sheets(path, names)
    out = {}
    for name, sheet in sheets.items():
        spec = schema.sheet(name)
        computed = {c.header for c in spec.columns if c.computed}
        keep = [i for i, h in enumerate(sheet.headers) if h not in computed]
        own = {i + 1 for i in keep} | set(range(len(sheet.headers) + 1, 16385))
        out[name] = {r.row: ([r.values[i] for i in keep], r.formulas & own) for r in sheet.rows}
    return out


def test_refresh_changes_only_computed_cells_and_generated_sheets(saved, tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(saved.read_bytes())
    before = parts(path)
    user_before = _user_content(path)
    refresh(path)
    after = parts(path)
    with __import__("zipfile").ZipFile(path) as zf:
        package = read_package(zf)
    # Issue 25: the first refresh adds AuthBook's memory of the Auths inputs, a very hidden
    # sheet registered in the workbook part, its relationships and content types.
    added = package.sheets[memory.SHEET].part
    assert list(after) == [*before, added]
    written = {s.name for s in schema.SHEETS if s.generated or s.computed}
    written.add(schema.DASHBOARD_SHEET)  # rebuilt by every refresh (its cells only)
    allowed = {"xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"}
    allowed |= {"[Content_Types].xml", added}
    for name in written & set(package.sheets):
        allowed.add(package.sheets[name].part)
        allowed.update(t.part for t in package.sheets[name].tables)
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= allowed, changed - allowed
    for kind in ("chart", "pivot", "media", "comments", "drawing", "sharedStrings", "workbook.xml"):
        assert any(kind in name for name in before), f"LibreOffice did not write a {kind}"
    assert _user_content(path) == user_before
    ws = load_workbook(path)["Auths"]
    assert ws.cell(2, col(schema.AUTHS, "Allotted Units")).number_format == '0.0" u"'
    assert ws.cell(2, len(schema.AUTHS.columns) + 2).value.startswith("=")


def _column_ids(table: bytes) -> dict[bytes, bytes]:
    """Column name -> the revision id Excel gave it, in a Table part."""
    found = re.findall(rb'<tableColumn id="\d+" xr3:uid="([^"]*)" name="([^"]*)"', table)
    return {name: uid for uid, name in found}


def test_a_sheet_excel_wrote_keeps_its_namespaces_and_every_rows_attributes(built, tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(built.read_bytes())
    lo_fixtures.rewrite_parts(path, as_excel_writes_it)
    before = parts(path)
    refresh(path)
    after = parts(path)
    with __import__("zipfile").ZipFile(path) as zf:
        package = read_package(zf)
    checked = 0
    for name in ("Clients", "Auths", "Notes"):
        part = package.sheets[name].part
        old, new = before[part], after[part]
        assert b'mc:Ignorable="x14ac xr xr2 xr3"' in old  # the dialect is there to keep
        assert re.search(rb"<worksheet\b[^>]*>", new).group(0) == (
            re.search(rb"<worksheet\b[^>]*>", old).group(0)
        )
        rows = re.findall(rb'<row r="(\d+)"[^>]*>', old)
        assert len(rows) > 2
        assert re.findall(rb'<row r="(\d+)"[^>]*? x14ac:dyDescent="0.25"[^>]*>', new) == rows
        assert b'x14ac:dyDescent="0.25"' in re.search(rb"<sheetFormatPr\b[^>]*>", new).group(0)
        checked += (name != "Clients") and old != new  # the computed sheets were written
    assert checked == 2
    tables = [n for n in after if n.startswith("xl/tables/")]
    assert tables
    for name in tables:  # every Table, re-fitted or not, keeps its ids and their namespaces
        root = re.search(rb"<table\b[^>]*>", after[name]).group(0)
        assert b'mc:Ignorable="xr xr3"' in root and b"xr:uid=" in root
        for prefix in (b"mc", b"xr", b"xr3"):
            assert b"xmlns:" + prefix + b"=" in root, (name, prefix)
        ElementTree.fromstring(after[name])
        old_ids, new_ids = _column_ids(before[name]), _column_ids(after[name])
        assert old_ids, name  # the dialect gave every column its id
        names = re.findall(rb'<tableColumn\b[^>]*? name="([^"]*)"', after[name])
        assert {n: new_ids.get(n) for n in names if n in old_ids} == {
            n: old_ids[n] for n in names if n in old_ids
        }
    assert any(after[n] != before[n] for n in tables)  # some were re-fitted


@pytest.mark.parametrize("left", ["other formulas left", "none left"])
def test_a_value_written_over_a_formula_takes_it_out_of_the_calculation_chain_only(
    built, tmp_path, left
):
    """A formula typed into a computed cell is replaced by the value, and the cell taken out
    of Excel's calculation chain (Excel calls a chain naming a cell without a formula damage);
    a chain left empty goes with its relationship and content type. Every other part, the
    picture and the pivot table included, stays as it was."""
    path = tmp_path / "book.xlsx"
    path.write_bytes(built.read_bytes())
    refresh(path)  # Used Units has its cells now
    used = letter(schema.AUTHS, "Used Units")
    with __import__("zipfile").ZipFile(path) as zf:
        auths = read_package(zf).sheets["Auths"].part
    lo_fixtures.set_cells(
        path, auths, {f"{used}2": f'<c r="{used}2"><f>1+1</f><v>2</v></c>'.encode()}
    )
    mine = letter(schema.AUTHS, "Allotted Units")
    users = [f'<c r="{schema.column_letter(len(schema.AUTHS.columns) + 2)}{r}"/>' for r in (2, 3)]
    others = "".join(users).encode() if left == "other formulas left" else b""
    lo_fixtures.with_calc_chain(path, f'<c r="{used}2" i="2"/>'.encode() + others)
    before = parts(path)
    user_before = _user_content(path)
    refresh(path)
    after = parts(path)
    assert mine != used
    assert re.search(rf'<c r="{used}2"[^>]*>(?:(?!</c>).)*<f>'.encode(), after[auths]) is None
    if left == "other formulas left":
        assert list(after) == list(before)
        assert after["xl/calcChain.xml"].endswith(
            users[0].replace(" r=", ' i="2" r=').encode() + users[1].encode() + b"</calcChain>"
        )
    else:
        assert list(after) == [n for n in before if n != "xl/calcChain.xml"]
        assert b"calcChain" not in after["[Content_Types].xml"]
        assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
        for name in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
            assert after[name] == before[name].replace(
                re.search(rb"<[^<]*calcChain[^>]*>", before[name]).group(0), b""
            )
    unchanged = {n for n in after if n in before and after[n] == before[n]}
    assert {n for n in before if "media" in n or "pivot" in n} <= unchanged
    assert _user_content(path) == user_before


MY_CALC = len(schema.AUTHS.columns) + 2  # the user's own column, with a formula per row


def test_a_value_written_over_the_first_cell_of_a_filled_down_formula_leaves_the_rest_theirs(
    built, office, tmp_path
):
    """Excel keeps a formula filled down as one shared formula: its text in the first cell,
    the others pointing at it. A value written over the first cell gives each of the others
    the formula in full, moved to its row, as Excel does when a cell of the group is typed
    over; nothing else of the workbook changes."""
    running, uno_python = office
    path = tmp_path / "book.xlsx"
    path.write_bytes(built.read_bytes())
    mine = schema.column_letter(MY_CALC)
    units = letter(schema.AUTHS, "Allotted Units")
    with __import__("zipfile").ZipFile(path) as zf:
        auths = read_package(zf).sheets["Auths"].part
    rows = range(2, 8)  # the six auths

    def filled_down(name: str, data: bytes) -> bytes:
        if name != auths:
            return data
        for r in rows:
            shared = (
                f'<f t="shared" ref="{mine}2:{mine}7" si="0">{units}2*2</f>'
                if r == 2
                else '<f t="shared" si="0"/>'
            )
            data = re.sub(
                rf'(<c r="{mine}{r}"[^>]*>)<f aca="false">{units}{r}\*2</f>'.encode(),
                lambda m, shared=shared: m.group(1) + shared.encode(),
                data,
            )
        return data

    lo_fixtures.rewrite_parts(path, filled_down)
    assert parts(path)[auths].count(b'si="0"') == 6
    out = tmp_path / "written.xlsx"
    writer.write_sheets(path, out, {"Auths": SheetWrite(cells={(2, MY_CALC): 99})})
    before, after = parts(path), parts(out)
    assert {n for n in before if before[n] != after[n]} == {auths}
    xml = after[auths]
    assert re.search(rf'<c r="{mine}2"[^>]*><v>99</v></c>'.encode(), xml)
    for r in rows[1:]:
        assert re.search(rf'<c r="{mine}{r}"[^>]*><f>{units}{r}\*2</f><v>'.encode(), xml), r
    assert b"si=" not in xml
    seen = lo_fixtures.libreoffice_cells(running, uno_python, out, "Auths")["Auths"]
    assert seen[1][MY_CALC - 1] == {"value": 99, "format": seen[1][MY_CALC - 1]["format"]}
    for r in rows[1:]:
        cell = seen[r - 1][MY_CALC - 1]
        assert cell["formula"] == f"={units}{r}*2"
        assert cell["value"] == 2 * seen[r - 1][col(schema.AUTHS, "Allotted Units") - 1]["value"]


def _calculated(table: bytes) -> dict[str, bytes]:
    """Column name -> its calculated-column formula, in a Table part."""
    found = re.findall(
        rb'<tableColumn [^>]*?name="([^"]*)"[^>]*>\s*<calculatedColumnFormula>([^<]*)<', table
    )
    return {name.decode(): formula for name, formula in found}


def _as_calculated_columns(path: Path, formulas: dict[str, tuple[str, int]]) -> tuple[str, str]:
    """Make the Auths Table's columns of ``formulas`` (header -> formula, its cached result)
    calculated columns, as Excel does when a formula is typed into one of their cells: the
    formula on the Table column, and in every data cell with its result. The parts of the
    sheet and Table."""
    with zipfile.ZipFile(path) as zf:
        sheet = read_package(zf).sheets["Auths"]
    table = sheet.tables[0].part
    rows = range(2, 8)  # the six auths

    def calculated(name: str, data: bytes) -> bytes:
        for header, (formula, result) in formulas.items():
            if name == table:
                data, found = re.subn(
                    rf'(<tableColumn [^>]*?name="{header}"[^>]*?)/>'.encode(),
                    rf"\1><calculatedColumnFormula>{formula}</calculatedColumnFormula>"
                    "</tableColumn>".encode(),
                    data,
                )
                assert found == 1, header
            elif name == sheet.part:
                at = letter(schema.AUTHS, header)
                for r in rows:
                    cell = f'<c r="{at}{r}"><f>{formula}</f><v>{result}</v></c>'.encode()
                    data, found = re.subn(
                        rf'<c r="{at}{r}"(?:[^>]*/>|[^>]*>.*?</c>)'.encode(), cell, data
                    )
                    assert found == 1, (header, r)
        return data

    lo_fixtures.rewrite_parts(path, calculated)
    return sheet.part, table


@pytest.mark.parametrize("adapter", [FastWorkbookFile, WorkbookFile])
def test_a_computed_column_made_a_calculated_column_gets_values_and_stops_being_one(
    built, office, tmp_path, adapter
):
    """A formula typed into a computed column of the Auths Table makes it, in Excel, a
    calculated column: Excel fills its formula into new rows and flags every cell that
    differs. A refresh writes AuthBook's values over the cells and takes the formula off
    the column; a calculated column of the user's own keeps its formula, and its cells
    theirs. A second refresh changes nothing. The same with the openpyxl adapter (the
    fallback when the surgical writer cannot)."""
    running, uno_python = office
    path = tmp_path / "book.xlsx"
    path.write_bytes(built.read_bytes())
    lo_fixtures.rewrite_parts(path, as_excel_writes_it)
    refresh(path)  # Used Units has its cells now
    used = "Auths[[#This Row],[Allotted Units]]-1"
    mine = "Auths[[#This Row],[Start Date]]+180"
    end = 46023 + 180  # 1/1/2026 + 180
    sheet, table = _as_calculated_columns(path, {"Used Units": (used, 0), "End Date": (mine, end)})
    before = parts(path)
    assert _calculated(before[table]) == {
        "Used Units": used.encode(),
        "End Date": mine.encode(),
    }
    app.refresh_store(adapter(path), TODAY, user="tester")
    after = parts(path)
    with zipfile.ZipFile(path) as zf:
        table_now = read_package(zf).sheets["Auths"].tables[0].part  # openpyxl renames it
    assert _calculated(after[table_now]) == {"End Date": mine.encode()}
    if adapter is FastWorkbookFile:  # nothing else of the Table changed
        gone = f"><calculatedColumnFormula>{used}</calculatedColumnFormula></tableColumn>"
        assert after[table] == before[table].replace(gone.encode(), b"/>")
    at = col(schema.AUTHS, "Used Units")
    ours = {r.row: r for r in read_sheets(path, ["Auths"])["Auths"].rows}
    seen = lo_fixtures.libreoffice_cells(running, uno_python, path, "Auths")["Auths"]
    level = col(schema.AUTHS, "End Date")
    for r in range(2, 8):
        assert at not in ours[r].formulas and level in ours[r].formulas, r
        assert seen[r - 1][at - 1]["value"] == ours[r].values[at - 1], r
        assert seen[r - 1][level - 1]["formula"].startswith("="), r
    assert any(ours[r].values[at - 1] for r in range(2, 8))  # not the cached results
    if adapter is FastWorkbookFile:  # (openpyxl keeps no formula's last result)
        refresh(path)
        assert parts(path) == after


DAYS_LEFT = "Auths[[#This Row],[End Date]]-DATE(2026,3,1)"


@pytest.mark.parametrize("command", ["bulk-add", "renew"])
def test_rows_added_to_a_table_get_its_calculated_column_as_excel_fills_it(
    office, tmp_path, command
):
    """A calculated column of the user's own in the Auths Table (Days Left: End Date less a
    date) gets its formula in the rows bulk-add or renew adds, as Excel fills a calculated column
    into a new row of a Table; with no result saved, the spreadsheet calculates it when it
    opens the file. The rows already there keep theirs."""
    running, uno_python = office
    path = template.write_new(tmp_path / "book.xlsx", small_practice())
    wb = load_workbook(path)
    ws = wb["Auths"]
    at = len(schema.AUTHS.columns) + 1
    ws.cell(1, at).value = "Days Left"
    for r in range(2, 8):
        ws.cell(r, at).value = "=" + DAYS_LEFT
    table = ws.tables["Auths"]
    table.ref = f"A1:{schema.column_letter(at)}7"
    table.tableColumns.append(
        TableColumn(
            id=at, name="Days Left", calculatedColumnFormula=TableFormula(attr_text=DAYS_LEFT)
        )
    )
    wb.save(path)
    argv = {
        "bulk-add": ["bulk-add", str(path), "--code-group", "Medication Management", "--clients",
                     "C2", "--allotted", "4", "--start", "3/1/2026", "--end", "8/31/2026", "--yes"],
        "renew": ["renew", str(path), "A3", "--force"],
    }[command]  # fmt: skip
    assert cli.main([*argv, "--user", "tester"]) in (0, 1)
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(read_package(zf).sheets["Auths"].part)
    letter_at = schema.column_letter(at)
    added = [int(n) for n in re.findall(rb'<row r="(\d+)"', xml) if int(n) > 7]
    assert added, "bulk-add added no row"
    for r in added:
        cell = re.search(rf'<c r="{letter_at}{r}"[^>]*>(.*?)</c>'.encode(), xml)
        assert cell and cell.group(1) == f"<f>{DAYS_LEFT}</f>".encode(), r
    seen = lo_fixtures.libreoffice_cells(running, uno_python, path, "Auths")["Auths"]
    for r in [*range(2, 8), *added]:
        cell = seen[r - 1][at - 1]
        end = seen[r - 1][col(schema.AUTHS, "End Date") - 1]["value"]
        assert cell["formula"].startswith("="), r
        assert cell["value"] == end - lo_fixtures.excel_serial(date(2026, 3, 1)), r


FORMATS_SEEN = """
import json, sys
doc = load(sys.argv[1])
sheet = doc.Sheets.getByName(sys.argv[2])
out = {"validation": {}}
for ref in sys.argv[3:]:
    out["validation"][ref] = sheet.getCellRangeByName(ref).Validation.Type.value
found = sheet.ConditionalFormats.getConditionalFormats()
out["formats"] = [f.Range.RangeAddressesAsString for f in found]
doc.close(True)
print(json.dumps(out))
"""


def _formats_seen(office, path: Path, sheet: str, *cells: str) -> dict:
    """What LibreOffice sees: the conditional formats' ranges of ``sheet``, and the kind of
    data validation of each of ``cells``."""
    running, uno_python = office
    result = lo_helpers.run_uno_script(uno_python, running, FORMATS_SEEN, str(path), sheet, *cells)
    return __import__("json").loads(result.stdout)


def _format_and_validate(ws, formatted: list[str], validated: list[str]) -> None:
    """A fill for values under 8 over each of ``formatted``, whole numbers only in each of
    ``validated``, as a user sets them in Excel."""
    red = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
    for ref in formatted:
        ws.conditional_formatting.add(ref, CellIsRule(operator="lessThan", formula=["8"], fill=red))
    for ref in validated:
        rule = DataValidation(type="whole", operator="between", formula1="0", formula2="500")
        rule.add(ref)
        ws.add_data_validation(rule)


@pytest.mark.parametrize("adapter", [FastWorkbookFile, WorkbookFile])
def test_formats_and_validations_over_a_tables_rows_cover_the_rows_added_to_it(
    office, tmp_path, adapter
):
    """A conditional format or a data validation over a column's data rows in the Auths
    Table (rows 2-7) covers the rows AuthBook adds below them (bulk-add, renew, import), as
    Excel has it cover a row added to the Table; one over only some of the rows stays as it
    is. LibreOffice reads the result."""
    path = template.write_new(tmp_path / "book.xlsx", small_practice())
    units, days = letter(schema.AUTHS, "Allotted Units"), letter(schema.AUTHS, "Exp Alert Days")
    wb = load_workbook(path)
    _format_and_validate(wb["Auths"], [f"{units}2:{units}7", f"{units}3:{units}5"],
                         [f"{days}2:{days}7"])  # fmt: skip
    wb.save(path)
    before = _formats_seen(office, path, "Auths", f"{days}7", f"{days}9")
    assert before["validation"] == {f"{days}7": "WHOLE", f"{days}9": "ANY"}
    new_rows = {(r, col(schema.AUTHS, "Auth #")): f"B{r}" for r in (8, 9)}
    store = adapter(path)
    store.apply({"Auths": SheetWrite(cells=new_rows, last_row=9)})
    store.save()
    after = _formats_seen(office, path, "Auths", f"{days}7", f"{days}9")
    assert after["validation"] == {f"{days}7": "WHOLE", f"{days}9": "WHOLE"}
    assert f"Auths.{units}2:{units}9" in after["formats"]
    assert f"Auths.{units}3:{units}5" in after["formats"]
    assert f"Auths.{units}2:{units}7" not in after["formats"]
    # the ranges Excel's own template gives every row of the sheet are left as they are
    assert sorted(f for f in after["formats"] if "1048576" in f) == sorted(
        f for f in before["formats"] if "1048576" in f
    )


CHART_RANGES = """
import json, sys
doc = load(sys.argv[1])
sheet = doc.Sheets.getByName("Auths")
chart = sheet.Charts.getByIndex(0)
found = [[r.StartColumn, r.StartRow, r.EndColumn, r.EndRow] for r in chart.getRanges()]
system = chart.EmbeddedObject.getFirstDiagram().getCoordinateSystems()[0]
values = []
for kind in system.getChartTypes():
    for s in kind.getDataSeries():
        for sequence in s.getDataSequences():
            values.append(list(sequence.getValues().getData()))
doc.close(True)
print(json.dumps({"ranges": found, "values": values}))
"""


def test_a_chart_over_a_tables_column_takes_in_the_rows_added_to_it(saved, office, tmp_path):
    """A chart over the Allotted Units of the Auths Table (rows 2-7, made by LibreOffice)
    shows the auths bulk-add adds below them too, as Excel extends a chart over a Table's
    column when the Table grows: its range ends at the new last row, and the values it had
    cached are left for the spreadsheet to read again from the cells."""
    running, uno_python = office
    path = tmp_path / "book.xlsx"
    path.write_bytes(saved.read_bytes())
    units = letter(schema.AUTHS, "Allotted Units")
    over = f"Auths!${units}$2:${units}$7".encode()
    charts = [n for n, data in parts(path).items() if n.startswith("xl/charts/") and over in data]
    assert len(charts) == 1  # LibreOffice's (the Dashboard's are over the Dashboard)
    argv = ["bulk-add", str(path), "--code-group", "Medication Management", "--clients", "C2",
            "--allotted", "4", "--start", "3/1/2026", "--end", "8/31/2026", "--yes"]  # fmt: skip
    assert cli.main([*argv, "--user", "tester"]) in (0, 1)
    last = max(r.row for r in read_sheets(path, ["Auths"])["Auths"].rows)
    assert last > 7
    chart = parts(path)[charts[0]]
    assert f"Auths!${units}$2:${units}${last}".encode() in chart
    assert b"numCache" not in chart.split(b"<c:val>")[1].split(b"</c:val>")[0]
    result = lo_helpers.run_uno_script(uno_python, running, CHART_RANGES, str(path))
    seen = __import__("json").loads(result.stdout)
    column = col(schema.AUTHS, "Allotted Units") - 1
    assert [column, 0, column, last - 1] in seen["ranges"]  # (with the series name, G1)
    allotted = [r.values[column] for r in read_sheets(path, ["Auths"])["Auths"].rows]
    assert allotted[-1] == 4 and allotted in seen["values"]


def _ranges_in(path: Path, sheet: str) -> list[bytes]:
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(read_package(zf).sheets[sheet].part)
    return re.findall(rb'<conditionalFormatting[^>]*\ssqref="([^"]*)"', xml)


@pytest.mark.parametrize("adapter", [FastWorkbookFile, WorkbookFile])
def test_a_format_over_the_alerts_follows_them_as_their_number_changes(tmp_path, adapter):
    """The generated sheets change length at every refresh: a conditional format over all
    the Alerts rows still covers all of them after a refresh with more alerts, after one
    with none (the Table keeps one empty row) and after one with more again."""
    path = template.write_new(tmp_path / "book.xlsx", small_practice())
    app.refresh_store(adapter(path), TODAY, user="tester")
    count = len(read_sheets(path, ["Alerts"])["Alerts"].rows)
    assert count == 3
    wb = load_workbook(path)
    _format_and_validate(wb["Alerts"], ["A2:A4"], [])
    wb.save(path)
    seen = []
    for as_of in (date(2026, 2, 1), date(2026, 6, 1), date(2026, 2, 1), date(2026, 2, 1)):
        app.refresh_store(adapter(path), as_of, user="tester")
        seen.append((len(read_sheets(path, ["Alerts"])["Alerts"].rows), _ranges_in(path, "Alerts")))
    assert seen == [(4, [b"A2:A5"]), (0, [b"A2"]), (4, [b"A2:A5"]), (4, [b"A2:A5"])]


def _rows_without_numbers(path: Path, sheet: str) -> None:
    """Leave the row numbers out of a sheet, as some programs other than Excel write it."""
    with __import__("zipfile").ZipFile(path) as zf:
        part = read_package(zf).sheets[sheet].part
    lo_fixtures.rewrite_parts(
        path,
        lambda name, data: re.sub(rb'(<row) r="\d+"', rb"\1", data) if name == part else data,
    )


def test_a_refresh_that_would_cost_the_workbook_its_pictures_is_refused_with_why(built, tmp_path):
    """What the surgical writer cannot do (here: a sheet without row numbers) would need the
    whole file saved another way; a workbook that would lose a picture, a chart or a pivot
    table by it is left exactly as it was, and the message says why."""
    path = tmp_path / "book.xlsx"
    path.write_bytes(built.read_bytes())
    _rows_without_numbers(path, "Auths")
    before = path.read_bytes()
    with pytest.raises(WorkbookError) as refused:
        refresh(path)
    message = str(refused.value)
    assert "book.xlsx was not changed: the Auths sheet has a row without its number" in message
    assert "would lose its charts, pictures or pivot tables" in message
    assert path.read_bytes() == before


def test_a_workbook_with_nothing_to_lose_is_still_refreshed_when_the_writer_cannot(tmp_path):
    """Only AuthBook's own Dashboard charts would be lost, and it draws them again."""
    path = template.write_new(tmp_path / "book.xlsx", small_practice())
    refresh(path)
    used = col(schema.AUTHS, "Used Units")
    computed = [c.value for c in next(load_workbook(path)["Auths"].iter_cols(used, used))]
    assert any(n.startswith("xl/charts/") for n in parts(path))  # the Dashboard's
    _rows_without_numbers(path, "Auths")
    refresh(path)  # saved by openpyxl
    assert [c.value for c in next(load_workbook(path)["Auths"].iter_cols(used, used))] == computed
    assert any(n.startswith("xl/charts/") for n in parts(path))
    with __import__("zipfile").ZipFile(path) as zf:
        auths = zf.read(read_package(zf).sheets["Auths"].part)
    assert b'<row r="2"' in auths  # written anew, with its numbers


def test_a_second_refresh_leaves_every_part_byte_identical(saved, tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(saved.read_bytes())
    refresh(path)
    first = parts(path)
    refresh(path)
    assert parts(path) == first


#: The commands that change input cells, each refreshing in the same save.
EDITS = {
    "bulk-update": ["bulk-update", "{book}", "--where", "Client ID=C1", "--set",
                    "Exp Alert Days=45", "--yes"],
    "bulk-add": ["bulk-add", "{book}", "--code-group", "Medication Management", "--clients",
                 "C2", "--allotted", "4", "--start", "3/1/2026", "--end", "8/31/2026", "--yes"],
    "renew": ["renew", "{book}", "A3", "--force"],
    "import": ["import", "{tracker}", "--into", "{book}", "--yes"],
}  # fmt: skip
#: The parts an edit may change: the sheets, their Tables, the styles and the lists of
#: parts (a sheet the workbook lacked, the AuditLog say, is added).
EDITABLE = re.compile(
    r"xl/worksheets/sheet\d+\.xml|xl/worksheets/_rels/.*|xl/tables/table\d+\.xml|xl/styles\.xml"
    r"|xl/workbook\.xml|xl/_rels/workbook\.xml\.rels|\[Content_Types\]\.xml|docProps/app\.xml"
)


@pytest.mark.parametrize("command", EDITS)
def test_an_edit_keeps_every_other_part_of_the_workbook_byte_for_byte(saved, tmp_path, command):
    """bulk-update, bulk-add, renew and import save as surgically as a refresh: the picture,
    charts, pivot table, comments and every other part but the sheets are kept byte for
    byte, and so is every input cell of the Notes sheet, which none of them edits. The one
    exception: a command that adds auths has the chart over the Auths column take them in
    (its range, and its cached values left out), and changes nothing else of it."""
    path = tmp_path / "book.xlsx"
    path.write_bytes(saved.read_bytes())
    refresh(path)  # so that what differs is the edit's
    tracker = tmp_path / "tracker.csv"
    tracker.write_text(
        "Auth #,Client ID,Billing Code,Start Date,End Date,Allotted Units\n"
        "B1,C2,90837,3/1/2026,8/31/2026,12\n"
    )
    before = parts(path)
    notes_before = _user_content(path)["Notes"]
    argv = [a.format(book=path, tracker=tracker) for a in EDITS[command]]
    assert cli.main([*argv, "--user", "tester"]) in (0, 1)
    after = parts(path)
    assert set(before) <= set(after)
    kept = [n for n in before if not EDITABLE.fullmatch(n)]
    assert any("media" in n for n in kept) and any("pivot" in n for n in kept)
    units = letter(schema.AUTHS, "Allotted Units")
    over = f"Auths!${units}$2:${units}$7"
    chart = next(n for n in kept if n.startswith("xl/charts/") and over.encode() in before[n])
    changed = {n for n in kept if after[n] != before[n]}
    if command == "bulk-update":
        assert changed == set()
    else:
        assert changed == {chart}
        last = max(r.row for r in read_sheets(path, ["Auths"])["Auths"].rows)
        moved = re.sub(rf"(<c:f>{re.escape(over)}</c:f>)<c:numCache>.*?</c:numCache>".encode(),
                       rb"\1", before[chart], flags=re.S)  # fmt: skip
        assert after[chart] == moved.replace(over.encode(), f"{over[:-1]}{last}".encode())
    assert any(after[n] != before[n] for n in before)  # the edit was saved
    assert _user_content(path)["Notes"] == notes_before


MACRO_ENABLED = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_RELATIONSHIP = b"http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def as_macro_enabled(src: Path, dst: Path) -> Path:
    """``src`` made an .xlsm as Excel saves one: a VBA project (AuthBook's own module),
    related from the workbook, with the macro-enabled content types."""
    from authbook.functions import addin

    vba = addin.vba_project_bin(addin.module_source())
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = re.sub(rb"application/vnd\.openxmlformats-officedocument\.spreadsheetml"
                              rb"\.sheet\.main\+xml", MACRO_ENABLED, data)  # fmt: skip
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType='
                                    b'"application/vnd.ms-office.vbaProject"/></Types>')  # fmt: skip
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="'
                                    + VBA_RELATIONSHIP + b'" Target="vbaProject.bin"/>'
                                    b"</Relationships>")  # fmt: skip
            zout.writestr(info, data)
        zout.writestr("xl/vbaProject.bin", vba)
    return dst


@pytest.mark.parametrize("command", ["refresh", "bulk-update"])
def test_a_macro_enabled_workbook_keeps_its_vba_project_and_stays_one(saved, tmp_path, command):
    """A practice's .xlsm, refreshed or edited, keeps its macros byte for byte and is still
    a macro-enabled workbook (its content type and the workbook's link to the project)."""
    path = as_macro_enabled(saved, tmp_path / "book.xlsm")
    before = parts(path)
    argv = {"refresh": ["refresh", str(path), "--as-of", TODAY.isoformat()],
            "bulk-update": ["bulk-update", str(path), "--where", "Client ID=C1",
                            "--set", "Exp Alert Days=45", "--yes"]}[command]  # fmt: skip
    assert cli.main([*argv, "--user", "tester"]) in (0, 1)
    after = parts(path)
    assert after != before
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert MACRO_ENABLED in after["[Content_Types].xml"]
    assert b"vbaProject" in after["[Content_Types].xml"]
    assert VBA_RELATIONSHIP in after["xl/_rels/workbook.xml.rels"]
    kept = [n for n in before if not EDITABLE.fullmatch(n)]
    assert {n for n in kept if after[n] != before[n]} == set()


def test_libreoffice_reads_back_the_computed_values(saved, office, tmp_path):
    running, uno_python = office
    path = tmp_path / "book.xlsx"
    path.write_bytes(saved.read_bytes())
    refresh(path)
    ours = read_sheets(path, ["Auths", "Notes"])
    seen = lo_fixtures.libreoffice_cells(running, uno_python, path, "Auths", "Notes")
    checked = 0
    for name, spec in (("Auths", schema.AUTHS), ("Notes", schema.NOTES)):
        for c in (c for c in spec.columns if c.computed):
            index = ours[name].headers.index(c.header)
            for row in ours[name].rows:
                value = row.values[index]
                cell = seen[name][row.row - 1][index] if index < len(seen[name][0]) else None
                if value is None:
                    assert cell is None, (name, row.row, c.header)
                elif isinstance(value, str):
                    assert cell == {"text": value}, (name, row.row, c.header)
                elif isinstance(value, datetime):
                    assert cell["value"] == lo_fixtures.excel_serial(value)
                else:
                    assert cell["value"] == pytest.approx(value), (name, row.row, c.header)
                checked += 1
    assert checked > 50


# --- an independent recomputation -------------------------------------------------------


def plain_practice(notes: int = 2000, seed: int = 3) -> dict[str, list[dict]]:
    """Auths without groups or overlaps (one per client and code), notes with explicit units."""
    rng = random.Random(seed)
    clients = [f"C{i:03d}" for i in range(60)]
    codes = ("90832", "90834", "90837")
    auths = []
    for c in clients:
        for code in codes:
            start = date(2025, 6, 1) + timedelta(days=rng.randrange(120))
            auths.append(
                {
                    "auth_no": f"P{len(auths):05d}",
                    "client_id": c,
                    "billing_code": code,
                    "start_date": start,
                    "end_date": start + timedelta(days=rng.randrange(90, 300)),
                    "allotted_units": rng.randrange(5, 40),
                }
            )
    note_rows = [
        {
            "note_id": f"N{i:05d}",
            "client_id": rng.choice(clients),
            "service_date": date(2025, 6, 1) + timedelta(days=rng.randrange(450)),
            "billing_code": rng.choice(codes),
            "units": rng.randrange(1, 4),
            "status": rng.choice(("Released", "Released", "Pending", "Draft")),
        }
        for i in range(notes)
    ]
    people = [{"client_id": c, "last_name": "P", "first_name": c, "active": True} for c in clients]
    return {"Clients": people, "Auths": auths, "Notes": note_rows}


RECALCULATE = """
import json, sys
doc = load(sys.argv[1])
doc.calculateAll()
sheet = doc.Sheets.getByName("Recalc")
rows = int(sys.argv[2])
data = sheet.getCellRangeByPosition(0, 0, 1, rows - 1).DataArray
doc.close(True)
print(json.dumps([list(r) for r in data]))
"""


def test_libreoffice_recalculating_sumifs_agrees_with_used_and_pending(office, tmp_path):
    running, uno_python = office
    path = template.write_new(tmp_path / "plain.xlsx", plain_practice())
    refresh(path)
    auths = read_sheets(path, ["Auths"])["Auths"]
    used_at = auths.headers.index("Used Units")
    pending_at = auths.headers.index("Pending Units")
    expected = [[r.values[used_at] or 0, r.values[pending_at] or 0] for r in auths.rows]

    n = {h: letter(schema.NOTES, h) for h in schema.NOTES.headers}
    a = {h: letter(schema.AUTHS, h) for h in schema.AUTHS.headers}

    def sumifs(row: int, status: str) -> str:
        def rng(h):
            return f"Notes!${n[h]}$2:${n[h]}$100000"

        return (
            f"=SUMIFS({rng('Units')},{rng('Client ID')},Auths!{a['Client ID']}{row},"
            f"{rng('Billing Code')},Auths!{a['Billing Code']}{row},"
            f'{rng("Service Date")},">="&Auths!{a["Start Date"]}{row},'
            f'{rng("Service Date")},"<="&Auths!{a["End Date"]}{row},'
            f'{rng("Status")},"{status}")'
        )

    copy = tmp_path / "with-formulas.xlsx"
    wb = load_workbook(path)
    ws = wb.create_sheet("Recalc")
    for i, row in enumerate(auths.rows, start=1):
        ws.cell(i, 1, sumifs(row.row, "Released"))
        ws.cell(i, 2, sumifs(row.row, "Pending"))
    wb.save(copy)
    result = lo_helpers.run_uno_script(uno_python, running, RECALCULATE, str(copy), str(i))
    recalculated = __import__("json").loads(result.stdout)
    assert len(auths.rows) == 180 and sum(u for u, _ in expected) > 100
    assert recalculated == expected


# --- crash safety and locking ---------------------------------------------------------------

DRIVER = """
import sys
from datetime import date
from authbook.services import refresh as app
from authbook.workbook import xlsxfile
from authbook.workbook.xlsx import child
from authbook.parallel import notes as app_notes
from authbook.workbook import fastread
app.WorkbookFile = getattr(xlsxfile, "FastWorkbookFile", xlsxfile.WorkbookFile)
child.FORK_ROWS = int(sys.argv[2])
app_notes.SIDE_BY_SIDE_NOTES = int(sys.argv[3])
if child.FORK_ROWS == 1:  # the Notes sheet read in pieces too, each a temporary file
    fastread.SPLIT_BYTES, fastread.PIECE_BYTES = 0, 1 << 15
app.refresh_file(sys.argv[1], date(2026, 3, 1), user="tester")
"""


def _run_refresh(
    path: Path, fork_rows: int = child.FORK_ROWS, side_by_side: int = 10**9, temp=None
) -> subprocess.Popen:
    """A refresh of ``path`` in a process of its own; ``temp``: its temporary folder."""
    env = dict(os.environ, TMPDIR=str(temp)) if temp else None
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(path), str(fork_rows), str(side_by_side)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


def _refreshes_running(path: Path) -> list[int]:
    """The processes (a refresh, or the child writing its Notes sheet) still at ``path``."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(path).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize(
    "fork_rows, side_by_side, refreshed_before",
    [
        (child.FORK_ROWS, 10**9, False),
        pytest.param(1, 1, False, marks=pytest.mark.skipif(not child.FORK, reason="Linux")),
        pytest.param(1, 1, True, marks=pytest.mark.skipif(not child.FORK, reason="Linux")),
    ],
    ids=["one process", "notes in a child process", "notes drawn by a helper"],
)
def test_a_refresh_killed_at_any_moment_leaves_the_old_or_the_new_workbook(
    tmp_path, fork_rows, side_by_side, refreshed_before
):
    """Killed at any moment, a refresh leaves the old workbook or the new one, never a
    process of its own behind (the child writing Notes, the helper drawing half the notes
    of a workbook refreshed before: they die with it) nor a file in the temporary folder
    (the practice's data), and ``.bak`` holds the old one. What it was writing beside the
    workbook is deleted by the next run."""
    original = template.write_new(tmp_path / "original.xlsx", plain_practice(notes=1500))
    if refreshed_before:  # a month earlier: this refresh changes statuses and alerts
        app.refresh_file(original, date(2026, 2, 1), user="tester")
    old = original.read_bytes()
    folder = tmp_path / "practice"
    folder.mkdir()
    path = folder / "book.xlsx"
    path.write_bytes(old)
    temp = tmp_path / "temp"
    temp.mkdir()
    # how long a whole refresh takes: the slower of two (one run alone on a busy machine
    # can be quick enough that every kill timed from it lands before the save)
    durations, made = [], []
    for _ in range(2):
        path.write_bytes(old)
        started = time.monotonic()
        done = _run_refresh(path, fork_rows, side_by_side, temp)
        assert done.wait(timeout=300) == 0, done.stderr.read().decode()
        durations.append(time.monotonic() - started)
        made.append(path.read_bytes())
    duration = max(durations)
    new = made[0]
    assert new != old and made[1] == new
    backup = path.with_name(path.name + ".bak")
    outcomes = {"old": 0, "new": 0}
    runs = 24
    for i in range(runs):
        backup.unlink(missing_ok=True)
        path.write_bytes(old)
        run = _run_refresh(path, fork_rows, side_by_side, temp)
        time.sleep(duration * (0.2 + 1.8 * i / runs))  # the last ones finish
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
        for _ in range(50):  # a child writing Notes dies with its parent
            if not _refreshes_running(path):
                break
            time.sleep(0.1)
        assert not _refreshes_running(path), f"run {i}: a process of the killed refresh is left"
        assert not list(temp.iterdir()), f"run {i}: the killed refresh left temporary files"
        now = path.read_bytes()
        assert now in (old, new), f"run {i}: the workbook is neither the old nor the new one"
        outcomes["old" if now == old else "new"] += 1
        if backup.exists():
            assert backup.read_bytes() == old, f"run {i}: the backup is not the old workbook"
        read_sheets(path, ["Auths"])  # it opens
    assert outcomes["old"] and outcomes["new"], outcomes  # the kills did land before and after
    # a lock left by a killed run does not block the next refresh, which deletes what the
    # killed runs were writing beside the workbook
    done = _run_refresh(path, fork_rows, side_by_side, temp)
    assert done.wait(timeout=300) == 0, done.stderr.read().decode()
    assert path.read_bytes() == new
    assert sorted(p.name for p in folder.iterdir()) == ["book.xlsx", "book.xlsx.bak"]
    assert not list(temp.iterdir())


def test_every_file_a_save_writes_beside_the_workbook_is_one_the_next_run_deletes(
    tmp_path, monkeypatch
):
    """What a save writes beside the workbook before renaming it into place (the new
    workbook, the backup, the copy that hides the memory sheet) is named so that the next
    run deletes it if this one is killed meanwhile: the kill test above catches a stray name
    only when a kill happens to land on it."""
    import tempfile

    path = template.write_new(tmp_path / "book.xlsx", small_practice())
    made: list[str] = []
    mkstemp = tempfile.mkstemp

    def recording_mkstemp(*args, **kwargs):
        fd, name = mkstemp(*args, **kwargs)
        if Path(name).parent == tmp_path:
            made.append(Path(name).name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", recording_mkstemp)
    app.refresh_file(path, TODAY, user="tester")  # the first: it adds the memory sheet
    assert memory.is_very_hidden(path)
    app.refresh_file(path, TODAY + timedelta(days=40), user="tester")
    monkeypatch.undo()
    assert len(made) >= 4, made  # workbook, copy hiding the memory, backup, at least twice
    for name in made:
        (tmp_path / name).write_bytes(b"PK half a workbook")
    with RefreshLock(path):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "book.xlsx.bak"]


def test_a_second_refresh_at_the_same_time_is_refused(tmp_path):
    path = template.write_new(tmp_path / "book.xlsx", small_practice())
    before = path.read_bytes()
    with RefreshLock(path):
        with pytest.raises(WorkbookError, match="another AuthBook run"):
            app.refresh_file(path, TODAY, user="tester")
        run = _run_refresh(path)
        assert run.wait(timeout=120) != 0
        assert b"another AuthBook run" in run.stderr.read()
    assert path.read_bytes() == before


def test_a_refresh_deletes_what_a_killed_run_was_writing_beside_the_workbook(tmp_path):
    """A run killed while saving leaves its half-written workbook and backup beside the
    workbook (hidden files); the next run, once it holds the lock, deletes them and only
    them."""
    path = template.write_new(tmp_path / "book.xlsx", small_practice())
    leftovers = [".book.xlsx.k1l2m3n_.tmp", ".book.xlsx.bak.0a9z8y7x.tmp"]
    others = [".other.xlsx.k1l2m3n_.tmp", ".book.xlsx.note.tmp", "book.xlsx.k1l2m3n_.tmp"]
    for name in leftovers + others:
        (tmp_path / name).write_bytes(b"PK half a workbook")
    app.refresh_file(path, TODAY, user="tester")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["book.xlsx", "book.xlsx.bak", *others]
    )
