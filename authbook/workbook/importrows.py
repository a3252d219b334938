"""Cells an import writes, and the rows an export reads: by the schema, no decisions.

An import only ever *appends* rows after a sheet's last row and sets the single cells it was
told to change; it never rewrites other rows. Text is written as text (``SheetWrite`` cells go
through ``xlsxfile.set_cell``), so a cell reading ``=HYPERLINK(...)`` stays what was typed.
"""

from __future__ import annotations

from datetime import date, datetime

from authbook.workbook import newrows, schema
from authbook.workbook.records import first_new_row
from authbook.workbook.sheetdata import SheetRead, SheetWrite


def append_rows(
    spec: schema.Sheet,
    read: SheetRead | None,
    rows: list[dict[str, object]],
    changes: list[tuple[int, str, object]] = (),
) -> SheetWrite:
    """Append ``rows`` ({field: value}) after the sheet's last row and set ``changes``
    ((row, field, value)) in existing rows, by ``newrows.append_rows``. Only the cells named
    are written; a column the sheet lacks is added when a value or a change needs it."""
    needed = {k for r in rows for k, v in r.items() if v is not None}
    needed |= {name for _, name, _ in changes}
    return newrows.append_rows(spec, read, rows, columns=needed, existing=changes)


def reject_writes(
    read: SheetRead | None, file_name: str, rejects: list[tuple[int, str, tuple[str, ...]]]
) -> tuple[SheetWrite | None, int]:
    """Rows appended to Import Rejects: source file, source row, reason, then the row's
    cells as text. A reject already listed for the same file and row, with the same cells
    and reason, is not listed again (so importing a file twice adds nothing). Returns the
    write (None when nothing is new) and how many rows it adds."""
    spec = schema.IMPORT_REJECTS
    existing: set[tuple] = set()
    width = 0
    if read is not None:
        positions = schema.map_headers(spec, read.headers)
        first = positions.get("cell_1", len(read.headers))
        for r in read.rows:
            cells = [_text(v) for v in r.values[first:]]
            while cells and cells[-1] == "":
                cells.pop()
            existing.add(
                (
                    _text(_at(r.values, positions.get("source_file"))),
                    _text(_at(r.values, positions.get("source_row"))),
                    _text(_at(r.values, positions.get("reason"))),
                    tuple(cells),
                )
            )
        width = len(read.headers)
    new = []
    for row, reason, cells in rejects:
        trimmed = list(cells)
        while trimmed and trimmed[-1] == "":
            trimmed.pop()
        if (file_name, str(row), reason, tuple(trimmed)) not in existing:
            new.append((row, reason, trimmed))
    if not new:
        return None, 0
    write = SheetWrite()
    positions = newrows.header_positions(
        spec, read, write.cells, ("source_file", "source_row", "reason", "cell_1")
    )
    headers = list(read.headers) if read is not None else list(spec.headers)
    width = max(width, len(headers))
    first = positions["cell_1"]
    widest = max(len(c) for _, _, c in new)
    for k in range(1, widest + 1):
        column = first + k  # 1-based column of "Cell k"
        if column > width:
            write.cells[(1, column)] = schema.reject_cell_header(k)
    at = first_new_row(read) - 1
    for row, reason, cells in new:
        at += 1
        write.cells[(at, positions["source_file"] + 1)] = file_name
        write.cells[(at, positions["source_row"] + 1)] = row
        write.cells[(at, positions["reason"] + 1)] = reason
        for k, text in enumerate(cells):
            if text != "":
                write.cells[(at, first + 1 + k)] = text
    write.last_row = at
    return write, len(new)


def has_audit_log() -> bool:
    return bool(getattr(schema, "AUDIT_LOG", None) or getattr(schema, "AUDITLOG", None))


def export_rows(read: SheetRead) -> list[list[object]]:
    """A sheet as rows for a CSV file: its header, then every non-empty row (cells as read)."""
    width = len(read.headers)
    out: list[list[object]] = [list(read.headers)]
    for r in read.rows:
        values = list(r.values[:width]) + [None] * (width - len(r.values))
        out.append(values)
    return out


def _at(values: list[object], index: int | None) -> object:
    if index is None or index >= len(values):
        return None
    return values[index]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
