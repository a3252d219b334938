"""Helpers for the import/export tests: messy tracker files written the way practices keep
them, a fresh AuthBook workbook, and reading sheets back by header."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook

from authbook.cli import main
from authbook.workbook import template

ACCOUNT = re.compile(
    r"rows read (\d+) = imported (\d+)(?: \([^)]*\))? \+ rejected (\d+) \+ skipped (\d+)"
)


def write_tracker(
    path: Path,
    rows: list[list[object]],
    merges: tuple[str, ...] = (),
    sheet: str = "Auth Tracker",
    number_formats: dict[str, str] | None = None,
) -> Path:
    """An .xlsx tracker with ``rows`` from A1; text is stored as text (even '=...')."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = ws.cell(r, c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
    for ref, fmt in (number_formats or {}).items():
        ws[ref].number_format = fmt
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]], encoding: str, delimiter: str = ",") -> Path:
    """A CSV tracker in ``encoding`` (quoting only where needed, CRLF like Excel)."""
    lines = []
    for values in rows:
        cells = []
        for v in values:
            text = "" if v is None else str(v)
            if any(ch in text for ch in (delimiter, '"', "\n")):
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        lines.append(delimiter.join(cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def fresh_book(path: Path, rows: dict | None = None) -> Path:
    template.write_new(path, rows)
    return path


def run_import(capsys, src: Path, book: Path, *extra: str) -> tuple[int, str, tuple[int, ...]]:
    """Run ``authbook import SRC --into BOOK --yes``; returns (exit status, output, the
    accounting numbers: rows read, imported, rejected, skipped)."""
    status = main(["import", str(src), "--into", str(book), "--yes", *extra])
    out = capsys.readouterr().out
    match = ACCOUNT.search(out)
    assert match, out
    return status, out, tuple(int(x) for x in match.groups())


def sheet_rows(path: Path, name: str) -> list[dict[str, object]]:
    """The non-empty rows of a sheet as {header: value}; dates as dates."""
    wb = load_workbook(path)
    if name not in wb.sheetnames:
        return []
    ws = wb[name]
    headers = [c.value for c in ws[1]]
    out = []
    for cells in ws.iter_rows(min_row=2, values_only=True):
        if all(v is None for v in cells):
            continue
        row = {}
        for h, v in zip(headers, cells):
            if h is None:
                continue
            if isinstance(v, datetime) and v.time() == datetime.min.time():
                v = v.date()
            row[h] = v
        out.append(row)
    return out


def cell_types(path: Path, name: str) -> dict[str, str]:
    """Cell reference -> openpyxl data type ('s' text, 'f' formula, 'n' number...)."""
    ws = load_workbook(path)[name]
    return {c.coordinate: c.data_type for row in ws.iter_rows() for c in row if c.value is not None}


def source_row_count(rows: list[list[object]], header_row: int) -> int:
    """Rows a tracker holds other than its header, up to the last non-empty one."""
    last = max(i for i, r in enumerate(rows, start=1) if any(v not in (None, "") for v in r))
    return last - 1


D = date
