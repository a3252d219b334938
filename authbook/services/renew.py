"""``authbook renew``: copy approvals forward as Requested auths, log them, refresh.

Read -> compute (``services.refresh.compute``) -> choose the lines and their new numbers
(``rules.approvals``, ``rules.renewals``, ``rules.numbering``) -> plan the Auths rows and
their AuditLog rows (``services.audit.audit_row``) -> ``services.refresh.apply_and_refresh``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from authbook.rules.approvals import approvals_of_number, line_reference
from authbook.rules.numbering import next_numbers
from authbook.rules.renewals import renewal_of, successor
from authbook.rules.units import AuthIndex
from authbook.services.audit import audit_log_write, audit_row
from authbook.services.refresh import apply_and_refresh, compute
from authbook.workbook import billingrows, schema
from authbook.workbook.records import first_new_row
from authbook.workbook.xlsxfile import FastWorkbookFile, RefreshLock

RENEW_ACTION = "renew"


class RenewError(Exception):
    """An auth to renew that cannot be; the message is for the user."""


def renew_store(
    store,
    numbers: list[str],
    today: date,
    start: date | None = None,
    units: int | None = None,
    user: str = "unknown",
    force: bool = False,
):
    """Copy approvals forward as Requested auths, log them in the AuditLog when the workbook
    has one, and refresh. Returns (the new Auth # for each of ``numbers``, Computed).

    Each of ``numbers`` is an Auth #, renewing every line of its approval as one new
    approval (one new number on all its lines, Auth Group kept, so the pool is kept), or a
    line reference (``Auths!12``, ``row 12``) renewing that line alone.

    Raises RenewError for an unknown Auth # or line, a number on several clients' lines, or
    a line that already has a renewal on file (unless ``force``).
    """

    computed = compute(store, today)
    book = computed.result.book
    by_row = {a.source.row: a for a in book.auths}
    index = AuthIndex(book.auths)
    chosen: list[list] = []
    for number in numbers:
        row = line_reference(number)
        if row is not None:
            if row not in by_row:
                raise RenewError(f"no auth on Auths row {row}")
            lines = [by_row[row]]
        else:
            approvals = approvals_of_number(book.auths, number)
            if not approvals:
                raise RenewError(f"no auth numbered {number} on the Auths sheet")
            if len(approvals) > 1:
                rows = ", ".join(str(a[0].source.row) for a in approvals)
                raise RenewError(
                    f"Auth # {number} is on lines of several clients (Auths rows {rows}); "
                    "renew one line by its reference, e.g. Auths!" + rows.split(",")[0]
                )
            lines = approvals[0]
        for auth in lines:
            later = successor(auth, index)
            if later is not None and not force:
                raise RenewError(
                    f"{auth.key} already has a renewal on file: {later.key} "
                    f"({later.request_status or 'Approved'}); use --force to request another"
                )
        chosen.append(lines)
    taken = [a.auth_no for a in book.auths]
    new_numbers = next_numbers(taken, book.settings.auth_prefix, len(chosen))
    records = [
        {"auth_no": number, **renewal_of(auth, today, start, units, owner=None)}
        for number, lines in zip(new_numbers, chosen)
        for auth in lines
    ]
    sheets = computed.sheets
    writes = {
        schema.AUTHS.name: billingrows.append_records(
            schema.AUTHS, sheets.get(schema.AUTHS.name), records
        )
    }
    if schema.AUDIT_LOG.name in sheets:
        first = first_new_row(sheets.get(schema.AUTHS.name))
        now = datetime.now().replace(microsecond=0)
        writes[schema.AUDIT_LOG.name] = audit_log_write(
            sheets, audit_records(records, first, user, now)
        )
    return new_numbers, apply_and_refresh(store, sheets, writes, today, user=user)


def audit_records(records, first_row: int, user: str, now: datetime) -> list[dict[str, object]]:
    """AuditLog rows for new Auths rows: one per filled cell, old value blank."""
    rows = []
    for offset, record in enumerate(records):
        for name, value in record.items():
            if value is None:
                continue
            column = schema.AUTHS.by_field[name]
            new = ("Y" if value else "N") if isinstance(value, bool) else value
            rows.append(
                audit_row(
                    now,
                    user,
                    RENEW_ACTION,
                    schema.AUTHS.name,
                    first_row + offset,
                    column.header,
                    None,
                    new,
                    record["auth_no"],
                    record["client_id"],
                )
            )
    return rows


def renew_file(path: Path | str, numbers: list[str], today: date, **options):
    """``renew_store`` on a workbook file: atomic save, ``.bak`` kept, concurrent runs refused."""
    path = Path(path)
    with RefreshLock(path):
        return renew_store(FastWorkbookFile(path), numbers, today, **options)
