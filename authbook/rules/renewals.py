"""The renewal pipeline: when each auth's units run out at its recent pace, what needs a
request now, the request row that copies an auth forward, and how payers answer requests.

Burn rate: the units of Pending and Released notes counted against an auth (directly or
through its group) over the last ``weeks`` weeks up to as_of, per day of that window (the
window starts no earlier than the auth's Start Date). The units run out on the day the
Available Units (Remaining − Pending) are used up at that rate: as_of + ceil(available / rate).
A RUNS OUT alert is raised when that day comes before End Date minus Exp Alert Days.
"""

from __future__ import annotations

from datetime import date, timedelta

from authbook.modelbase import dataclass
from authbook.models import (
    APPROVED_STATUSES,
    OPEN_REQUEST_STATUSES,
    Alert,
    Auth,
    Book,
    Client,
    Renewal,
)
from authbook.rules.units import AuthIndex, Ledger
from authbook.rules.values import name_key

#: Alert kinds that mean "request a renewal now", most urgent first.
RENEWAL_KINDS = ("EXHAUSTED", "RUNS OUT", "LOW", "EXPIRING", "EXPIRED")
FOLLOW_UP = "FOLLOW UP"
#: Days from a request to its follow-up when none is given.
FOLLOW_UP_DAYS = 14


@dataclass(frozen=True)
class Forecast:
    """An auth's recent pace: ``units`` drawn over ``days`` days up to as_of, and the day the
    available units run out at that pace (None when nothing was drawn)."""

    auth: Auth
    units: int
    days: int
    available: int
    runs_out: date | None

    @property
    def per_week(self) -> float:
        return self.units * 7 / self.days if self.days else 0.0


def forecast(auth: Auth, ledger: Ledger, as_of: date, weeks: int = 8) -> Forecast | None:
    """The burn-rate forecast of a managed, approved auth whose dates contain ``as_of``."""
    available = ledger.available(auth)
    if available is None or not auth.is_approved or not auth.covers(as_of):
        return None
    start = max(as_of - timedelta(days=7 * weeks - 1), auth.start_date)
    days = (as_of - start).days + 1
    units = ledger.units_between(auth, start, as_of)
    runs_out = None
    if units and available > 0:
        runs_out = as_of + timedelta(days=-(-available * days // units))
    elif units:
        runs_out = as_of
    return Forecast(auth, units, days, available, runs_out)


def runs_out_alert(
    auth: Auth, ledger: Ledger, as_of: date, weeks: int = 8, remaining: int | None = None
) -> Alert | None:
    """A RUNS OUT alert when, at its recent pace, the auth's units run out before End Date
    minus Exp Alert Days (none for suspended alerts or auths already out of units)."""
    if auth.suspend_alerts:
        return None
    found = forecast(auth, ledger, as_of, weeks)
    if found is None or found.runs_out is None or found.available <= 0:
        return None
    deadline = auth.end_date - timedelta(days=auth.exp_alert_days or 0)
    if found.runs_out >= deadline:
        return None
    message = (
        f"RUNS OUT {found.runs_out:%m/%d/%Y}: {found.available} "
        f"unit{'' if found.available == 1 else 's'} available at "
        f"{found.per_week:.1f}/week, End Date {auth.end_date:%m/%d/%Y}"
    )
    return Alert(
        source=auth.source,
        kind="RUNS OUT",
        message=message,
        auth_no=auth.auth_no,
        client_id=auth.client_id,
        billing_code=auth.billing_code,
        end_date=auth.end_date,
        remaining_units=ledger.remaining(auth) if remaining is None else remaining,
        provider=auth.provider,
        payer=auth.payer,
    )


def successor(auth: Auth, index: AuthIndex) -> Auth | None:
    """The client's later auth for the same code that is not Denied (a renewal on file), the
    one ending last."""
    later = [
        other
        for other in index.for_client_code(auth.client_id, auth.billing_code)
        if other is not auth and other.end_date > auth.end_date and other.request_status != "Denied"
    ]
    return max(later, key=lambda a: (a.end_date, a.source.row), default=None)


def request_text(auth: Auth) -> str:
    """How a request on file reads: ``Submitted AB000123 (follow up 03/15/2026)``."""
    text = f"{auth.request_status or 'Approved'} {auth.key}"
    if auth.request_status in OPEN_REQUEST_STATUSES and auth.follow_up_date:
        text += f" (follow up {auth.follow_up_date:%m/%d/%Y})"
    return text


def renewals(
    book: Book, ledger: Ledger, alerts: list[Alert], as_of: date, index: AuthIndex | None = None
) -> list[Renewal]:
    """What needs a request now, and open requests due for a follow-up.

    One row per alerted pool (``alerts`` has one alert per pool and kind, naming its codes)
    raising LOW, EXHAUSTED, RUNS OUT, EXPIRING or EXPIRED when no renewal is on file for it
    (a later auth of the same client and code that is not Denied); the reason is
    the most urgent of its alerts and the message lists them all. Then one FOLLOW UP row per
    open request (Requested, Submitted, Pended) whose Follow-up Date has come (or is blank).
    Rows are in reason order, then End Date, then sheet row.
    """
    index = index or AuthIndex(book.auths)
    by_row = {a.source.row: a for a in book.auths}
    alerts_by_row: dict[int, list[Alert]] = {}
    for alert in alerts:
        if alert.kind in RENEWAL_KINDS:
            alerts_by_row.setdefault(alert.source.row, []).append(alert)
    rank = {kind: i for i, kind in enumerate((*RENEWAL_KINDS, FOLLOW_UP))}
    found: list[Renewal] = []
    runs_out: dict[int, date | None] = {}
    for row, auth_alerts in alerts_by_row.items():
        auth = by_row[row]
        if successor(auth, index) is not None:
            continue
        auth_alerts.sort(key=lambda a: rank[a.kind])
        estimate = forecast(auth, ledger, as_of, book.settings.forecast_weeks)
        runs_out[row] = estimate.runs_out if estimate else None
        found.append(
            Renewal(
                source=auth.source,
                reason=auth_alerts[0].kind,
                message="; ".join(a.message for a in auth_alerts),
                auth_no=auth_alerts[0].auth_no,
                client_id=auth.client_id,
                billing_code=auth_alerts[0].billing_code,
                payer=auth.payer,
                end_date=auth.end_date,
                remaining_units=ledger.remaining(auth),
                runs_out=runs_out[row],
                owner=auth.owner,
                follow_up_date=auth.follow_up_date,
            )
        )
    # an open request for several codes (a whole approval renewed) is one follow-up
    approval_of = index.approval_of
    due_lines: dict[int, list[Auth]] = {}
    for auth in book.auths:
        due = auth.follow_up_date is None or auth.follow_up_date <= as_of
        if auth.request_status in OPEN_REQUEST_STATUSES and due:
            due_lines.setdefault(approval_of[auth.source.row], []).append(auth)
    for lines in due_lines.values():
        auth = lines[0]
        asked = sum(a.requested_units or 0 for a in lines if a.requested_units)
        if auth.auth_group and len({name_key(a.auth_group or "") for a in lines}) == 1:
            # one pool: its units are asked once, on every line
            asked = auth.requested_units or 0
        asked = f"{asked} units" if asked else "units"
        since = f" on {auth.date_requested:%m/%d/%Y}" if auth.date_requested else ""
        found.append(
            Renewal(
                source=auth.source,
                reason=FOLLOW_UP,
                message=f"FOLLOW UP: {asked} requested{since}, {auth.request_status}",
                auth_no=", ".join(dict.fromkeys(a.auth_no for a in lines if a.auth_no)) or None,
                client_id=auth.client_id,
                billing_code=", ".join(dict.fromkeys(a.billing_code for a in lines)),
                payer=auth.payer,
                end_date=auth.end_date,
                request=request_text(auth),
                owner=auth.owner,
                follow_up_date=auth.follow_up_date,
            )
        )
    found.sort(key=lambda r: (rank[r.reason], r.end_date, r.source.row))
    return found


def renewal_of(
    auth: Auth,
    today: date,
    start: date | None = None,
    units: int | None = None,
    owner: str | None = None,
) -> dict[str, object]:
    """The input fields of the Requested auth that copies ``auth`` into the next period.

    Same client, code, diagnosis, group, provider, payer, alert levels and period limit; Start
    Date the day after its End Date unless given; as many days as it covered; Requested Units
    ``units`` or its Allotted Units; Allotted Units blank until the payer answers; Date
    Requested ``today``, Follow-up Date two weeks later; Owner kept unless given.
    """
    first = start or auth.end_date + timedelta(days=1)
    length = (auth.end_date - auth.start_date).days
    copied = (
        "client_id",
        "billing_code",
        "diagnosis",
        "unit_alert_level",
        "exp_alert_days",
        "provider",
        "payer",
        "auth_group",
        "unmanaged",
        "sliding_scale_pct",
        "inpatient",
        "max_units",
        "per",
    )
    values: dict[str, object] = {name: getattr(auth, name) for name in copied}
    values.update(
        start_date=first,
        end_date=first + timedelta(days=length),
        request_status="Requested",
        requested_units=units if units is not None else auth.allotted_units,
        date_requested=today,
        follow_up_date=today + timedelta(days=FOLLOW_UP_DAYS),
        owner=owner or auth.owner,
    )
    return values


@dataclass(frozen=True)
class PayerRequests:
    """How one payer answered requests: units requested and approved, and decisions."""

    payer: str
    requested_units: int
    approved_units: int
    approved: int
    partial: int
    denied: int
    open: int

    @property
    def decided(self) -> int:
        return self.approved + self.partial + self.denied

    @property
    def approval_rate(self) -> float | None:
        """Share of decided requests approved in full or in part (None before any decision)."""
        return (self.approved + self.partial) / self.decided if self.decided else None


def payer_of(auth: Auth, clients: dict[str, Client]) -> str:
    """The auth's payer, else the client's primary payer, else "(no payer)"."""
    client = clients.get(name_key(auth.client_id))
    return auth.payer or (client.primary_payer if client else None) or "(no payer)"


def payer_requests(book: Book) -> list[PayerRequests]:
    """Requested versus approved units and decisions per payer, for auths with a Request
    Status. Approved units are the Allotted Units of Approved and Partial requests; requested
    units count every request that gives Requested Units. Sorted by payer."""
    clients = {name_key(c.client_id): c for c in book.clients}
    totals: dict[str, dict[str, int]] = {}
    for auth in book.auths:
        if auth.request_status is None:
            continue
        t = totals.setdefault(
            payer_of(auth, clients),
            dict.fromkeys(("requested", "granted", "Approved", "Partial", "Denied", "open"), 0),
        )
        t["requested"] += auth.requested_units or 0
        if auth.request_status in APPROVED_STATUSES:
            t["granted"] += auth.allotted_units or 0
        if auth.request_status in OPEN_REQUEST_STATUSES:
            t["open"] += 1
        else:
            t[auth.request_status] += 1
    return [
        PayerRequests(
            payer=payer,
            requested_units=t["requested"],
            approved_units=t["granted"],
            approved=t["Approved"],
            partial=t["Partial"],
            denied=t["Denied"],
            open=t["open"],
        )
        for payer, t in sorted(totals.items())
    ]
