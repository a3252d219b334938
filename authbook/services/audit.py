"""The audit trail: who changes an input cell, and the AuditLog rows that say so.

Every use case that changes input cells (bulk add/update, import, renew, the Auth #s a
refresh fills in, edits typed by hand) logs them through ``audit_row``: the one place an
AuditLog row is shaped. The entries themselves (``authbook.rules.audit``) are made by the
rules; the cells by ``authbook.workbook``.
"""

from __future__ import annotations

import getpass
import os
from datetime import date, datetime

from authbook.rules.audit import NEW_AUTH_NO, audit_entries, numbering_changes
from authbook.workbook import changes, rawbook, records, schema
from authbook.workbook.sheetdata import SheetRead, SheetWrite


def current_user(explicit: str | None = None) -> str:
    """Who is making a change: ``--user``, else $AUTHBOOK_USER, else the login name."""
    if explicit:
        return explicit
    if os.environ.get("AUTHBOOK_USER"):
        return os.environ["AUTHBOOK_USER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def audit_row(
    when: date | datetime,
    user: str,
    action: str,
    sheet: str,
    row: int,
    column: str,
    old: object,
    new: object,
    auth_no: object = None,
    client_id: object = None,
) -> dict[str, object]:
    """One AuditLog row (field -> value): ``column`` is the changed cell's header."""
    return {
        "timestamp": when,
        "user": user,
        "action": action,
        "sheet": sheet,
        "row": row,
        "auth_no": auth_no,
        "client_id": client_id,
        "column": column,
        "old_value": old,
        "new_value": new,
    }


def audit_rows(entries) -> list[dict[str, object]]:
    """AuditLog rows for ``authbook.rules.audit.AuditEntry`` values."""
    rows = []
    for entry in entries:
        change = entry.change
        spec = schema.BY_NAME.get(change.source.sheet)
        column = spec.by_field.get(change.field) if spec else None
        rows.append(
            audit_row(
                entry.timestamp,
                entry.user,
                entry.action,
                change.source.sheet,
                change.source.row,
                column.header if column else change.field,
                change.old,
                change.new,
                change.auth_no,
                change.client_id,
            )
        )
    return rows


def audit_write(sheets: dict[str, SheetRead], entries) -> SheetWrite:
    """The AuditLog rows for ``entries`` (``rules.audit.AuditEntry``), appended below the
    last logged row."""
    return audit_log_write(sheets, audit_rows(entries))


def audit_log_write(sheets: dict[str, SheetRead], rows: list[dict[str, object]]) -> SheetWrite:
    """AuditLog ``rows`` (``audit_row``'s) appended below the last logged row: the one
    writer of the log. A Timestamp with a time shows it; a date alone shows the date."""
    timed = any(isinstance(r["timestamp"], datetime) for r in rows)
    return changes.append_rows(
        schema.AUDIT_LOG,
        sheets.get(schema.AUDIT_LOG.name),
        rows,
        formats={"timestamp": schema.TIMESTAMP_FORMAT if timed else records.DATE_FORMAT},
    )


def numbering_audit_writes(
    sheets: dict[str, SheetRead], numbers: dict[int, str], user: str, when: date | datetime
) -> dict[str, SheetWrite]:
    """AuditLog rows for the Auth #s a refresh fills in (``numbers``: row -> new Auth #),
    when the workbook has an AuditLog sheet (a workbook made before the AuditLog existed gets
    none until a bulk action).

    ``when`` is the log's Timestamp: a plain refresh logs its date only, so refreshing the same
    workbook on the same day always writes the same bytes; a bulk action passes its time.
    """

    if not numbers or schema.AUDIT_LOG.name not in sheets or schema.AUTHS.name not in sheets:
        return {}
    raw_auths = tuple(rawbook.raw_records(schema.AUTHS, sheets[schema.AUTHS.name]))
    found = numbering_changes(raw_auths, numbers)
    entries = audit_entries(found, NEW_AUTH_NO, user, when)
    return {schema.AUDIT_LOG.name: audit_write(sheets, entries)}
