"""Rows appended below a sheet's last row, as a SheetWrite: the one way a row is added to a
sheet (AuditLog entries, renewed auths, imported rows, remittances).

Only the cells of the new rows are set (and header cells for the columns the sheet lacks),
so what the sheet already holds is never rewritten. The callers differ only in what this
module takes as parameters: which missing columns get a header, whether a yes/no is written
as Y/N, number formats of their own, and single cells to set on rows already there.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from authbook.workbook import schema
from authbook.workbook.records import (
    DATE_FORMAT,
    MONEY_FORMAT,
    calculated_cells,
    cell_value,
    first_new_row,
    last_row,
)
from authbook.workbook.sheetdata import SheetRead, SheetWrite


def header_positions(
    spec: schema.Sheet,
    read: SheetRead | None,
    cells: dict[tuple[int, int], object],
    columns: Collection[str] | None = None,
) -> dict[str, int]:
    """Field -> 0-based column of ``spec`` on the sheet as read, with the columns it lacks
    added at the right of its header (their header cells put in ``cells``, row 1): every
    column of ``spec`` when ``columns`` is None, else those in ``columns`` (in the sheet's own
    order, not the collection's). A sheet the file does not have gets its whole header."""
    headers = list(read.headers) if read is not None else []
    if read is None:
        for i, header in enumerate(spec.headers, start=1):
            cells[(1, i)] = header
        headers = list(spec.headers)
    positions = schema.map_headers(spec, headers)
    for column in spec.columns:
        if column.field in positions or (columns is not None and column.field not in columns):
            continue
        headers.append(column.header)
        positions[column.field] = len(headers) - 1
        cells[(1, len(headers))] = column.header
    return positions


def number_formats(
    spec: schema.Sheet, positions: dict[str, int], formats: dict[str, str] | None = None
) -> dict[int, str]:
    """1-based column -> number format of each column of ``spec`` placed: ``formats`` (by
    field) where it names one, else the date format for dates and money's for money."""
    kinds = {"date": DATE_FORMAT, "money": MONEY_FORMAT}
    out = {}
    for column in spec.columns:
        if column.field in positions:
            code = (formats or {}).get(column.field) or kinds.get(column.kind)
            if code:
                out[positions[column.field] + 1] = code
    return out


def append_rows(
    spec: schema.Sheet,
    read: SheetRead | None,
    rows: list[dict[str, object]],
    *,
    columns: Collection[str] | None = None,
    formats: dict[str, str] | None = None,
    keep_booleans: bool = False,
    existing: Iterable[tuple[int, str, object]] = (),
) -> SheetWrite:
    """``rows`` (field -> value) written below the sheet's last non-empty row.

    ``columns``: the fields given a header when the sheet lacks their column (None: every
    column of ``spec``); a value whose column is not placed is left out, as is None.
    ``formats``: number formats by field, over the date and money formats. A yes/no is
    written Y/N unless ``keep_booleans`` (the AuditLog keeps a cell's value as it was read).
    ``existing``: (row, field, value) cells to set on rows already there. The calculated
    columns of the user's own in the sheet's Table are filled into the new rows, as Excel
    does.
    """
    cells: dict[tuple[int, int], object] = {}
    positions = header_positions(spec, read, cells, columns)

    def cell(value: object) -> object:
        return value if keep_booleans else cell_value(value)

    start = first_new_row(read) if rows else last_row(read) + 1
    for offset, values in enumerate(rows):
        for name, value in values.items():
            if value is not None and name in positions:
                cells[(start + offset, positions[name] + 1)] = cell(value)
    cells.update(calculated_cells(read, range(start, start + len(rows)), cells))
    for row, name, value in existing:
        if name in positions:
            cells[(row, positions[name] + 1)] = cell(value)
    return SheetWrite(
        cells=cells,
        last_row=start + len(rows) - 1,
        number_formats=number_formats(spec, positions, formats),
    )
