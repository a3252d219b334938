"""Issue 25 item 9: no cell AuthBook generates holds more than Excel's 32,767 characters,
however long the input it quotes; a long input is quoted cut short, with an ellipsis."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook

from authbook.cli import main
from authbook.rules.cells import EXCEL_CELL_CHARS
from authbook.workbook import template

LONG = "X" * EXCEL_CELL_CHARS  # as long as a cell may be


def test_generated_cells_never_exceed_excels_cell_limit(tmp_path):
    book = tmp_path / "practice.xlsx"
    template.write_new(
        book,
        {
            "Clients": [{"client_id": "C1", "active": True}],
            "Auths": [
                {
                    "auth_no": "A1",
                    "client_id": "C1",
                    "billing_code": "90834",
                    "start_date": date(2026, 1, 1),
                    "end_date": date(2026, 6, 30),
                    "allotted_units": 10,
                    "payer": LONG,
                    "provider": "Y" * EXCEL_CELL_CHARS,
                },
            ],
            "Notes": [
                {
                    "note_id": "N1",
                    "client_id": "C1",
                    "service_date": date(2026, 2, 1),
                    "billing_code": LONG,
                    "status": "Released",
                },
                {
                    "note_id": "N2",
                    "client_id": "C1",
                    "service_date": date(2026, 2, 2),
                    "billing_code": "90834",
                    "units": LONG,
                    "status": "Released",
                },
            ],
        },
    )
    assert main(["refresh", str(book), "--as-of", "2026-03-01"]) == 1
    wb = load_workbook(book)
    longest = {
        name: max(
            (len(str(c.value)) for row in wb[name].iter_rows() for c in row if c.value), default=0
        )
        for name in ("Problems", "Checks", "Alerts", "Notes")
    }
    assert all(n <= EXCEL_CELL_CHARS for n in longest.values()), longest
    problems = [r for r in wb["Problems"].iter_rows(min_row=2, values_only=True)]
    messages = [m for row in problems for m in row if isinstance(m, str) and "…" in m]
    assert messages  # the long value is quoted, cut short
