"""Unit and expiration alerts on auths, and whether an auth is Active.

Alerts (none when Suspend Alerts = Y):

- OVER: Remaining < 0 — notes were billed beyond the approval.
- EXHAUSTED: Remaining = 0 on an auth that has not ended.
- LOW: 0 < Remaining <= Unit Alert Level on an auth that has not ended.
- EXPIRING: as_of <= End Date <= as_of + Exp Alert Days.
- EXPIRED: End Date < as_of, the client is active, and the client has no later auth for the
  same billing code (once renewed, the old auth stops alerting).

LOW and EXHAUSTED stop once an auth has ended (EXPIRED, or nothing when renewed, takes over);
OVER stays, because it means sessions were billed that the payer will not pay.
Unmanaged auths have no unit alerts.

The Auths sheet's Alert column marks every line; the Alerts sheet has one row per pool and
kind (``per_pool``): the lines of a pool share their units, so their alerts are one piece
of work for a biller.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from authbook.models import Alert, Auth, Client
from authbook.rules.units import AuthIndex, Ledger
from authbook.rules.values import name_key


def is_active(auth: Auth, remaining: int | None, as_of: date) -> bool:
    """Active as of a date: approved, inside its dates and (unmanaged or units remaining)."""
    return auth.is_approved and auth.covers(as_of) and (remaining is None or remaining > 0)


def has_successor(auth: Auth, index: AuthIndex) -> bool:
    """True when the client has another auth for the same code ending after this one (a
    Denied request does not count)."""
    return any(
        other is not auth and other.end_date > auth.end_date and other.request_status != "Denied"
        for other in index.for_client_code(auth.client_id, auth.billing_code)
    )


def auth_alerts(
    auth: Auth,
    ledger: Ledger,
    index: AuthIndex,
    clients: dict[str, Client],
    as_of: date,
) -> list[Alert]:
    """The alerts one auth raises as of a date, most urgent first (none for a request the
    payer has not approved: the Renewals sheet follows those up)."""
    if auth.suspend_alerts or not auth.is_approved:
        return []
    remaining = ledger.remaining(auth)
    ended = auth.end_date < as_of
    found: list[tuple[str, str]] = []
    if remaining is not None:
        if remaining < 0:
            found.append(("OVER", f"OVER: {-remaining} {_units(-remaining)} over the approval"))
        elif remaining == 0 and not ended:
            found.append(("EXHAUSTED", "EXHAUSTED: no units left"))
        elif (
            not ended
            and auth.unit_alert_level is not None
            and 0 < remaining <= auth.unit_alert_level
        ):
            found.append(("LOW", f"LOW: {remaining} {_units(remaining)} left"))
    if auth.exp_alert_days is not None and as_of <= auth.end_date <= as_of + timedelta(
        days=auth.exp_alert_days
    ):
        days = (auth.end_date - as_of).days
        when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        found.append(("EXPIRING", f"EXPIRING: ends {when} ({auth.end_date:%m/%d/%Y})"))
    if ended:
        client = clients.get(name_key(auth.client_id))
        if (client is None or client.active) and not has_successor(auth, index):
            found.append(("EXPIRED", f"EXPIRED: ended {auth.end_date:%m/%d/%Y}, no renewal"))
    return [
        Alert(
            source=auth.source,
            kind=kind,
            message=message,
            auth_no=auth.auth_no,
            client_id=auth.client_id,
            billing_code=auth.billing_code,
            end_date=auth.end_date,
            remaining_units=remaining,
            provider=auth.provider,
            payer=auth.payer,
        )
        for kind, message in found
    ]


def _units(n: int) -> str:
    return "unit" if n == 1 else "units"


def per_pool(alerts: list[Alert], pool_of: dict[int, int]) -> list[Alert]:
    """The alerts with those of one pool and kind made one (``pool_of``: auth row -> its
    pool's row, ``authbook.rules.approvals.pool_rows``): the first line's alert, naming
    every code and Auth # of the lines raising it and their rows. An alert of a line alone
    in its pool is kept as it is. In the order of each pool's first alert."""
    grouped: dict[tuple[int, str], list[Alert]] = {}
    for alert in alerts:
        row = alert.source.row
        grouped.setdefault((pool_of.get(row, row), alert.kind), []).append(alert)
    found = []
    for lines in grouped.values():
        if len(lines) == 1:
            found.append(lines[0])
            continue
        first = lines[0]
        rows = ", ".join(str(a.source.row) for a in lines)
        found.append(
            replace(
                first,
                message=f"{first.message} (pool of rows {rows})",
                auth_no=", ".join(dict.fromkeys(a.auth_no for a in lines if a.auth_no)) or None,
                billing_code=", ".join(dict.fromkeys(a.billing_code for a in lines)),
            )
        )
    return found
