"""A small practice workbook for the Excel shell's tests, and its tables as xlwings passes them.

``make_book(tmp_path)`` writes a real .xlsx (template + rows below, Settings As Of = AS_OF) with
one of most things the rules handle: a Default auth, a sliding scale, an unmanaged auth, a
shared Auth Group, a provider-only auth, an excluded auth, expired auths of an active and of an
inactive client, a blank Auth # to be numbered, an unreadable auth row, and notes that are
OK, over units, without an auth, for the wrong provider, pinned to the wrong auth, Draft, and
with text that looks like a formula.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from authbook.workbook import schema, template

AS_OF = date(2026, 3, 1)
D = date

CLIENTS = [
    {"client_id": "C1", "last_name": "Testperson", "first_name": "Alex", "active": True},
    {"client_id": "C2", "last_name": "Sample", "first_name": "Bo", "active": True},
    {"client_id": "C3", "last_name": "Example", "first_name": "Cy", "active": False},
]


def _auth(no, client, code, start, end, units=None, **more):
    row = {
        "auth_no": no,
        "client_id": client,
        "billing_code": code,
        "start_date": start,
        "end_date": end,
        "allotted_units": units,
    }
    row.update(more)
    return row


AUTHS = [
    _auth(
        "A1",
        "C1",
        "90834",
        D(2026, 1, 1),
        D(2026, 6, 30),
        10,
        unit_alert_level=8,
        sliding_scale_pct=50,
    ),
    _auth("A2", "C1", "90837", D(2026, 1, 1), D(2026, 6, 30), 4, default=True),
    _auth(None, "C2", "90837", D(2026, 1, 1), D(2026, 6, 30), 4),
    _auth("A4", "C2", "90832", D(2026, 1, 1), D(2026, 12, 31), unmanaged=True),
    _auth(
        "A5",
        "C1",
        "90853",
        D(2026, 1, 1),
        D(2026, 3, 31),
        2,
        provider="Dr Birch",
        exp_alert_days=45,
    ),
    _auth("A6", "C3", "90834", D(2025, 1, 1), D(2025, 12, 31), 5),
    _auth("A7", "C2", "90834", D(2025, 6, 1), D(2026, 2, 15), 6),
    _auth("A8", "C2", "90834", D(2026, 1, 1), D(2026, 6, 30), 3, auth_group="Group 1"),
    _auth("A9", "C2", "90837", D(2026, 1, 1), D(2026, 6, 30), 3, auth_group="Group 1"),
    _auth("A10", "C1", "90791", D(2026, 1, 1), D(2026, 6, 30), 1, exclude_from_notes=True),
    _auth("A11", "C1", "90834", "soon", D(2026, 6, 30), 5),
]


def _note(no, client, day, code, status, units=None, **more):
    row = {
        "note_id": no,
        "client_id": client,
        "service_date": day,
        "billing_code": code,
        "status": status,
        "units": units,
    }
    row.update(more)
    return row


NOTES = [
    _note("N1", "C1", D(2026, 1, 5), "90834", "Released", 2),
    _note("N2", "C1", D(2026, 1, 12), "90834", "Pending"),
    _note("N3", "C2", D(2026, 1, 20), "90834", "Released", 2),
    _note("N4", "C2", D(2026, 2, 1), "90837", "Released", 1),
    _note("N5", "C1", D(2026, 2, 10), "90837", "Released", 5),
    _note("N6", "C1", D(2026, 2, 11), "90846", "Pending"),
    _note("N7", "C1", D(2026, 2, 12), "90853", "Pending", provider="Dr Ash"),
    _note("N8", "C1", D(2026, 3, 2), "90834", "Draft"),
    _note("N9", "C2", D(2026, 2, 3), "90834", "Pending", "=1+1"),
    _note("N10", "C1", D(2026, 2, 20), "90834", "Pending", auth_no="A2"),
]


def settings_rows(as_of: date = AS_OF) -> list[dict]:
    return [
        {"setting": label, "value": as_of if name == "as_of" else default, "description": text}
        for label, name, default, text in schema.SETTING_ROWS
    ]


def make_book(tmp_path: Path, name: str = "book.xlsx", auths=AUTHS, notes=NOTES) -> Path:
    """Write the practice workbook (no .bak left beside it)."""
    path = tmp_path / name
    template.write_new(
        path,
        {"Clients": CLIENTS, "Auths": auths, "Notes": notes, "Settings": settings_rows()},
    )
    path.with_name(name + ".bak").unlink(missing_ok=True)
    return path


def excel_value(value: object) -> object:
    """A cell value as Excel hands it to Python: numbers as floats, dates as datetimes."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if value == "":
        return None
    return value


def table_arg(path: Path, sheet: str) -> list[list[object]]:
    """``Sheet[#All]`` as xlwings passes it to a UDF: the Table's range, header row first."""
    ws = load_workbook(path)[sheet]
    table = next(iter(ws.tables.values()))
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    return [
        [excel_value(v) for v in row]
        for row in ws.iter_rows(
            min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col, values_only=True
        )
    ]


def sheet_values(path: Path, sheet: str) -> list[list[object]]:
    """Every cell of a sheet as Excel would hold it (for comparing whole sheets)."""
    ws = load_workbook(path)[sheet]
    rows = [[excel_value(v) for v in row] for row in ws.iter_rows(values_only=True)]
    return trim(rows)


def trim(rows: list[list[object]]) -> list[list[object]]:
    """Rows without trailing empty rows and columns."""
    rows = [list(r) for r in rows]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((i + 1 for r in rows for i, v in enumerate(r) if v is not None), default=0)
    return [r[:width] + [None] * (width - len(r)) for r in rows]


def column_of(path: Path, sheet: str, header: str) -> dict[object, object]:
    """First column value (the key) -> the named column's value, for every data row."""
    rows = sheet_values(path, sheet)
    index = rows[0].index(header)
    return {r[0]: r[index] for r in rows[1:]}
