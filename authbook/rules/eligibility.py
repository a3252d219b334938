"""Which billing codes a clinician may use for a client's session on a date.

A code is eligible when an auth would serve a new 1-unit note that day: same client, service
date within its dates, not excluded from notes, approved (Request Status blank, Approved or
Partial), provider allowed, units available (or unmanaged) after every note already in the
ledger, and room left under its period limit (Max Units per Day/Week/Month) in the period of
that day. The Default auth's code comes first. With an Auth # typed on the note, only the
lines of that number count (the pinned-note rule of ``authbook.rules.units``).
"""

from __future__ import annotations

from datetime import date

from authbook.models import Auth
from authbook.rules.limits import has_period_room
from authbook.rules.units import Ledger
from authbook.rules.values import code_key, name_key


def serving_auths(
    auths,
    ledger: Ledger,
    client_id: str,
    day: date,
    provider: str | None = None,
    units: int = 1,
    auth_no: str | None = None,
) -> list[Auth]:
    """Auths that would serve a new note of ``units`` for this client, day and provider (and
    typed Auth # ``auth_no``, when given: only lines of that number), in the order a note
    would pick them (Default, earliest End Date, sheet order)."""
    if auth_no:
        number = name_key(auth_no)
        auths = [a for a in auths if a.auth_no and name_key(a.auth_no) == number]
    found = [
        a
        for a in auths
        if name_key(a.client_id) == name_key(client_id)
        and a.covers(day)
        and not a.exclude_from_notes
        and a.is_approved
        and a.allows_provider(provider)
        and ledger.has_units(a, units)
        and has_period_room(a, ledger, day, units)
    ]
    return sorted(found, key=lambda a: (not a.default, a.end_date, a.source.row))


def eligible_codes(
    auths,
    ledger: Ledger,
    client_id: str,
    day: date,
    provider: str | None = None,
    auth_no: str | None = None,
) -> list[str]:
    """The distinct billing codes eligible for a new 1-unit note, Default first (of the
    lines of ``auth_no`` only, when the note names one)."""
    codes: list[str] = []
    seen: set[str] = set()
    for auth in serving_auths(auths, ledger, client_id, day, provider, auth_no=auth_no):
        if code_key(auth.billing_code) not in seen:
            seen.add(code_key(auth.billing_code))
            codes.append(auth.billing_code)
    return codes


def provider_limited(auths, ledger: Ledger, client_id: str, day: date) -> list[tuple[str, Auth]]:
    """(code, auth) for codes left out when no provider is given because each auth that
    would serve them is for one provider only: the code is eligible for that provider."""
    listed = {code_key(c) for c in eligible_codes(auths, ledger, client_id, day)}
    found: dict[str, Auth] = {}
    for provider in {a.provider for a in auths if a.provider}:
        for auth in serving_auths(auths, ledger, client_id, day, provider):
            key = code_key(auth.billing_code)
            if key not in listed and auth.provider:
                found.setdefault(key, auth)
    return sorted(
        ((a.billing_code, a) for a in found.values()), key=lambda pair: pair[1].source.row
    )
