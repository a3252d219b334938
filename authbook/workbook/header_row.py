"""Where an input sheet's header row is: row 1, as AuthBook reads it.

A sheet whose row 1 holds none of its column headers (a title typed above them, a blank
row) would read as a sheet of unknown columns: it is refused, saying which sheet and, when
the headers are found a few rows down, which row holds them.
"""

from __future__ import annotations

from authbook.workbook import schema
from authbook.workbook.errors import WorkbookError
from authbook.workbook.sheetdata import SheetRead

#: How many rows under row 1 are looked at for the header a title row pushed down.
LOOKED_AT = 10


class NoHeaderRow(WorkbookError):
    """An input sheet's row 1 holds none of its column headers; the message says where."""


def header_row_below(spec: schema.Sheet, read: SheetRead) -> int | None:
    """The row (2 and down, within ``LOOKED_AT``) whose cells are ``spec``'s headers, or None."""
    known = {schema.header_key(c.header) for c in spec.columns}
    rows = read.rows
    for position in range(min(LOOKED_AT, len(rows))):
        row = rows[position]
        if row.row > LOOKED_AT + 1:
            break
        texts = [schema.header_key(v) for v in row.values if v not in (None, "")]
        matches = sum(text in known for text in texts)
        if matches and matches >= min(2, len(texts)):
            return row.row
    return None


def check_header_row(spec: schema.Sheet, read: SheetRead, required: bool) -> None:
    """Raise NoHeaderRow when row 1 of sheet ``read`` holds none of ``spec``'s headers and
    the sheet is not simply empty (an empty sheet of a list, not ``required``, reads as an
    empty list)."""
    if schema.map_headers(spec, read.headers):
        return
    if not read.headers and not len(read.rows) and not required:
        return
    first = ", ".join(c.header for c in spec.columns[:3])
    found = header_row_below(spec, read)
    if found is not None:
        above = "row 1" if found == 2 else f"rows 1-{found - 1}"
        raise NoHeaderRow(
            f"the {read.name} sheet's header ({first}, ...) is in row {found}, not row 1: "
            f"delete {above} above it (a title there hides the header). Nothing was written"
        )
    raise NoHeaderRow(
        f"the {read.name} sheet's row 1 holds none of its column headers ({first}, ...): "
        "AuthBook reads the header from row 1. Put the headers there (delete any title or "
        "blank rows above them). Nothing was written"
    )
