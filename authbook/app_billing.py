"""Glue for the billing features (issue 5): the Checks, Renewals and Dashboard sheets a refresh
writes, and ``renew``. Decisions are in ``authbook.rules`` (checks, renewals, dashboard); cells
and charts in ``authbook.workbook`` (billingrows, dashboard).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from authbook.rules.numbering import next_numbers
from authbook.rules.renewals import renewal_of
from authbook.rules.values import name_key
from authbook.workbook import billingrows, schema
from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.xlsxfile import RefreshLock, WorkbookFile

RENEW_ACTION = "renew"


class RenewError(Exception):
    """An auth to renew that cannot be; the message is for the user."""


def billing_writes(computed) -> dict[str, SheetWrite]:
    """The generated sheets of the billing features: Checks and Renewals."""
    result, sheets = computed.result, computed.sheets
    return {
        schema.CHECKS.name: billingrows.generated_write(
            schema.CHECKS, billingrows.check_rows(result.findings, sheets)
        ),
        schema.RENEWALS.name: billingrows.generated_write(
            schema.RENEWALS, billingrows.renewal_rows(result.renewals, sheets)
        ),
    }


def renew_store(
    store,
    numbers: list[str],
    today: date,
    start: date | None = None,
    units: int | None = None,
    user: str = "unknown",
    force: bool = False,
):
    """Copy the auths numbered ``numbers`` forward as Requested auths, log them in the
    AuditLog when the workbook has one, and refresh. Returns (new Auth #s, Computed).

    Raises RenewError for an unknown Auth #, or one that already has a renewal on file
    (unless ``force``).
    """
    from authbook import app
    from authbook.rules.renewals import successor
    from authbook.rules.units import AuthIndex

    computed = app.compute(store, today)
    book = computed.result.book
    by_number = {name_key(a.auth_no): a for a in book.auths if a.auth_no}
    index = AuthIndex(book.auths)
    chosen = []
    for number in numbers:
        auth = by_number.get(name_key(number))
        if auth is None:
            raise RenewError(f"no auth numbered {number} on the Auths sheet")
        later = successor(auth, index)
        if later is not None and not force:
            raise RenewError(
                f"{auth.key} already has a renewal on file: {later.key} "
                f"({later.request_status or 'Approved'}); use --force to request another"
            )
        chosen.append(auth)
    taken = [a.auth_no for a in book.auths]
    new_numbers = next_numbers(taken, book.settings.auth_prefix, len(chosen))
    records = [
        {"auth_no": number, **renewal_of(auth, today, start, units, owner=None)}
        for number, auth in zip(new_numbers, chosen)
    ]
    sheets = computed.sheets
    writes = {
        schema.AUTHS.name: billingrows.append_records(
            schema.AUTHS, sheets.get(schema.AUTHS.name), records
        )
    }
    audit = getattr(schema, "AUDIT_LOG", None)
    if audit is not None and audit.name in sheets:
        first = billingrows.last_row(sheets.get(schema.AUTHS.name)) + 1
        writes[audit.name] = billingrows.append_records(
            audit,
            sheets[audit.name],
            audit_records(records, first, user, datetime.now().replace(microsecond=0)),
            formats={"timestamp": getattr(schema, "TIMESTAMP_FORMAT", "yyyy-mm-dd hh:mm:ss")},
        )
    store.apply(writes)
    return new_numbers, app.refresh_store(store, today, user=user)


def audit_records(records, first_row: int, user: str, now: datetime) -> list[dict[str, object]]:
    """AuditLog rows for new Auths rows: one per filled cell, old value blank."""
    rows = []
    for offset, record in enumerate(records):
        for name, value in record.items():
            if value is None:
                continue
            column = schema.AUTHS.by_field[name]
            rows.append(
                {
                    "timestamp": now,
                    "user": user,
                    "action": RENEW_ACTION,
                    "sheet": schema.AUTHS.name,
                    "row": first_row + offset,
                    "auth_no": record["auth_no"],
                    "client_id": record["client_id"],
                    "column": column.header,
                    "old_value": None,
                    "new_value": ("Y" if value else "N") if isinstance(value, bool) else value,
                }
            )
    return rows


def renew_file(path: Path | str, numbers: list[str], today: date, **options):
    """``renew_store`` on a workbook file: atomic save, ``.bak`` kept, concurrent runs refused."""
    path = Path(path)
    with RefreshLock(path):
        return renew_store(WorkbookFile(path), numbers, today, **options)
