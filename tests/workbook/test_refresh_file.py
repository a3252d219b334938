"""Refreshing a real .xlsx file: what is written, what is never touched, and how it is saved."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from authbook import cli
from authbook.services import refresh as app
from authbook.workbook import rawbook, schema, template
from authbook.workbook.fastread import read_package
from authbook.workbook.sheetdata import Formula, SheetWrite
from authbook.workbook.xlsxfile import FastWorkbookFile, RefreshLock, WorkbookError, WorkbookFile
from tests.workbook import lo_fixtures

AS_OF = date(2026, 3, 1)

CLIENTS = [
    {
        "client_id": "C1",
        "last_name": "Testperson",
        "first_name": "Alex",
        "dob": date(1990, 5, 6),
        "primary_therapist": "Dr Ash",
        "primary_payer": "Self Pay",
        "active": True,
    },
    {"client_id": "C2", "last_name": "Sample", "first_name": "Bo", "active": True},
]
AUTHS = [
    {
        "auth_no": "A1",
        "client_id": "C1",
        "billing_code": "90834",
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 6, 30),
        "allotted_units": 10,
        "unit_alert_level": 8,
    },
    {
        "client_id": "C2",
        "billing_code": "90837",
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 6, 30),
        "allotted_units": 4,
    },
]
NOTES = [
    {
        "note_id": "N1",
        "client_id": "C1",
        "service_date": date(2026, 1, 5),
        "billing_code": "90834",
        "status": "Released",
        "units": 2,
    },
    {
        "note_id": "N2",
        "client_id": "C1",
        "service_date": date(2026, 1, 12),
        "billing_code": "90834",
        "status": "Pending",
    },
]


def make_book(tmp_path: Path, auths=AUTHS, notes=NOTES, clients=CLIENTS, name="book.xlsx"):
    path = tmp_path / name
    template.write_new(path, {"Clients": clients, "Auths": auths, "Notes": notes})
    (tmp_path / (name + ".bak")).unlink(missing_ok=True)
    return path


def column(ws, header: str) -> int:
    for cell in ws[1]:
        if cell.value == header:
            return cell.column
    raise KeyError(header)


def values_by_header(path: Path, sheet: str) -> list[dict[str, object]]:
    ws = load_workbook(path, data_only=True)[sheet]
    headers = [c.value for c in ws[1]]
    return [
        dict(zip(headers, row))
        for row in ws.iter_rows(min_row=2, values_only=True)
        if any(v is not None for v in row)
    ]


def input_cells(path: Path) -> dict[tuple[str, str, int, str], object]:
    """Every input cell of every input sheet, keyed by (sheet, row, header)."""
    wb = load_workbook(path)
    cells = {}
    for spec in schema.INPUT_SHEETS:
        ws = wb[spec.name]
        computed = {c.header for c in spec.computed}
        headers = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            for header, cell in zip(headers, row):
                if header not in computed:
                    cells[(spec.name, cell.row, str(header))] = cell.value
    return cells


def test_refresh_writes_computed_columns_as_plain_values(tmp_path):
    path = make_book(tmp_path)
    app.refresh_file(path, today=AS_OF)
    auths = values_by_header(path, "Auths")
    first = auths[0]
    assert (first["Used Units"], first["Pending Units"]) == (2, 1)
    assert (first["Remaining Units"], first["Available Units"]) == (8, 7)
    assert first["Active"] == "Y"
    assert first["Alert"] == "LOW: 8 units left"
    assert first["Primary Therapist"] == "Dr Ash"
    notes = values_by_header(path, "Notes")
    assert [n["Applied Auth #"] for n in notes] == ["A1", "A1"]
    assert notes[0]["Charge"] == 220
    assert notes[0]["Check"] == "OK"


def test_computed_dates_are_formatted_as_dates(tmp_path):
    path = make_book(tmp_path)
    app.refresh_file(path, today=AS_OF, user="pat")
    ws = load_workbook(path)["Auths"]
    cell = ws.cell(3, column(ws, "Last Edited Date"))
    assert isinstance(cell.value, datetime) and cell.is_date
    assert ws.cell(3, column(ws, "Last Edited By")).value == "pat"


def test_blank_auth_number_is_filled_in_the_file(tmp_path):
    path = make_book(tmp_path)
    app.refresh_file(path, today=AS_OF)
    auths = values_by_header(path, "Auths")
    assert auths[1]["Auth #"] == "AB000001"


def test_refresh_changes_no_input_the_user_typed(tmp_path):
    path = make_book(tmp_path)
    before = input_cells(path)
    app.refresh_file(path, today=AS_OF)
    after = input_cells(path)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed == {("Auths", 3, "Auth #")}  # only the generated number


def test_second_refresh_leaves_every_value_identical(tmp_path):
    path = make_book(tmp_path)
    app.refresh_file(path, today=AS_OF)
    first = {s: values_by_header(path, s) for s in schema.BY_NAME}
    app.refresh_file(path, today=AS_OF)
    second = {s: values_by_header(path, s) for s in schema.BY_NAME}
    assert first == second


def test_columns_are_found_by_header_name_and_user_columns_are_kept(tmp_path):
    path = make_book(tmp_path)
    wb = load_workbook(path)
    ws = wb["Auths"]
    # Move "Allotted Units" to the far right and add a user column with its own values.
    allotted = column(ws, "Allotted Units")
    last = ws.max_column + 1
    for row in range(1, ws.max_row + 1):
        ws.cell(row, last).value = ws.cell(row, allotted).value
        ws.cell(row, allotted).value = None
    ws.cell(1, allotted).value = "My Own Notes"
    ws.cell(2, allotted).value = "call payer"
    wb.save(path)
    app.refresh_file(path, today=AS_OF)
    auths = values_by_header(path, "Auths")
    assert auths[0]["Remaining Units"] == 8
    assert auths[0]["My Own Notes"] == "call payer"


def test_rows_typed_below_the_table_are_read_and_the_table_is_refit(tmp_path):
    path = make_book(tmp_path)
    wb = load_workbook(path)
    ws = wb["Notes"]
    assert ws.tables["Notes"].ref.endswith("3")
    ws.append(["N3", "C1", datetime(2026, 1, 19), None, "90834", 1, None, "Released"])
    wb.save(path)
    app.refresh_file(path, today=AS_OF)
    wb = load_workbook(path)
    # every column of the Notes sheet, whatever their number, down to the new row
    width = len(schema.NOTES.columns)
    assert wb["Notes"].tables["Notes"].ref == f"A1:{schema.column_letter(width)}4"
    assert values_by_header(path, "Auths")[0]["Used Units"] == 3


def test_bad_cells_are_listed_on_the_problems_sheet_and_good_rows_still_refresh(tmp_path):
    bad = dict(AUTHS[0], auth_no="BAD", end_date="2/30/2026")
    neg = dict(AUTHS[0], auth_no="NEG", allotted_units=-3)
    path = make_book(tmp_path, auths=[AUTHS[0], bad, neg])
    computed = app.refresh_file(path, today=AS_OF)
    problems = values_by_header(path, "Problems")
    found = {(p["Sheet"], p["Row"], p["Column"], p["Cell"]) for p in problems}
    ws = load_workbook(path)["Auths"]
    end_col = schema.column_letter(column(ws, "End Date"))
    units_col = schema.column_letter(column(ws, "Allotted Units"))
    assert ("Auths", 3, "End Date", f"{end_col}3") in found
    assert ("Auths", 4, "Allotted Units", f"{units_col}4") in found
    assert {p["Value"] for p in problems} >= {"2/30/2026", -3}
    assert values_by_header(path, "Auths")[0]["Remaining Units"] == 8
    assert len(computed.problems) == 2
    # The typed value is kept exactly as typed.
    assert ws.cell(3, column(ws, "End Date")).value == "2/30/2026"


def test_a_formula_saved_without_its_result_is_named_as_such_and_left_as_it_is(tmp_path):
    """A program that does not calculate (a script writing the file) saves a formula without
    its result, so the cell reads as blank: the problem says so, once, instead of calling
    the cell blank, and the formula stays; an Auth # that is such a formula gets no number
    written over it. A formula saved with its result is read."""
    path = make_book(tmp_path)
    ws = load_workbook(path)["Auths"]
    end = schema.column_letter(column(ws, "End Date"))
    start = schema.column_letter(column(ws, "Start Date"))
    with zipfile.ZipFile(path) as zf:
        auths = read_package(zf).sheets["Auths"].part
    lo_fixtures.set_cells(
        path,
        auths,
        {
            f"{end}2": f'<c r="{end}2"><f>{start}2+180</f></c>'.encode(),
            f"{end}3": f'<c r="{end}3"><f>{start}3+180</f><v>46203</v></c>'.encode(),
        },
    )
    number = b'<c r="A3"><f>"X-"&amp;ROW()</f></c>'  # the 2nd auth has no Auth #
    lo_fixtures.rewrite_parts(
        path,
        lambda name, data: (
            re.sub(rb'(<row r="3"[^>]*>)', rb"\1" + number, data) if name == auths else data
        ),
    )
    computed = app.refresh_file(path, today=AS_OF)
    about = [(p.source.row, p.field, p.message) for p in computed.problems]
    assert about == [(2, "end_date", rawbook.NO_RESULT), (3, "auth_no", rawbook.NO_RESULT)]
    assert computed.result.new_auth_numbers == {}
    ws = load_workbook(path)["Auths"]
    assert ws[f"{end}2"].value == f"={start}2+180"  # kept as it was
    assert ws[f"{end}3"].value == f"={start}3+180"
    assert ws["A3"].value == '="X-"&ROW()'
    rows = values_by_header(path, "Auths")
    assert rows[0]["Remaining Units"] is None  # its End Date is not known: not refreshed
    assert rows[1]["Remaining Units"] == 4  # read with its result, 1/1/2026 + 180
    problems = values_by_header(path, "Problems")
    assert [(p["Row"], p["Column"], p["Cell"]) for p in problems] == [
        (2, "End Date", f"{end}2"),
        (3, "Auth #", "A3"),
    ]


def _with_total_row(path: Path) -> tuple[str, str, bytes]:
    """Give the Auths Table a Total Row under its last auth, as Excel's Table Design > Total
    Row does: "Total" under Auth #, a SUBTOTAL of Allotted Units. Returns the parts of the
    sheet and the Table, and the row's XML."""
    with zipfile.ZipFile(path) as zf:
        sheet = read_package(zf).sheets["Auths"]
    units = schema.column_letter(schema.AUTHS.headers.index("Allotted Units") + 1)
    at = len(AUTHS) + 2
    row = (
        f'<row r="{at}"><c r="A{at}" t="inlineStr"><is><t>Total</t></is></c>'
        f'<c r="{units}{at}"><f>SUBTOTAL(109,Auths[Allotted Units])</f><v>14</v></c></row>'
    ).encode()

    def change(name: str, data: bytes) -> bytes:
        if name == sheet.tables[0].part:
            data = re.sub(rb'(<table\b[^>]*?ref="A1:[A-Z]+)\d+"', rb'\g<1>%d"' % at, data)
            return data.replace(b'headerRowCount="1"', b'headerRowCount="1" totalsRowCount="1"')
        if name == sheet.part:
            return data.replace(b"</sheetData>", row + b"</sheetData>")
        return data

    lo_fixtures.rewrite_parts(path, change)
    return sheet.part, sheet.tables[0].part, row


@pytest.mark.parametrize("adapter", [FastWorkbookFile, WorkbookFile])
def test_a_tables_total_row_is_not_an_auth_and_stays_where_it_is(tmp_path, adapter):
    """Excel's Total Row of the Auths Table is not an auth: no problem is reported on it,
    nothing is written into it, and the Table keeps it as its last row."""
    path = make_book(tmp_path)
    sheet, table, row = _with_total_row(path)
    before = lo_fixtures.parts(path)
    computed = app.refresh_store(adapter(path), AS_OF)
    assert [p for p in computed.problems if p.source.row == len(AUTHS) + 2] == []
    after = lo_fixtures.parts(path)
    ref = re.compile(rb'<table\b[^>]*?ref="([^"]*)"')
    assert ref.search(after[table]).group(1) == ref.search(before[table]).group(1)
    if adapter is FastWorkbookFile:  # byte for byte
        assert row in after[sheet]
        assert after[table] == before[table]
        app.refresh_file(path, today=AS_OF)
        assert lo_fixtures.parts(path) == after
    ws = load_workbook(path)["Auths"]
    assert ws.cell(len(AUTHS) + 2, 1).value == "Total"
    units = column(ws, "Allotted Units")
    assert ws.cell(len(AUTHS) + 2, units).value == "=SUBTOTAL(109,Auths[Allotted Units])"
    assert values_by_header(path, "Auths")[0]["Remaining Units"] == 8  # the auths refreshed


def test_new_rows_are_refused_above_a_total_row_with_what_to_do(tmp_path, capsys):
    """New auths would have to go above the Total Row, and AuthBook does not move rows: the
    bulk add is refused, saying what to do, and the workbook is left as it was."""
    path = make_book(tmp_path)
    _with_total_row(path)
    before = path.read_bytes()
    argv = ["bulk-add", str(path), "--code-group", "Outpatient Therapy", "--clients", "C2",
            "--allotted", "4", "--start", "3/1/2026", "--end", "8/31/2026", "--yes"]  # fmt: skip
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert f"Auths Table has a Total Row (row {len(AUTHS) + 2})" in err
    assert "Table Design > Total Row" in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("adapter", [FastWorkbookFile, WorkbookFile])
def test_only_a_formula_asked_for_as_one_is_written_as_a_formula(tmp_path, adapter):
    """A ``Formula`` (a Table's calculated column in an added row) is written as a formula
    with no result; text that looks like one stays text."""
    path = make_book(tmp_path)
    store = adapter(path)
    cells = {(5, 2): Formula("LEN(A2)*2"), (5, 3): "=LEN(A2)*2"}
    store.apply({"Notes": SheetWrite(cells=cells)})
    store.save(backup=False)
    ws = load_workbook(path)["Notes"]
    assert (ws["B5"].value, ws["B5"].data_type) == ("=LEN(A2)*2", "f")
    assert (ws["C5"].value, ws["C5"].data_type) == ("=LEN(A2)*2", "s")


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path):
    path = make_book(tmp_path, auths=[dict(AUTHS[0], end_date='=HYPERLINK("http://x","y")')])
    app.refresh_file(path, today=AS_OF)
    ws = load_workbook(path)["Problems"]
    value_cell = ws.cell(2, column(ws, "Value"))
    assert value_cell.value == '=HYPERLINK("http://x","y")'
    assert value_cell.data_type == "s"


def test_refresh_keeps_a_backup_of_the_previous_file(tmp_path):
    path = make_book(tmp_path)
    original = path.read_bytes()
    app.refresh_file(path, today=AS_OF)
    assert (tmp_path / "book.xlsx.bak").read_bytes() == original
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_workbook_open_in_excel_is_refused(tmp_path):
    path = make_book(tmp_path)
    (tmp_path / "~$book.xlsx").write_bytes(b"lock")
    before = path.read_bytes()
    with pytest.raises(WorkbookError, match="open in Excel"):
        app.refresh_file(path, today=AS_OF)
    assert path.read_bytes() == before


def test_a_second_refresh_at_the_same_time_is_refused(tmp_path):
    path = make_book(tmp_path)
    with RefreshLock(path):
        with pytest.raises(WorkbookError, match="another AuthBook run"):
            app.refresh_file(path, today=AS_OF)


def test_a_lock_left_by_a_dead_run_does_not_block_refresh(tmp_path):
    path = make_book(tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    lock = tmp_path / ".book.xlsx.authbook-lock"
    lock.write_text(dead.stdout.strip())
    app.refresh_file(path, today=AS_OF)
    assert not lock.exists()


def test_a_file_that_is_not_a_workbook_gets_a_clear_message(tmp_path):
    text = tmp_path / "notes.xlsx"
    text.write_text("hello")
    with pytest.raises(WorkbookError, match="not an Excel workbook"):
        app.refresh_file(text, today=AS_OF)


def test_a_workbook_excel_keeps_behind_a_password_is_named_as_such(tmp_path):
    locked = tmp_path / "book.xlsx"  # a password to open: Excel encrypts it, compound format
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(WorkbookError, match="book.xlsx is protected with a password, or .*xls"):
        app.refresh_file(locked, today=AS_OF)


def test_a_workbook_saved_as_strict_open_xml_is_refused_with_what_to_do(tmp_path):
    path = make_book(tmp_path)
    strict = {  # what Strict Open XML spells otherwise: relationships, the sheets' namespace
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
            b"http://purl.oclc.org/ooxml/officeDocument/relationships"
        ),
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
            b"http://purl.oclc.org/ooxml/spreadsheetml/main"
        ),
    }

    def as_strict(name: str, data: bytes) -> bytes:
        for transitional, purl in strict.items():
            data = data.replace(transitional, purl)
        return data

    lo_fixtures.rewrite_parts(path, as_strict)
    before = path.read_bytes()
    with pytest.raises(WorkbookError, match="Strict Open XML.*save it as an Excel Workbook"):
        app.refresh_file(path, today=AS_OF)
    assert path.read_bytes() == before


def test_template_cells_use_dropdowns_and_mark_computed_columns(tmp_path):
    path = make_book(tmp_path)
    ws = load_workbook(path)["Auths"]
    lists = {
        str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation
    }
    code_col = schema.column_letter(column(ws, "Billing Code"))
    yn_col = schema.column_letter(column(ws, "Unmanaged"))
    assert lists[code_col].startswith("BillingCodes!$A$2")
    assert lists[yn_col] == '"Y,N"'
    used = ws.cell(1, column(ws, "Used Units"))
    assert "Computed by AuthBook" in used.comment.text
    assert ws.freeze_panes == "A2"


def test_owner_only_files_stay_readable_after_save(tmp_path):
    path = make_book(tmp_path)
    os.chmod(path, 0o600)
    app.refresh_file(path, today=AS_OF)
    assert load_workbook(path)["Auths"]["A2"].value == "A1"


# --- a property over generated workbooks --------------------------------------------------


small_auths = st.lists(
    st.fixed_dictionaries(
        {
            "auth_no": st.sampled_from([None, "P1", "P2"]),
            "client_id": st.sampled_from(["C1", "C2"]),
            "billing_code": st.sampled_from(["90834", "90837"]),
            "start_date": st.dates(date(2026, 1, 1), date(2026, 2, 1)),
            "end_date": st.dates(date(2026, 2, 1), date(2026, 4, 1)),
            "allotted_units": st.integers(-1, 4),
            "auth_group": st.sampled_from([None, "Group 1"]),
            "unit_alert_level": st.sampled_from([None, 2]),
        }
    ),
    max_size=5,
)
small_notes = st.lists(
    st.fixed_dictionaries(
        {
            "client_id": st.sampled_from(["C1", "C2"]),
            "service_date": st.dates(date(2026, 1, 1), date(2026, 4, 1)),
            "billing_code": st.sampled_from(["90834", "90837"]),
            "status": st.sampled_from(["Draft", "Pending", "Released"]),
            "units": st.integers(1, 2),
        }
    ),
    max_size=8,
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(small_auths, small_notes)
def test_refreshing_a_file_twice_leaves_it_as_the_first_refresh_did(tmp_path, auths, notes):
    path = make_book(tmp_path, auths=auths, notes=notes, name="prop.xlsx")
    app.refresh_file(path, today=AS_OF)
    first = {s: values_by_header(path, s) for s in schema.BY_NAME}
    app.refresh_file(path, today=AS_OF)
    assert {s: values_by_header(path, s) for s in schema.BY_NAME} == first


def test_a_refresh_keeps_the_workbooks_permissions(tmp_path):
    path = make_book(tmp_path)
    os.chmod(path, 0o664)
    app.refresh_file(path, today=AS_OF)
    assert os.stat(path).st_mode & 0o777 == 0o664


def test_a_new_workbook_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = template.write_new(tmp_path / "new.xlsx")
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_a_refused_concurrent_refresh_names_the_workbook(tmp_path):
    path = make_book(tmp_path, name="conc.xlsx")
    with RefreshLock(path):
        with pytest.raises(WorkbookError, match=r"^conc\.xlsx is being changed"):
            app.refresh_file(path, today=AS_OF)
