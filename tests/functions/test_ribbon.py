"""The AuthBook ribbon buttons, run against an in-memory stand-in for the open workbook
(tests/functions/live_standin.py), compared with what the file path (``authbook refresh``)
makes of the same workbook."""

from __future__ import annotations

import importlib.util
import shutil
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from authbook.cli import main
from authbook.functions import ribbon
from authbook.services import refresh as app
from authbook.workbook import memory
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
    names = load_workbook(refreshed).sheetnames
    assert set(COMPARED) <= set(names)
    # Issue 25: a workbook file also keeps AuthBook's memory of the Auths inputs (a very
    # hidden sheet, written by file saves); the add-in leaves saving to the user.
    names = [n for n in names if n != memory.SHEET]
    assert {s.name for s in book.sheets} == set(names)
    for name in names:
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
    table = ws.tables["Auths"]  # with Excel's Total Row under its last auth
    start, end = table.ref.split(":")
    total = ws.max_row + 1
    table.ref, table.totalsRowCount = f"{start}:{end.rstrip('0123456789')}{total}", 1
    ws.cell(total, 1).value = "Total"
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
        assert got.total_rows == read.total_rows, name
    assert live["Auths"].hidden_rows == {3, 5, 6}
    assert live["Auths"].total_rows == {total}  # not read as an auth
    assert total not in {r.row for r in live["Auths"].rows}


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
    monkeypatch.setattr(ribbon.refreshing, "refresh_store", lambda *a, **k: 1 / 0)
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


def test_check_notes_lists_the_denials_a_refresh_puts_on_the_checks_sheet(files):
    path, refreshed = files
    book = StandinBook.from_xlsx(path)
    ribbon.check_notes(book)
    checks = file_sheet(refreshed, "Checks")
    header, found = checks[0], checks[1:]
    assert found, "the practice workbook has notes a payer would deny"
    message = book.alerts[-1]
    cells = {row[header.index("Cell")] for row in found}
    assert message.startswith(f"{len(cells)} notes would be denied")
    for row in found:
        assert row[header.index("Message")] in message
    assert book.sheets["Checks"].active
    assert trim(book.sheets["Checks"].rows()) == checks


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
def test_bulk_buttons_without_the_bulk_module_say_so_and_change_nothing(files, button, monkeypatch):
    path, _ = files
    monkeypatch.setattr(ribbon, "_has_bulk", lambda: False)
    book = StandinBook.from_xlsx(path)
    book.select("Clients", 2)
    before = {s.name: s.rows() for s in book.sheets}
    button(book)
    assert "needs AuthBook's bulk module" in book.alerts[-1]
    assert {s.name: s.rows() for s in book.sheets} == before


needs_bulk = pytest.mark.skipif(
    importlib.util.find_spec("authbook.rules.bulk") is None, reason="no bulk module yet"
)


def filtered_book(tmp_path) -> Path:
    """The practice workbook with its Auths table filtered: rows 3, 5 and 6 hidden."""
    path = make_book(tmp_path)
    wb = load_workbook(path)
    ws = wb["Auths"]
    ws.auto_filter.ref = ws.tables["Auths"].ref
    for row in (3, 5, 6):
        ws.row_dimensions[row].hidden = True
    wb.save(path)
    return path


def fill_form(book: StandinBook, column: str, values: dict[str, object]) -> None:
    """What the user does: type values in one column of the AuthBook Form sheet."""
    sheet = book.sheets[ribbon.FORM_SHEET]
    headers = [sheet.cells.get((1, c)) for c in range(1, 6)]
    col = headers.index(column) + 1
    labels = {sheet.cells.get((r, 1)): r for r in range(2, 60)}
    for label, value in values.items():
        sheet.cells[(labels[label], col)] = held(value)


def without_timestamps(rows: list[list[object]]) -> list[list[object]]:
    return [row[1:] for row in rows]


@needs_bulk
def test_update_visible_first_shows_the_form_and_changes_nothing(tmp_path):
    book = StandinBook.from_xlsx(filtered_book(tmp_path))
    before = {s.name: s.rows() for s in book.sheets}
    ribbon.bulk_update_visible(book)
    assert book.sheets[ribbon.FORM_SHEET].active
    assert "Update Visible" in book.alerts[-1]
    assert {s.name: s.rows() for s in book.sheets if s.name in before} == before


@needs_bulk
def test_update_visible_changes_what_bulk_update_visible_changes(tmp_path):
    path = filtered_book(tmp_path)
    by_cli = tmp_path / "cli.xlsx"
    shutil.copy(path, by_cli)
    argv = ["bulk-update", str(by_cli), "--visible", "--set", "End Date=2026-12-31"]
    assert main(argv + ["--set", "Payer=Self Pay", "--yes"]) in (0, 1)

    book = StandinBook.from_xlsx(path)
    ribbon.bulk_update_visible(book)  # creates the form
    fill_form(book, "Update Visible", {"End Date": date(2026, 12, 31), "Payer": "Self Pay"})
    book.answers.append("ok")
    ribbon.bulk_update_visible(book)
    assert "Set End Date, Payer on" in book.alerts[-2]
    assert book.alerts[-1].startswith("Updated ")
    assert trim(book.sheets["Auths"].rows()) == file_sheet(by_cli, "Auths")
    original = StandinBook.from_xlsx(path).sheets["Auths"].rows()
    end_date = original[0].index("End Date")
    for hidden in (3, 5, 6):
        assert book.sheets["Auths"].rows()[hidden - 1][end_date] == original[hidden - 1][end_date]
    assert without_timestamps(trim(book.sheets["AuditLog"].rows())) == without_timestamps(
        file_sheet(by_cli, "AuditLog")
    )


@needs_bulk
def test_update_visible_cancelled_changes_nothing(tmp_path):
    book = StandinBook.from_xlsx(filtered_book(tmp_path))
    ribbon.bulk_update_visible(book)
    fill_form(book, "Update Visible", {"End Date": date(2026, 12, 31)})
    before = {s.name: s.rows() for s in book.sheets}
    book.answers.append("cancel")
    ribbon.bulk_update_visible(book)
    assert book.alerts[-1] == "Nothing was changed."
    assert {s.name: s.rows() for s in book.sheets} == before


@needs_bulk
def test_update_visible_with_a_bad_value_says_why_and_changes_nothing(tmp_path):
    book = StandinBook.from_xlsx(filtered_book(tmp_path))
    ribbon.bulk_update_visible(book)
    fill_form(book, "Update Visible", {"Allotted Units": "lots"})
    before = {s.name: s.rows() for s in book.sheets}
    ribbon.bulk_update_visible(book)
    assert book.alerts[-1].startswith("Nothing was changed")
    assert "Allotted Units" in book.alerts[-1] and "lots" in book.alerts[-1]
    assert {s.name: s.rows() for s in book.sheets} == before


@needs_bulk
def test_add_to_selected_adds_what_bulk_add_adds(tmp_path):
    path = make_book(tmp_path)
    by_cli = tmp_path / "cli.xlsx"
    shutil.copy(path, by_cli)
    argv = ["bulk-add", str(by_cli), "--code-group", "Outpatient Therapy", "--clients", "C1,C2"]
    argv += ["--allotted", "20", "--start", "2026-04-01", "--end", "2026-09-30"]
    assert main(argv + ["--auth-group", "Group 2", "--yes"]) in (0, 1)

    book = StandinBook.from_xlsx(path)
    book.select("Clients", 2, 3)
    ribbon.bulk_add_selected(book)  # creates the form
    fill_form(
        book,
        "Add to Selected",
        {
            "Code Group": "Outpatient Therapy",
            "Allotted Units": 20,
            "Start Date": date(2026, 4, 1),
            "End Date": date(2026, 9, 30),
            "Auth Group": "Group 2",
        },
    )
    book.answers.append("ok")
    ribbon.bulk_add_selected(book)
    assert book.alerts[-1].startswith("Added 8 auths")
    assert trim(book.sheets["Auths"].rows()) == file_sheet(by_cli, "Auths")
    table = book.sheets["Auths"].tables[0].range.address.replace("$", "")
    assert table == next(iter(load_workbook(by_cli)["Auths"].tables.values())).ref


@needs_bulk
def test_add_to_selected_asks_for_clients_rows(tmp_path):
    book = StandinBook.from_xlsx(make_book(tmp_path))
    book.select("Auths", 2)
    ribbon.bulk_add_selected(book)
    assert book.alerts[-1] == "Select the clients' rows on the Clients sheet first."


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


# --- calculation, screen updating and selections --------------------------------------------


def test_buttons_write_under_manual_calculation_with_screen_updating_off(files):
    book = StandinBook.from_xlsx(files[0])
    ribbon.refresh(book)
    assert book.write_states and set(book.write_states) == {("manual", False)}
    assert (book.app.calculation, book.app.screen_updating) == ("automatic", True)


def test_calculation_and_screen_updating_come_back_when_a_button_fails(files, monkeypatch):
    book = StandinBook.from_xlsx(files[0])
    book.app.calculation = "semiautomatic"

    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(app, "refresh_store", broken)
    ribbon.refresh(book)
    assert book.alerts[-1].startswith("AuthBook hit an internal error")
    assert (book.app.calculation, book.app.screen_updating) == ("semiautomatic", True)


def test_every_area_of_a_selection_counts():
    assert ribbon.selected_rows(type("S", (), {"address": "$A$2:$C$4,$A$7"})()) == [2, 3, 4, 7]
    assert ribbon.selected_rows(type("S", (), {"address": "$3:$4,$2:$2"})()) == [2, 3, 4]
    assert ribbon.selected_rows(type("S", (), {"address": "$A:$A"})()) is None


@needs_bulk
def test_add_to_selected_adds_for_every_block_of_a_ctrl_click_selection(tmp_path):
    results = []
    for select in (
        lambda b: b.select("Clients", 2, 3),
        lambda b: b.select_areas("Clients", [(2, 2), (3, 3)]),
    ):
        book = StandinBook.from_xlsx(make_book(tmp_path))
        select(book)
        ribbon.bulk_add_selected(book)  # creates the form
        fill_form(
            book,
            "Add to Selected",
            {
                "Code Group": "Outpatient Therapy",
                "Allotted Units": 20,
                "Start Date": date(2026, 4, 1),
                "End Date": date(2026, 9, 30),
            },
        )
        book.answers.append("ok")
        ribbon.bulk_add_selected(book)
        assert book.alerts[-1].startswith("Added 8 auths")
        results.append(book.sheets["Auths"].rows())
    assert results[0] == results[1]
