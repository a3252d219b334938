"""Sheets read in two turns (``Store.read_sheets_in_turn``): every sheet but those held back
first, then those, while the caller works on the first (a large refresh prepares its base
while the Notes sheet is still being parsed). Together the turns are what ``read_sheets``
gives (every adapter: ``test_store``), on real .xlsx files; and the raw book made in two turns
(``rawbook.raw_book`` with ``coming``, then ``with_sheets``) is the one made at once."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from authbook.workbook import fastread, rawbook
from authbook.workbook.sheetdata import SheetRead
from authbook.workbook.xlsxfile import FastWorkbookFile, WorkbookFile
from tests.workbook import lo_fixtures
from tests.workbook.test_fastread_split import cut_in_pieces

NAMES = ["Clients", "Auths", "Notes", "BillingCodes", "Payers"]


def _book(path: Path, notes: int = 150, notes_header=True, codes_header=True) -> Path:
    """Clients, Auths, Notes (the largest) and BillingCodes; no Payers sheet. Without
    ``notes_header`` the Notes sheet lacks its Units column; without ``codes_header`` the
    BillingCodes sheet lacks its Rate column (each a structure problem)."""
    note_head = ["Note ID", "Client ID", "Service Date", "Billing Code", "Status"]
    if notes_header:
        note_head.append("Units")
    return lo_fixtures.write_workbook(
        path,
        {
            "Notes": [note_head]
            + [
                [f"N{i}", f"C{i % 3}", date(2026, 1, 1 + i % 28), "90834", "Pending", 1]
                for i in range(notes)
            ],
            "Clients": [["Client ID", "Primary Payer"]] + [[f"C{i}", "Medicaid"] for i in range(3)],
            "Auths": [
                ["Auth #", "Client ID", "Billing Code", "Start Date", "End Date", "Allotted Units"]
            ]  # fmt: skip
            + [
                [f"A{i}", f"C{i}", "90834", date(2026, 1, 1), date(2026, 6, 30), 20]
                for i in range(3)
            ],  # fmt: skip
            "BillingCodes": [["Code", "Rate"] if codes_header else ["Code"], ["90834", 110]],
        },
    )


@pytest.fixture
def pieces(monkeypatch, tmp_path):
    """The largest sheet cut into pieces of a few rows, parsed side by side (as a large
    workbook's is), its temporary files in a folder of the test's own."""
    return cut_in_pieces(monkeypatch, tmp_path)


@pytest.mark.parametrize("cut", [False, True], ids=["whole", "in-pieces"])
def test_the_two_turns_are_the_sheets_read_at_once(tmp_path, request, cut):
    temp = request.getfixturevalue("pieces") if cut else None
    path = _book(tmp_path / "book.xlsx")
    whole = fastread.read_sheets(path, NAMES)
    with fastread.read_in_turn(path, NAMES, ["Notes", "Payers"]) as turns:
        assert turns.coming == ["Notes"]  # the workbook has no Payers sheet
        assert list(turns.first) == ["Clients", "Auths", "BillingCodes"]
        rest = turns.rest()
    assert list(rest) == ["Notes"]
    assert {**turns.first, **rest} == whole
    assert threading.active_count() == 1  # the parsing threads are done: a fork may follow
    if temp is not None:
        assert list(temp.iterdir()) == []


def test_a_read_left_before_its_second_turn_leaves_no_thread_or_file_behind(tmp_path, pieces):
    path = _book(tmp_path / "book.xlsx", notes=400)
    with fastread.read_in_turn(path, NAMES, ["Notes"]) as turns:
        assert "Auths" in turns.first
    assert threading.active_count() == 1
    assert list(pieces.iterdir()) == []


def test_a_held_back_sheet_calamine_cannot_read_is_read_by_openpyxl(tmp_path, monkeypatch):
    path = _book(tmp_path / "book.xlsx")
    read_sheet = fastread._read_sheet

    def unreadable(pieces, scan, sheet, conv, by_column=False):
        if sheet.name == "Notes":
            raise fastread.UnreadableSheet("cells without references")
        return read_sheet(pieces, scan, sheet, conv, by_column)

    monkeypatch.setattr(fastread, "_read_sheet", unreadable)
    with FastWorkbookFile(path).read_sheets_in_turn(NAMES, ["Notes"]) as turns:
        assert "Auths" in turns.first  # read by calamine
        rest = turns.rest()
    assert rest == WorkbookFile(path).read_sheets(["Notes"])


def _in_turn(sheets: dict[str, SheetRead], later: list[str]):
    first = {name: read for name, read in sheets.items() if name not in later}
    raw, structure = rawbook.raw_book(first, coming=[n for n in later if n in sheets])
    return rawbook.with_sheets(raw, structure, {n: sheets[n] for n in later if n in sheets})


@pytest.mark.parametrize("later", [["Notes"], ["Notes", "BillingCodes"], ["Clients"]])
def test_a_raw_book_made_in_two_turns_is_the_one_made_at_once(tmp_path, later):
    path = _book(tmp_path / "book.xlsx", notes_header=False, codes_header=False)
    sheets = fastread.read_sheets(path, NAMES)
    raw, structure = rawbook.raw_book(sheets)
    # columns missing on several sheets: their problems come in the order of the sheets
    assert {"Clients", "Notes", "BillingCodes"} <= {p.source.sheet for p in structure}
    assert _in_turn(sheets, later) == (raw, structure)


def test_a_sheet_held_back_counts_as_there_and_one_missing_is_refused_at_once(tmp_path):
    path = _book(tmp_path / "book.xlsx")
    sheets = fastread.read_sheets(path, ["Clients", "Auths", "BillingCodes"])
    raw, _ = rawbook.raw_book(sheets, coming=["Notes"])  # no MissingSheet: Notes is coming
    assert len(raw.auths) == 3 and not raw.notes
    with pytest.raises(rawbook.MissingSheet, match="'Notes'"):
        rawbook.raw_book(sheets)
