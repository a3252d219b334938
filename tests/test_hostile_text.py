"""Issue 25 item 16: what a cell holds reaches the terminal as text, never as a control
sequence; and a UTF-16 CSV (Excel's "Unicode Text") imports like any other."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

from authbook.workbook import template
from tests.cli.migrate_fixtures import fresh_book, run_import, sheet_rows, write_csv

MARK = "PLANTEDMARK"
#: Clear the screen, then set the window title: what a hostile cell would do on print.
HOSTILE_XML = "_x001B_[2J_x001B_]0;pwned_x0007_"


def with_controls(path: Path) -> Path:
    """Replace MARK in every part of the package with text holding ESC and BEL, written the
    way Excel stores control characters in a cell (``_x001B_``)."""
    parts = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            parts[info.filename] = z.read(info).replace(MARK.encode(), HOSTILE_XML.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_control_sequences_in_cells_are_printed_escaped(tmp_path, run_cli):
    book = tmp_path / "practice.xlsx"
    template.write_new(
        book,
        {
            "Clients": [{"client_id": "C1", "active": True}],
            "Payers": [{"payer": MARK, "active": True}],
            "Auths": [
                {
                    "auth_no": "A1",
                    "client_id": "C1",
                    "billing_code": "90834",
                    "start_date": date(2026, 1, 1),
                    "end_date": date(2026, 3, 10),
                    "allotted_units": 10,
                    "exp_alert_days": 30,
                    "payer": MARK,
                },
            ],
        },
    )
    with_controls(book)
    for args in (("alerts",), ("alerts", "--format", "csv")):
        done = run_cli(*args, str(book), "--as-of", "2026-03-01")
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout and "\x07" not in done.stdout
        assert "\\x1b[2J" in done.stdout  # shown as what it is


def test_a_utf16_tab_separated_csv_from_excel_imports_every_row(tmp_path, capsys):
    src = write_csv(
        tmp_path / "Unicode Text.txt",
        [
            ["Patient", "CPT", "Auth Number", "Visits Approved", "Start", "Exp Date"],
            ["Doe, Jane", "90834", "PA-1", "12", "1/15/2026", "6/30/2026"],
            ["Müller, Zoë", "90837", "PA-2", "6", "1/5/2026", "7/31/2026"],
        ],
        "utf-16",  # with a byte-order mark, as Excel saves it
        delimiter="\t",
    )
    assert src.read_bytes()[:2] == b"\xff\xfe"
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, counts = run_import(capsys, src, book)
    assert counts == (2, 2, 0, 0), out
    assert status == 0, out
    auths = sheet_rows(book, "Auths")
    assert {a["Auth #"]: a["Allotted Units"] for a in auths} == {"PA-1": 12, "PA-2": 6}
    assert "Müller" in {c["Last Name"] for c in sheet_rows(book, "Clients")}
