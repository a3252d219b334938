"""The figures of the Dashboard sheet and ``authbook report``, from a refreshed workbook.

- alerts by kind (every kind, zeros included), one per pool as the Alerts sheet has them;
- approvals (``rules.approvals``) with an approved line ending within 0-30, 31-60 and 61-90
  days of as_of, each counted once (in the window of its first line ending there);
- units of current auths (approved, managed, dates containing as_of) by payer and by Auth
  Group: Allotted, Used (Prior Units Used + Released) and Pending. The lines of a pool
  share its units, so the pool is counted once (its first current line);
- notes at risk: Pending and Released notes with a finding a payer would deny, per reason
  (``RISK_REASONS``: the kinds of finding grouped by what fixes them), with the charge at
  stake (a note with two reasons counts under both; the total counts it once);
- requested versus approved units and approval rate per payer (``rules.renewals``).
"""

from __future__ import annotations

from datetime import date, timedelta

from authbook.modelbase import dataclass
from authbook.models import ALERT_KINDS, Auth
from authbook.rules.approvals import approval_rows, pool_rows
from authbook.rules.renewals import PayerRequests, payer_of, payer_requests
from authbook.rules.values import name_key

EXPIRY_WINDOWS = ((0, 30), (31, 60), (61, 90))
#: Reasons notes are at risk, each the kinds of finding it covers (see rules.checks, coding).
RISK_REASONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "No auth for the date (197/39)",
        ("NO AUTH", "OUTSIDE DATES", "EXCLUDED", "NOT APPROVED", "REQUEST DENIED"),
    ),
    ("Units beyond the auth (198)", ("OVER UNITS",)),
    (
        "Auth # or provider (15)",
        ("AUTH # NOT FOUND", "AUTH # DOES NOT FIT", "PROVIDER NOT ALLOWED"),
    ),
    ("Period limit (119)", ("PERIOD LIMIT",)),
    (
        "Coding (150/151/236/B15)",
        (
            "TIME DOES NOT FIT CODE",
            "ADD-ON WITHOUT PRIMARY",
            "CODES DO NOT GO TOGETHER",
            "ONCE A DAY",
            "UNITS EXCEED MINUTES",
        ),
    ),
    ("Unreadable note", ("INPUT PROBLEM",)),
)
OTHER_REASON = "Other"
NO_GROUP = "(no group)"


@dataclass(frozen=True)
class UnitUse:
    """Units of a set of current auths: ``name`` is the payer or group."""

    name: str
    allotted: int
    used: int
    pending: int

    @property
    def remaining(self) -> int:
        return self.allotted - self.used


@dataclass(frozen=True)
class AtRisk:
    """Notes a payer would deny for one reason (``RISK_REASONS``), and their charges."""

    kind: str
    notes: int
    charge: float


@dataclass(frozen=True)
class Dashboard:
    """The figures the Dashboard sheet shows as of a day: alerts by kind, auths expiring,
    units by payer and by group, and the notes at risk of denial with their charges."""

    as_of: date
    alerts: list[tuple[str, int]]
    expiring: list[tuple[str, int]]
    units_by_payer: list[UnitUse]
    units_by_group: list[UnitUse]
    at_risk: list[AtRisk]
    at_risk_notes: int
    at_risk_charge: float
    approvals: list[PayerRequests]


def dashboard(result) -> Dashboard:
    """The dashboard figures of a ``Refreshed`` result."""
    book, ledger, as_of = result.book, result.ledger, result.as_of
    counts = dict.fromkeys(ALERT_KINDS, 0)
    for alert in result.alerts:
        counts[alert.kind] = counts.get(alert.kind, 0) + 1
    index = getattr(result, "index", None)
    approval_of = index.approval_of if index is not None else approval_rows(book.auths)
    counted: set[int] = set()
    expiring = []
    for low, high in EXPIRY_WINDOWS:
        first, last = as_of + timedelta(days=low), as_of + timedelta(days=high)
        ending = {
            approval_of[a.source.row]
            for a in book.auths
            if a.is_approved and first <= a.end_date <= last
        }
        expiring.append((f"{low}-{high} days", len(ending - counted)))
        counted |= ending

    clients = {name_key(c.client_id): c for c in book.clients}
    by_payer: dict[str, list[int]] = {}
    by_group: dict[str, list[int]] = {}
    pool_of = index.pool_of if index is not None else pool_rows(book.auths, approval_of)
    pools: set[int] = set()
    for auth in book.auths:
        if not _current(auth, as_of):
            continue
        pool = pool_of[auth.source.row]
        if pool in pools:
            continue
        pools.add(pool)
        row = auth.source.row
        figures = (
            auth.allotted_units or 0,
            auth.prior_units_used + ledger.used[row],
            ledger.pending[row],
        )
        for totals, key in (
            (by_payer, payer_of(auth, clients)),
            (by_group, auth.auth_group or NO_GROUP),
        ):
            sums = totals.setdefault(key, [0, 0, 0])
            for i, value in enumerate(figures):
                sums[i] += value

    reason_of = {kind: label for label, kinds in RISK_REASONS for kind in kinds}
    reasons: dict[str, set[int]] = {label: set() for label, _ in RISK_REASONS}
    for found in result.findings:
        if found.denies:
            label = reason_of.get(found.kind, OTHER_REASON)
            reasons.setdefault(label, set()).add(found.source.row)
    risky = set().union(*reasons.values())
    charges = result.at_risk_charges
    at_risk = [
        AtRisk(label, len(rows), round(sum(charges.get(r, 0.0) for r in rows), 2))
        for label, rows in reasons.items()
    ]
    return Dashboard(
        as_of=as_of,
        alerts=list(counts.items()),
        expiring=expiring,
        units_by_payer=_uses(by_payer),
        units_by_group=_uses(by_group),
        at_risk=at_risk,
        at_risk_notes=len(risky),
        at_risk_charge=round(sum(charges.get(r, 0.0) for r in risky), 2),
        approvals=payer_requests(book),
    )


def _current(auth: Auth, as_of: date) -> bool:
    return auth.is_approved and not auth.unmanaged and auth.covers(as_of)


def _uses(totals: dict[str, list[int]]) -> list[UnitUse]:
    return [UnitUse(name, *sums) for name, sums in sorted(totals.items())]
