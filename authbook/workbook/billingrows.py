"""Rows of the sheets the billing checks generate: Checks (one row per note finding) and
Renewals (auths that need a request now). Mapping only: which rows appear is decided by the
rules; here each record becomes cells under the schema's headers.
"""

from __future__ import annotations

from authbook.models import Finding
from authbook.workbook import schema
from authbook.workbook.records import DATE_FORMAT
from authbook.workbook.sheetdata import SheetRead, SheetWrite


def cell_in(sheets: dict[str, SheetRead], spec: schema.Sheet, field: str, row: int) -> str:
    """``Sheet!G12``: the cell of ``field`` on ``row`` as the sheet read lays it out."""
    read = sheets.get(spec.name)
    positions = schema.map_headers(spec, read.headers) if read else {}
    letter = schema.column_letter(positions.get(field, 0) + 1)
    return f"{spec.name}!{letter}{row}"


def check_rows(findings: list[Finding], sheets: dict[str, SheetRead]) -> list[list[object]]:
    """The Checks sheet: header, then one row per finding (Cell points at the note's Check)."""
    rows: list[list[object]] = [schema.CHECKS.headers]
    for f in findings:
        rows.append(
            [
                f.kind,
                f.carc,
                f.message,
                f.note_id,
                f.client_id,
                f.service_date,
                f.billing_code,
                f.auth_no,
                cell_in(sheets, schema.NOTES, "check", f.source.row),
            ]
        )
    return rows


def generated_write(spec: schema.Sheet, rows: list[list[object]]) -> SheetWrite:
    """A SheetWrite replacing a generated sheet with ``rows`` (header first), dates formatted."""
    formats = {i: DATE_FORMAT for i, c in enumerate(spec.columns, 1) if c.kind == "date"}
    return SheetWrite(rows=rows, last_row=len(rows), number_formats=formats)
