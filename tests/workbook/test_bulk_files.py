"""Bulk updates on real files, as properties: the AuditLog undoes exactly what was done, and
only the rows the filter lists change."""

from __future__ import annotations

import itertools
import re
import zipfile
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import FilterColumn, Filters

from authbook.cli import main
from authbook.rules import bulk
from authbook.services import bulk as app
from authbook.workbook import rawbook, schema
from authbook.workbook.fastread import read_package
from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.xlsx import writer
from authbook.workbook.xlsxfile import FastWorkbookFile, WorkbookFile
from tests.bulk_fixtures import (
    AS_OF,
    audit_log,
    input_cells,
    make_book,
    same_cell,
    sheet_rows,
    undo_from_log,
)
from tests.workbook import lo_fixtures

PAYERS = ("Aetna", "Cigna", "Medicaid")
SETS = {
    "End Date": st.sampled_from(["2026-12-31", "9/30/2026"]),
    "Unit Alert Level": st.sampled_from(["1", "3", ""]),
    "Payer": st.sampled_from(["Aetna", "Medicaid", ""]),
    "Comments": st.sampled_from(["renewed", "=looks like a formula", ""]),
    "Exclude From Notes": st.sampled_from(["Y", "N"]),
}
counter = itertools.count()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payers=st.sets(st.sampled_from(PAYERS), min_size=1),
    sets=st.sets(st.sampled_from(sorted(SETS)), min_size=1).flatmap(
        lambda keys: st.fixed_dictionaries({k: SETS[k] for k in sorted(keys)})
    ),
)
def test_applying_the_logged_changes_in_reverse_restores_the_inputs(
    tmp_path_factory, monkeypatch, payers, sets
):
    monkeypatch.setenv("AUTHBOOK_USER", "pat")
    folder = tmp_path_factory.mktemp(f"bulk{next(counter)}")
    path = make_book(folder)
    original = input_cells(path)
    payer_of = {row: v["Payer"] for row, v in sheet_rows(path, "Auths").items()}
    args = ["bulk-update", str(path), "--where", "Payer=" + ",".join(sorted(payers))]
    for header, value in sets.items():
        args += ["--set", f"{header}={value}"]
    assert main([*args, "--yes", "--as-of", AS_OF.isoformat()]) in (0, 1)

    after = input_cells(path)
    changed_rows = {k[1] for k in set(original) | set(after) if original.get(k) != after.get(k)}
    listed = {row for row, payer in payer_of.items() if payer in payers}
    assert changed_rows <= listed | {9}  # row 9's blank Auth # is numbered by the refresh

    undone = folder / "undone.xlsx"
    undo_from_log(path, undone)
    restored = input_cells(undone)
    assert set(restored) == set(original)
    assert all(same_cell(restored[k], original[k]) for k in original)


@pytest.mark.parametrize("adapter", [WorkbookFile, FastWorkbookFile])
def test_the_python_api_works_through_either_file_adapter(tmp_path, adapter):
    """What the ribbon will call: select, plan, write and refresh, in one save."""
    path = make_book(tmp_path)
    original = input_cells(path)
    store = adapter(path)
    sheets = store.read_sheets([s.name for s in schema.SHEETS])
    raw, _ = rawbook.raw_book(sheets)
    rows, errors = bulk.select_auth_rows(raw, [bulk.Where(field="payer", values=("Aetna",))])
    plan = bulk.plan_bulk_update(raw, rows, {"end_date": "12/31/2026"}, "pat", AS_OF)
    assert errors == [] and plan.ok
    writes = app.plan_writes(sheets, plan, "pat", datetime(2026, 3, 1, 9, 30))
    app.apply_and_refresh(store, sheets, writes, AS_OF, AS_OF, "pat")
    assert path.with_name(path.name + ".bak").exists()
    log = audit_log(path)
    assert [(e["Row"], e["Column"]) for e in log] == [
        (2, "End Date"),
        (3, "End Date"),
        (5, "End Date"),
        (9, "Auth #"),
    ]
    assert sheet_rows(path, "Auths")[5]["Active"] == "Y"  # refreshed: no longer expired
    undo_from_log(path, tmp_path / "undone.xlsx")
    restored = input_cells(tmp_path / "undone.xlsx")
    assert set(restored) == set(original)
    assert all(same_cell(restored[k], original[k]) for k in original)


def test_a_sheet_autofilter_without_a_table_is_read_like_excel_saves_it(tmp_path, monkeypatch):
    """Excel's plain-range AutoFilter: <autoFilter> in the sheet with a filterColumn, rows
    hidden, the sheet in filterMode."""
    monkeypatch.setenv("AUTHBOOK_USER", "pat")
    path = make_book(tmp_path)
    wb = load_workbook(path)
    ws = wb["Auths"]
    del ws.tables["Auths"]
    ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{ws.max_row}"
    ws.auto_filter.filterColumn.append(FilterColumn(colId=1, filters=Filters(filter=["C4"])))
    ws.sheet_properties.filterMode = True
    for row in range(2, ws.max_row + 1):
        ws.row_dimensions[row].hidden = ws.cell(row, 2).value != "C4"
    wb.save(path)
    before = sheet_rows(path, "Auths")
    args = ["bulk-update", str(path), "--visible", "--set", "Exp Alert Days=30", "--yes"]
    assert main([*args, "--as-of", AS_OF.isoformat()]) == 0
    after = sheet_rows(path, "Auths")
    changed = {r for r in before if before[r]["Exp Alert Days"] != after[r]["Exp Alert Days"]}
    assert changed == {6, 7}


END_DATE = schema.AUTHS.headers.index("End Date") + 1


def _filled_down(path, formula: bytes, last_row: int) -> str:
    """Put ``formula`` (of row 2) in End Date rows 2 to ``last_row`` as Excel keeps a formula
    filled down: one shared formula, its text in the first cell, the cached values kept.
    Returns the Auths sheet's part."""
    end = schema.column_letter(END_DATE).encode()
    with zipfile.ZipFile(path) as zf:
        part = read_package(zf).sheets["Auths"].part
        xml = zf.read(part)
    first = b'<f t="shared" ref="%s2:%s%d" si="0">%s</f>' % (end, end, last_row, formula)
    cells = {}
    for r in range(2, last_row + 1):
        cell = re.search(rb'<c r="%s%d"[^>]*?>.*?</c>' % (end, r), xml).group(0)
        shared = first if r == 2 else b'<f t="shared" si="0"/>'
        cells[f"{end.decode()}{r}"] = cell.replace(b"<v>", shared + b"<v>")
    lo_fixtures.set_cells(path, part, cells)
    return part


def test_a_bulk_update_over_a_filled_down_formula_leaves_the_rows_it_does_not_change_theirs(
    tmp_path,
):
    """Excel keeps a formula filled down as one shared formula (its text in the first cell).
    A bulk update writing End Dates over the first cells gives the row it does not change
    the formula in full, moved to its row; the user's picture stays."""
    path = make_book(tmp_path)
    end = schema.column_letter(END_DATE).encode()
    part = _filled_down(path, b"E2+180", last_row=4)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n")  # the user's picture
    store = FastWorkbookFile(path)
    sheets = store.read_sheets([s.name for s in schema.SHEETS])
    raw, _ = rawbook.raw_book(sheets)
    rows, _ = bulk.select_auth_rows(raw, [bulk.Where(field="payer", values=("Aetna",))])
    plan = bulk.plan_bulk_update(raw, rows, {"end_date": "12/31/2026"}, "pat", AS_OF)
    assert [c.source.row for c in plan.changes if c.field == "end_date"] == [2, 3, 5]
    writes = app.plan_writes(sheets, plan, "pat", datetime(2026, 3, 1, 9, 30))
    app.apply_and_refresh(store, sheets, writes, AS_OF, AS_OF, "pat")
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(part)
        assert zf.read("xl/media/image1.png") == b"\x89PNG\r\n\x1a\n"
    assert re.search(rb'<c r="%s4"[^>]*><f>E4\+180</f><v>' % end, xml)
    assert b"si=" not in xml
    ws = load_workbook(path)["Auths"]
    assert [ws[f"{end.decode()}{r}"].value for r in (2, 3)] == [datetime(2026, 12, 31)] * 2


def test_a_shared_formula_that_cannot_be_moved_asks_for_the_file_saved_another_way(tmp_path):
    path = make_book(tmp_path)
    end = schema.column_letter(END_DATE).encode()
    _filled_down(path, b'"no end quote', last_row=3)
    with pytest.raises(writer.NeedsFullRewrite, match=rf"Auths!{end.decode()}2: its formula"):
        writer.write_sheets(
            path, tmp_path / "out.xlsx", {"Auths": SheetWrite(cells={(2, END_DATE): 5})}
        )
    assert not (tmp_path / "out.xlsx").exists()
