"""Glue for the billing features (issue 5): the Checks, Renewals and Dashboard sheets a refresh
writes, and ``renew``. Decisions are in ``authbook.rules`` (checks, renewals, dashboard); cells
and charts in ``authbook.workbook`` (billingrows, dashboard).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from authbook.rules.numbering import next_numbers
from authbook.rules.renewals import renewal_of
from authbook.workbook import billingrows, schema
from authbook.workbook.records import first_new_row
from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.xlsxfile import FastWorkbookFile, RefreshLock

RENEW_ACTION = "renew"


class RenewError(Exception):
    """An auth to renew that cannot be; the message is for the user."""


def billing_writes(computed) -> dict[str, SheetWrite]:
    """The generated sheets of the billing features: Checks, Renewals, and the Dashboard's
    values (``draw_dashboard`` adds its charts where the store can take them)."""
    from authbook.workbook import dashboard

    result, sheets = computed.result, computed.sheets
    heading, panels = dashboard_panels(computed)
    return {
        schema.DASHBOARD_SHEET: dashboard.dashboard_write(heading, panels),
        schema.CHECKS.name: billingrows.generated_write(
            schema.CHECKS, billingrows.check_rows(result.findings, sheets)
        ),
        schema.RENEWALS.name: billingrows.generated_write(
            schema.RENEWALS, billingrows.renewal_rows(result.renewals, sheets)
        ),
    }


def dashboard_panels(computed):
    """The Dashboard's heading lines and panels (figures in the workbook's fixed shapes)."""
    from authbook.rules.dashboard import UnitUse, dashboard
    from authbook.workbook.dashboard import LIST_ROWS, panel

    figures = computed.figures.get("dashboard")  # worked out once per refresh
    if figures is None:
        figures = computed.figures["dashboard"] = dashboard(computed.result)
    heading = [
        "AuthBook dashboard",
        f"As of {figures.as_of:%m/%d/%Y}. Filled in by every refresh: do not type here.",
    ]

    def units(uses: list[UnitUse]) -> list[list[object]]:
        if len(uses) > LIST_ROWS:  # the biggest ones, the rest as Other
            uses = sorted(uses, key=lambda u: (-u.allotted, u.name))
            rest = uses[LIST_ROWS - 1 :]
            other = UnitUse(
                "Other",
                sum(u.allotted for u in rest),
                sum(u.used for u in rest),
                sum(u.pending for u in rest),
            )
            uses = [*sorted(uses[: LIST_ROWS - 1], key=lambda u: u.name), other]
        return [[u.name, u.allotted, u.used, u.pending, u.remaining] for u in uses]

    approvals = figures.approvals
    if len(approvals) > LIST_ROWS:
        approvals = sorted(approvals, key=lambda p: (-p.decided, p.payer))
        rest = approvals[LIST_ROWS - 1 :]
        other = type(rest[0])(
            "Other",
            *(sum(getattr(p, f) for p in rest) for f in _REQUEST_FIELDS),
        )
        approvals = [*sorted(approvals[: LIST_ROWS - 1], key=lambda p: p.payer), other]
    at_risk_title = (
        f"Notes at risk: {figures.at_risk_notes} notes, "
        f"${figures.at_risk_charge:,.2f} (would be denied)"
    )
    panels = [
        panel("alerts", [list(a) for a in figures.alerts]),
        panel("expiring", [list(e) for e in figures.expiring]),
        panel("payers", units(figures.units_by_payer)),
        panel("groups", units(figures.units_by_group)),
        panel("at_risk", [[r.kind, r.notes, r.charge] for r in figures.at_risk], at_risk_title),
        panel(
            "approvals",
            [
                [p.payer, p.requested_units, p.approved_units, p.decided, p.approval_rate]
                for p in approvals
            ],
        ),
    ]
    outcomes = outcome_rows(computed)
    if outcomes:  # shown once remittances have been read (issue 26)
        panels.append(panel("outcomes", outcomes))
    return heading, panels


def outcome_rows(computed) -> list[list[object]]:
    """The Dashboard's "Check vs payer" rows (issue 26; ``authbook.app_claims``)."""
    from authbook import app_claims

    return app_claims.outcome_rows(computed)


_REQUEST_FIELDS = ("requested_units", "approved_units", "approved", "partial", "denied", "open")


def save_with_dashboard(store, computed) -> None:
    """Save a refreshed store, drawing the Dashboard's charts where the store can take them
    and its layout changed (``authbook.workbook.dashboard.save_with_dashboard``)."""
    from authbook.workbook import dashboard

    heading, panels = dashboard_panels(computed)
    dashboard.save_with_dashboard(store, schema.DASHBOARD_SHEET, heading, panels)


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
    from authbook import app
    from authbook.rules.approvals import approvals_of_number, line_reference
    from authbook.rules.renewals import successor
    from authbook.rules.units import AuthIndex

    computed = app.compute(store, today)
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
    audit = getattr(schema, "AUDIT_LOG", None)
    if audit is not None and audit.name in sheets:
        first = first_new_row(sheets.get(schema.AUTHS.name))
        writes[audit.name] = billingrows.append_records(
            audit,
            sheets[audit.name],
            audit_records(records, first, user, datetime.now().replace(microsecond=0)),
            formats={"timestamp": getattr(schema, "TIMESTAMP_FORMAT", "yyyy-mm-dd hh:mm:ss")},
        )
    return new_numbers, app.apply_and_refresh(store, sheets, writes, today, user=user)


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
        return renew_store(FastWorkbookFile(path), numbers, today, **options)
