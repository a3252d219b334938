"""The AuthBook ribbon buttons, run against an in-memory stand-in for the open workbook
(tests/functions/live_standin.py), compared with what the file path (``authbook refresh``)
makes of the same workbook."""

from __future__ import annotations

import shutil

import pytest
from openpyxl import load_workbook

from authbook import app
from authbook.cli import main
from authbook.functions import ribbon
from authbook.workbook.live import LiveWorkbook, excel_text, range_bounds, runs
from authbook.workbook.xlsxfile import WorkbookFile
from tests.functions.excel_fixtures import AS_OF, make_book, trim
from tests.functions.live_standin import Formula, StandinBook
from tests.functions.live_standin import excel_value as held

COMPARED = ("Auths", "Notes", "Alerts", "Problems", "Clients", "BillingCodes", "Settings")


@pytest.fixture(autouse=True)
def same_user(monkeypatch):
    monkeypatch.setenv("AUTHBOOK_USER", "tester")


@pytest.fixture
def files(tmp_path):
    """(the practice workbook, a copy refreshed by `authbook refresh`)."""
    path = make_book(tmp_path)
    refreshed = tmp_path / "refreshed.xlsx"
    shutil.copy(path, refreshed)
    assert main(["refresh", str(refreshed)]) == 1  # the workbook has input problems on purpose
    return path, refreshed


def file_sheet(path, name) -> list[list[object]]:
    """A sheet of a file as Excel would hold it after opening the file."""
    ws = load_workbook(path)[name]
    return trim([[as_held(v) for v in row] for row in ws.iter_rows(values_only=True)])


def as_held(value):
    if isinstance(value, str):
        return held("'" + value)  # text in a file is text in Excel
    return held(value)


def test_refresh_button_writes_what_authbook_refresh_writes(files):
    path, refreshed = files
    book = StandinBook.from_xlsx(path)
    ribbon.refresh(book)
    for name in COMPARED:
        assert trim(book.sheets[name].rows()) == file_sheet(refreshed, name), name
    tables = {s.name: s.tables[0].range.address.replace("$", "") for s in book.sheets if s.tables}
    ws_tables = {
        ws.title: next(iter(ws.tables.values())).ref
        for ws in load_workbook(refreshed).worksheets
        if ws.tables
    }
    assert tables == ws_tables
    assert "Refreshed." in book.alerts[-1]
    assert book.saved == 0, "the ribbon leaves saving to the user"


def test_refresh_button_reads_each_sheet_in_one_block(files):
    path, _ = files
    book = StandinBook.from_xlsx(path)
    ribbon.refresh(book)
    reads = [(sheet, where) for sheet, op, where in book.calls if op == "read"]
    sheets = [sheet for sheet, _ in reads]
    assert len(sheets) == len(set(sheets)), reads
    assert {"Auths", "Notes", "Clients", "Settings"} <= set(sheets)


def test_refresh_button_writes_each_run_of_changed_cells_in_one_call(files):
    path, _ = files
    book = StandinBook.from_xlsx(path)
    ribbon.refresh(book)
    for sheet in ("Auths", "Notes"):
        writes = [range_bounds(w) for s, op, w in book.calls if s == sheet and op == "write"]
        assert writes, sheet
        by_column: dict[int, list[tuple[int, int]]] = {}
        for r1, c1, r2, c2 in writes:
            assert c1 == c2, "computed cells are written a column block at a time"
            by_column.setdefault(c1, []).append((r1, r2))
        for column, blocks in by_column.items():
            blocks.sort()
            for (_, end), (start, _) in zip(blocks, blocks[1:], strict=False):
                assert start > end + 1, (sheet, column, blocks)  # never two adjacent writes
        cells = sum(r2 - r1 + 1 for r1, _, r2, _ in writes)
        assert len(writes) < cells, (sheet, len(writes), cells)


def test_refreshing_twice_changes_no_auth_or_note_cell_the_second_time(files):
    path, _ = files
    book = StandinBook.from_xlsx(path)
    ribbon.refresh(book)
    first = {name: book.sheets[name].rows() for name in COMPARED}
    book.calls.clear()
    ribbon.refresh(book)
    assert not [c for c in book.calls if c[0] in ("Auths", "Notes") and c[1] == "write"]
    assert {name: book.sheets[name].rows() for name in COMPARED} == first


def test_text_that_looks_like_a_formula_is_written_as_text(files):
    path, _ = files
    book = StandinBook.from_xlsx(path)
    ribbon.refresh(book)
    everything = [v for s in book.sheets for row in s.rows() for v in row]
    assert not [v for v in everything if isinstance(v, Formula)]
    problems = book.sheets["Problems"].rows()
    assert any("=1+1" in row for row in problems), "the typed units text is echoed as text"


def test_live_adapter_reads_what_the_file_adapter_reads(tmp_path):
    path = make_book(tmp_path)
    wb = load_workbook(path)
    ws = wb["Auths"]
    ws.auto_filter.ref = ws.tables["Auths"].ref
    for row in (3, 5, 6):
        ws.row_dimensions[row].hidden = True  # as Excel saves rows its filter hides
    wb.save(path)
    names = ["Auths", "Notes", "Clients", "Settings", "Nope"]
    from_file = WorkbookFile(path).read_sheets(names)
    live = LiveWorkbook(StandinBook.from_xlsx(path)).read_sheets(names)
    assert set(live) == set(from_file) == {"Auths", "Notes", "Clients", "Settings"}
    for name, read in from_file.items():
        got = live[name]
        assert got.headers == read.headers, name
        assert [r.row for r in got.rows] == [r.row for r in read.rows], name
        assert [[as_held(v) for v in r.values] for r in got.rows] == [
            [as_held(v) for v in r.values] for r in read.rows
        ], name
        assert got.hidden_rows == read.hidden_rows, name
        assert (got.table_name, got.table_ref) == (read.table_name, read.table_ref), name
    assert live["Auths"].hidden_rows == {3, 5, 6}


def test_rows_hidden_cannot_be_told_without_excels_com_interface(tmp_path):
    path = make_book(tmp_path)
    book = StandinBook.from_xlsx(path)
    book.com = False  # as on macOS: range.api is not Excel's COM interface
    store = LiveWorkbook(book)
    read = store.read_sheets(["Auths"])["Auths"]
    assert read.hidden_rows == frozenset()
    assert store.hidden_rows_unknown == {"Auths"}


def test_refresh_creates_missing_generated_sheets(files):
    path, refreshed = files
    wb = load_workbook(path)
    del wb["Alerts"]
    wb.save(path)
    book = StandinBook.from_xlsx(path)
    ribbon.refresh(book)
    assert trim(book.sheets["Alerts"].rows()) == file_sheet(refreshed, "Alerts")


def test_a_workbook_that_is_not_an_authbook_gets_a_message_not_a_traceback():
    book = StandinBook()
    book.sheets.add("Sheet1").cells[(1, 1)] = "hello"
    assert ribbon.refresh(book) is None
    assert "not an AuthBook workbook" in book.alerts[-1]


def test_a_bug_in_a_button_shows_a_short_message(files, monkeypatch):
    path, _ = files
    book = StandinBook.from_xlsx(path)
    monkeypatch.delenv("AUTHBOOK_DEBUG", raising=False)
    monkeypatch.setattr(ribbon.app, "refresh_store", lambda *a, **k: 1 / 0)
    assert ribbon.refresh(book) is None
    assert "internal error (ZeroDivisionError)" in book.alerts[-1]


# --- the other buttons ----------------------------------------------------------------------


def test_show_alerts_refreshes_and_opens_the_alerts_sheet(files):
    path, refreshed = files
    book = StandinBook.from_xlsx(path)
    ribbon.show_alerts(book)
    assert book.sheets["Alerts"].active
    count = len(file_sheet(refreshed, "Alerts")) - 1
    assert book.alerts[-1].startswith(f"{count} alerts as of {AS_OF:%m/%d/%Y}")


def test_check_notes_lists_the_rows_whose_check_is_a_denial(files):
    path, refreshed = files
    book = StandinBook.from_xlsx(path)
    ribbon.check_notes(book)
    notes = file_sheet(refreshed, "Notes")
    check = notes[0].index("Check")
    denied = [
        (row, values[check])
        for row, values in enumerate(notes[1:], start=2)
        if values[check] != "OK" and not str(values[check]).startswith("DRAFT")
    ]
    message = book.alerts[-1]
    assert message.startswith(f"{len(denied)} notes would be denied")
    for row, text in denied:
        assert f"row {row}: {text}" in message
    assert book.sheets["Notes"].active


def test_eligible_codes_for_the_selected_notes_row_equal_authbook_eligible(files, capsys):
    path, _ = files
    book = StandinBook.from_xlsx(path)
    book.select("Notes", 9)  # N8: C1, 03/02/2026, Draft
    codes = ribbon.eligible_for_selection(book)
    assert main(["eligible", str(path), "--client", "C1", "--date", "2026-03-02"]) == 0
    assert codes == capsys.readouterr().out.split()
    assert codes and "\n".join(codes) in book.alerts[-1]
    assert not [c for c in book.calls if c[1] == "write"], "looking up codes writes nothing"


def test_eligible_codes_do_not_count_the_selected_notes_own_units(files):
    path, _ = files
    book = StandinBook.from_xlsx(path)
    book.select("Notes", 2)  # N1 released 2 units of A1 (10): A1 still has units either way
    assert "90834" in ribbon.eligible_for_selection(book)


def test_eligible_codes_ask_for_a_notes_row(files):
    path, _ = files
    book = StandinBook.from_xlsx(path)
    book.select("Auths", 2)
    assert ribbon.eligible_for_selection(book) is None
    assert book.alerts[-1] == "Select a row on the Notes sheet first."
    book.select("Notes", 40)
    assert ribbon.eligible_for_selection(book) is None
    assert "needs a Client ID and a Service Date" in book.alerts[-1]


@pytest.mark.parametrize("button", [ribbon.bulk_update_visible, ribbon.bulk_add_selected])
def test_bulk_buttons_change_nothing_without_the_bulk_module(files, button):
    path, _ = files
    book = StandinBook.from_xlsx(path)
    before = {s.name: s.rows() for s in book.sheets}
    button(book)
    if "bulk module" in book.alerts[-1]:
        assert {s.name: s.rows() for s in book.sheets} == before


# --- adapter pieces -------------------------------------------------------------------------


def test_text_goes_to_excel_behind_an_apostrophe():
    assert excel_text("=1+1") == "'=1+1"
    assert excel_text("00123") == "'00123"
    assert excel_text("") == ""
    assert excel_text(12) == 12 and excel_text(None) is None


def test_runs_group_consecutive_rows():
    assert runs([2, 3, 4, 7, 9, 10]) == [(2, 4), (7, 7), (9, 10)]
    assert runs([]) == []


def test_refresh_store_on_a_live_workbook_saves_only_when_asked(files):
    path, _ = files
    book = StandinBook.from_xlsx(path)
    app.refresh_store(LiveWorkbook(book, save=True), AS_OF)
    assert book.saved == 1
