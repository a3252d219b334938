"""The billing sheets every refresh writes (issue 5): Checks, Renewals and the Dashboard
(its "Check vs payer" panel from the remittances read, issue 26), and the save that draws the
Dashboard's charts. Decisions are in ``authbook.rules`` (checks, renewals, dashboard,
remits); cells and charts in ``authbook.workbook`` (billingrows, dashboard).
"""

from __future__ import annotations

from authbook.rules.dashboard import UnitUse
from authbook.rules.dashboard import dashboard as dashboard_figures
from authbook.rules.remits import PayerOutcomes, prediction_vs_outcome
from authbook.workbook import billingrows, dashboard, rawbook, schema
from authbook.workbook.dashboard import LIST_ROWS, panel
from authbook.workbook.sheetdata import SheetWrite


def billing_writes(computed) -> dict[str, SheetWrite]:
    """The generated sheets of the billing features: Checks, Renewals, and the Dashboard's
    values (``draw_dashboard`` adds its charts where the store can take them)."""

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

    figures = computed.figures.get("dashboard")  # worked out once per refresh
    if figures is None:
        figures = computed.figures["dashboard"] = dashboard_figures(computed.result)
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


_REQUEST_FIELDS = ("requested_units", "approved_units", "approved", "partial", "denied", "open")


def save_with_dashboard(store, computed) -> None:
    """Save a refreshed store, drawing the Dashboard's charts where the store can take them
    and its layout changed (``authbook.workbook.dashboard.save_with_dashboard``)."""

    heading, panels = dashboard_panels(computed)
    dashboard.save_with_dashboard(store, schema.DASHBOARD_SHEET, heading, panels)


def outcome_rows(computed) -> list[list[object]]:
    """Per payer: notes remitted, denied as the Check predicted, denied for an auth reason
    the Check missed, paid despite the Check (``rules.remits.prediction_vs_outcome``), from
    the Notes sheet's Remit Status and Remit CARC. The biggest payers first, then by name;
    beyond the Dashboard's rows the rest are summed as Other."""

    read = computed.sheets.get(schema.NOTES.name)
    if read is None or "remit_status" not in schema.map_headers(schema.NOTES_READ, read.headers):
        return []  # (the usual case, before any remittance is read: no rows converted)
    raw = rawbook.raw_rows(schema.NOTES_READ, read)
    statuses, carcs = raw.columns(["remit_status", "remit_carc"])
    result = computed.result
    payer_of = dict(zip(result.notes.rows, result.notes.columns(["payer"])[0]))
    denied = {f.source.row for f in result.findings if f.denies}
    figures = prediction_vs_outcome(
        (payer_of.get(row), row in denied, status, carc)
        for row, status, carc in zip(raw.rows, statuses, carcs)
        if status
    )
    if len(figures) > LIST_ROWS:
        figures = sorted(figures, key=lambda p: (-p.remitted, p.payer))
        rest = figures[LIST_ROWS - 1 :]
        other = PayerOutcomes(
            "Other",
            *(
                sum(getattr(p, f) for p in rest)
                for f in PayerOutcomes.__dataclass_fields__
                if f != "payer"
            ),
        )
        figures = [*sorted(figures[: LIST_ROWS - 1], key=lambda p: p.payer), other]
    return [
        [p.payer, p.remitted, p.denied_as_predicted, p.missed, p.paid_despite_check]
        for p in figures
    ]
