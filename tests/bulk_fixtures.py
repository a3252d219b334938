"""A small practice for the bulk tests (issue 3): clients in two divisions with several payers,
a few auths, and helpers to save an Auths filter the way Excel does and to read cells back.

No real people: names are made up and never asserted on.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.filters import FilterColumn, Filters

from authbook.cli import main
from authbook.workbook import schema, template

AS_OF = date(2026, 3, 1)


def _client(cid, division, group, therapist, payer):
    return {
        "client_id": cid,
        "last_name": f"Sample{cid}",
        "first_name": "Pat",
        "dob": date(1990, 1, 1),
        "primary_therapist": therapist,
        "primary_payer": payer,
        "division": division,
        "client_group": group,
        "active": True,
    }


CLIENTS = [
    _client("C1", "North", "Adults", "Dr Ash", "Aetna"),
    _client("C2", "North", "Youth", "Dr Birch", "Cigna"),
    _client("C3", "South", "Adults", "Dr Ash", "Aetna"),
    _client("C4", "South", "Youth", "Dr Cole", "Medicaid"),
    _client("C5", "North", "Adults", "Dr Cole", "Medicaid"),
]


def _auth(no, cid, code, payer, end=date(2026, 6, 30), units=20, **extra):
    return {
        "auth_no": no,
        "client_id": cid,
        "billing_code": code,
        "start_date": date(2026, 1, 1),
        "end_date": end,
        "allotted_units": units,
        "payer": payer,
        **extra,
    }


AUTHS = [
    _auth("AB000001", "C1", "90834", "Aetna"),
    _auth("AB000002", "C1", "90837", "Aetna", units=10),
    _auth("AB000003", "C2", "90834", "Cigna"),
    _auth("AB000004", "C3", "90834", "Aetna", end=date(2026, 2, 15)),
    _auth("AB000005", "C4", "90832", "Medicaid"),
    _auth("AB000006", "C4", "90834", "Medicaid", units=5),
    _auth("AB000007", "C5", "90837", "Medicaid"),
    _auth(None, "C5", "90853", None, units=8),  # a blank Auth #: numbered by the refresh
    _auth("AB000009", "C2", "90791", "Cigna", units=1, comments="=not a formula"),
]

PAYERS = [{"payer": name, "active": True} for name in ("Self Pay", "Aetna", "Cigna", "Medicaid")]
PROVIDERS = [{"provider": n, "active": True} for n in ("Dr Ash", "Dr Birch", "Dr Cole")]
AUTH_GROUPS = [
    {"group_name": "Therapy Pool", "active": True},
    {"group_name": "Group 2", "active": True},
]
NOTES = [
    {
        "note_id": "N1",
        "client_id": "C1",
        "service_date": date(2026, 1, 10),
        "billing_code": "90834",
        "units": 2,
        "status": "Released",
    },
]


def make_book(folder: Path, name: str = "book.xlsx", auths=None, clients=None) -> Path:
    """The practice as a real AuthBook workbook (template layout, every sheet a Table)."""
    path = folder / name
    template.write_new(
        path,
        {
            "Clients": CLIENTS if clients is None else clients,
            "Auths": AUTHS if auths is None else auths,
            "Notes": NOTES,
            "Payers": PAYERS,
            "Providers": PROVIDERS,
            "AuthGroups": AUTH_GROUPS,
            "Settings": [
                {"setting": label, "value": default}
                for label, _, default, _ in schema.SETTING_ROWS
                if label != "As Of"
            ]
            + [{"setting": "As Of", "value": AS_OF}],
        },
    )
    return path


def column_of(ws, header: str) -> int:
    for cell in ws[1]:
        if schema.header_key(cell.value) == schema.header_key(header):
            return cell.column
    raise KeyError(header)


def filter_like_excel(path: Path, sheet: str, header: str, keep: set[str]) -> list[int]:
    """Save an AutoFilter on ``sheet``'s Table the way Excel does: a ``filterColumn`` with the
    values kept, the other rows ``hidden``, the sheet marked ``filterMode``. Returns the rows
    left visible."""
    wb = load_workbook(path)
    ws = wb[sheet]
    table = next(iter(ws.tables.values()))
    col = column_of(ws, header)
    table.autoFilter.filterColumn.append(
        FilterColumn(colId=col - 1, filters=Filters(filter=sorted(keep)))
    )
    ws.sheet_properties.filterMode = True
    visible = []
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, 1).value is None and ws.cell(row, 2).value is None:
            continue
        if ws.cell(row, col).value in keep:
            visible.append(row)
        else:
            ws.row_dimensions[row].hidden = True
    wb.save(path)
    return visible


def hide_by_hand(path: Path, sheet: str, rows: list[int]) -> None:
    wb = load_workbook(path)
    for row in rows:
        wb[sheet].row_dimensions[row].hidden = True
    wb.save(path)


def sheet_rows(path: Path, sheet: str) -> dict[int, dict[str, object]]:
    """Row number -> header -> value of every non-empty row under the header."""
    ws = load_workbook(path)[sheet]
    headers = [c.value for c in ws[1]]
    out = {}
    for cells in ws.iter_rows(min_row=2):
        values = {h: c.value for h, c in zip(headers, cells) if h}
        if any(v is not None for v in values.values()):
            out[cells[0].row] = values
    return out


def input_cells(path: Path) -> dict[tuple[str, int, str], object]:
    """Every non-blank input cell of Auths: (sheet, row, header) -> value."""
    computed = {c.header for c in schema.AUTHS.computed}
    return {
        ("Auths", row, header): value
        for row, values in sheet_rows(path, "Auths").items()
        for header, value in values.items()
        if header not in computed and value is not None
    }


def audit_log(path: Path) -> list[dict[str, object]]:
    """The AuditLog rows, in order."""
    return [v for _, v in sorted(sheet_rows(path, "AuditLog").items())]


def undo_from_log(path: Path, out: Path) -> None:
    """Apply the AuditLog's changes in reverse (each Old Value back into its cell)."""
    wb = load_workbook(path)
    for entry in reversed(audit_log(path)):
        ws = wb[entry["Sheet"]]
        ws.cell(entry["Row"], column_of(ws, entry["Column"])).value = entry["Old Value"]
    wb.save(out)


def same_cell(a: object, b: object) -> bool:
    if isinstance(a, datetime) and isinstance(b, date) and not isinstance(b, datetime):
        return a.date() == b
    if isinstance(b, datetime) and isinstance(a, date) and not isinstance(a, datetime):
        return b.date() == a
    return a == b


@pytest.fixture(name="book")
def bulk_book(tmp_path, monkeypatch) -> Path:
    """The bulk tests' workbook (``make_book``), edited by user "pat"."""
    monkeypatch.setenv("AUTHBOOK_USER", "pat")
    return make_book(tmp_path)


def run(*args: str) -> int:
    """``authbook ARGS`` in this process, as of ``AS_OF``; its exit code."""
    return main([*args, "--as-of", AS_OF.isoformat()])
