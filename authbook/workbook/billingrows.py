"""Rows of the sheets the billing checks generate: Checks (one row per note finding) and
Renewals (auths that need a request now). Mapping only: which rows appear is decided by the
rules; here each record becomes cells under the schema's headers.
"""

from __future__ import annotations

from authbook.models import Finding
from authbook.workbook import newrows, schema
from authbook.workbook.records import DATE_FORMAT
from authbook.workbook.sheetdata import SheetRead, SheetWrite


def cell_in(sheets: dict[str, SheetRead], spec: schema.Sheet, field: str, row: int) -> str:
    """``Sheet!G12``: the cell of ``field`` on ``row`` as the sheet read lays it out."""
    return f"{column_in(sheets, spec, field)}{row}"


def column_in(sheets: dict[str, SheetRead], spec: schema.Sheet, field: str) -> str:
    """``Sheet!G``: the column of ``field`` as the sheet read lays it out (a row number
    after it makes ``cell_in``'s cell)."""
    read = sheets.get(spec.name)
    positions = schema.map_headers(spec, read.headers) if read else {}
    return f"{spec.name}!{schema.column_letter(positions.get(field, 0) + 1)}"


def check_rows(findings: list[Finding], sheets: dict[str, SheetRead]) -> list[list[object]]:
    """The Checks sheet: header, then one row per finding (Cell points at the note's Check)."""
    rows: list[list[object]] = [schema.CHECKS.headers]
    check = column_in(sheets, schema.NOTES, "check")  # (once: a finding per note may be 100,000s)
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
                f"{check}{f.source.row}",
            ]
        )
    return rows


def generated_write(spec: schema.Sheet, rows: list[list[object]]) -> SheetWrite:
    """A SheetWrite replacing a generated sheet with ``rows`` (header first), dates formatted."""
    formats = {i: DATE_FORMAT for i, c in enumerate(spec.columns, 1) if c.kind == "date"}
    return SheetWrite(rows=rows, last_row=len(rows), number_formats=formats)


def renewal_rows(renewals, sheets: dict[str, SheetRead]) -> list[list[object]]:
    """The Renewals sheet: header, then one row per Renewal (Cell points at the auth's Alert)."""
    rows: list[list[object]] = [schema.RENEWALS.headers]
    for r in renewals:
        rows.append(
            [
                r.reason,
                r.message,
                r.auth_no,
                r.client_id,
                r.billing_code,
                r.payer,
                r.end_date,
                r.remaining_units,
                r.runs_out,
                r.request,
                r.owner,
                r.follow_up_date,
                cell_in(sheets, schema.AUTHS, "alert", r.source.row),
            ]
        )
    return rows


def append_records(
    spec: schema.Sheet,
    read: SheetRead | None,
    records: list[dict[str, object]],
    formats: dict[str, str] | None = None,
) -> SheetWrite:
    """Cells for ``records`` (field -> value) on new rows below the last one of a sheet, by
    ``newrows.append_rows``.

    Columns the sheet lacks are added after its last header when a record names them (so
    nothing asked for is lost); rows already there are never touched. A missing sheet gets
    its header row first.
    """
    named = {name for record in records for name in record}
    return newrows.append_rows(spec, read, records, columns=named, formats=formats)
