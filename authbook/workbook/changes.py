"""Input-cell changes and appended rows, as SheetWrites; no decisions, only cell positions.

- ``find_column(spec, text)``: the schema column a user names (matched like headers are).
- ``visible_rows(read)``: the rows of a sheet the file does not mark hidden.
- ``field_cells(spec, read, rows)``: cells to set, by field, on existing or new rows.
- ``append_rows(spec, read, rows)``: rows added after the last one (the AuditLog), by
  ``newrows.append_rows``: cells at new rows only, so rows already there are never rewritten.
- ``overlay(read, write)``: what a sheet will read like once ``write`` is applied, so a refresh
  can be computed on the changed workbook before anything is saved.
"""

from __future__ import annotations

from dataclasses import replace

from authbook.workbook import newrows, schema
from authbook.workbook.errors import WorkbookError
from authbook.workbook.records import DATE_FORMAT, calculated_cells, last_row
from authbook.workbook.sheetdata import Formula, RowRead, SheetRead, SheetWrite


def find_column(spec: schema.Sheet, text: str) -> schema.Column | None:
    """The column of ``spec`` whose header is ``text`` (case and spacing ignored), or None."""
    wanted = schema.header_key(text)
    return next((c for c in spec.columns if schema.header_key(c.header) == wanted), None)


def visible_rows(read: SheetRead) -> list[int]:
    """The non-empty rows under the header that the file does not mark hidden.

    Rows hidden by an AutoFilter and rows hidden by hand are both hidden: a file does not
    record which is which.
    """
    return [r.row for r in read.rows if r.row not in read.hidden_rows]


def _formats(spec: schema.Sheet, positions: dict[str, int]) -> dict[int, str]:
    return {
        positions[c.field] + 1: DATE_FORMAT
        for c in spec.columns
        if c.field in positions and c.kind == "date"
    }


def field_cells(
    spec: schema.Sheet,
    read: SheetRead,
    rows: dict[int, dict[str, object]],
    optional: frozenset[str] = frozenset(),
) -> SheetWrite:
    """Cells to set for ``rows`` (sheet row -> field -> value), on existing or new rows.

    A field whose column the sheet lacks is an error (``WorkbookError`` naming the sheet and
    column), unless it is in ``optional`` (then it is skipped). The sheet's Table is re-fitted
    to the last row written or read.
    """
    positions = schema.map_headers(spec, read.headers)
    cells: dict[tuple[int, int], object] = {}
    for row, values in rows.items():
        for name, value in values.items():
            if name not in positions:
                if name in optional:
                    continue
                raise WorkbookError(
                    f"the {read.name} sheet has no '{spec.column(name).header}' column; "
                    "add it to the header row (row 1) and run again"
                )
            cells[(row, positions[name] + 1)] = value
    last = last_row(read)
    end = max([last, *rows]) if rows else last
    cells.update(calculated_cells(read, sorted(r for r in rows if r > last), cells))  # added
    return SheetWrite(cells=cells, last_row=end, number_formats=_formats(spec, positions))


def append_rows(
    spec: schema.Sheet,
    read: SheetRead | None,
    rows: list[dict[str, object]],
    formats: dict[str, str] | None = None,
) -> SheetWrite:
    """``rows`` (field -> value) written below the sheet's last non-empty row (the AuditLog's),
    by ``newrows.append_rows``: every column the sheet lacks gets its header, and values are
    written as they were read (a TRUE logged stays TRUE). ``formats`` gives number formats by
    field (dates get the date format anyway)."""
    return newrows.append_rows(spec, read, rows, formats=formats, keep_booleans=True)


def overlay(read: SheetRead | None, name: str, write: SheetWrite) -> SheetRead:
    """``read`` as it will read once ``write``'s cells are applied (``rows`` writes are not
    supported here: they replace generated sheets, which nothing reads back)."""
    base = read or SheetRead(name=name, headers=[], rows=[])
    headers = list(base.headers)
    by_row = {r.row: list(r.values) for r in base.rows}
    formulas = {r.row: r.formulas for r in base.rows}
    for (row, col), value in write.cells.items():
        if row == 1:
            headers.extend([""] * (col - len(headers)))
            headers[col - 1] = "" if value is None else str(value).strip()
            continue
        by_row.setdefault(row, [])
    width = len(headers)
    for values in by_row.values():
        values.extend([None] * (width - len(values)))
    for (row, col), value in write.cells.items():
        if row > 1 and col <= width:
            if isinstance(value, Formula):  # its result is not known until it is calculated
                by_row[row][col - 1] = None
                formulas[row] = formulas.get(row, frozenset()) | {col}
                continue
            by_row[row][col - 1] = value
            formulas[row] = formulas.get(row, frozenset()) - {col}
    rows = [
        RowRead(row, values, formulas.get(row, frozenset()))
        for row, values in sorted(by_row.items())
        if any(v is not None and v != "" for v in values)
    ]
    return replace(base, headers=headers, rows=rows)
