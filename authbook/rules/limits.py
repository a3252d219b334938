"""Period limits on an auth: at most Max Units per Day, Week or Month.

Weeks run Sunday to Saturday (the US claim week); months are calendar months. The units an
auth has carried in a period are the units of every Pending or Released note counted against
it there, directly or through its Auth Group, exactly as the ledger counted them.
"""

from __future__ import annotations

from datetime import date, timedelta

from authbook.modelbase import dataclass
from authbook.models import Auth, Note
from authbook.rules.units import Ledger


def period_of(per: str, day: date) -> tuple[date, date]:
    """First and last day of the Day, Week (Sunday-Saturday) or Month that contains ``day``."""
    if per == "Day":
        return day, day
    if per == "Week":
        start = day - timedelta(days=(day.weekday() + 1) % 7)
        return start, start + timedelta(days=6)
    if per == "Month":
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    raise ValueError(f"unknown period {per!r}")  # a bug: book.py only lets PERIODS through


def has_limit(auth: Auth) -> bool:
    return auth.max_units is not None and auth.per is not None


def units_in_period(auth: Auth, ledger: Ledger, day: date) -> int:
    """Units counted against ``auth`` in the period (of its limit) that contains ``day``."""
    start, end = period_of(auth.per or "Day", day)
    return ledger.units_between(auth, start, end)


def has_period_room(auth: Auth, ledger: Ledger, day: date, units: int = 1) -> bool:
    """True when ``units`` more on ``day`` stay within the auth's period limit (or it has none)."""
    if not has_limit(auth):
        return True
    return units_in_period(auth, ledger, day) + units <= auth.max_units


@dataclass(frozen=True)
class Excess:
    """A note that took an auth past its period limit: ``before`` units were already counted in
    the period ``start``..``end``."""

    note: Note
    auth: Auth
    before: int
    start: date
    end: date


def period_excesses(auths, ledger: Ledger) -> dict[int, Excess]:
    """Note row -> the first period limit it breaks, for every note counted beyond a limit.

    Notes are taken in the order the ledger counted them (service date, then row).
    """
    found: dict[int, Excess] = {}
    for auth in auths:
        if not has_limit(auth):
            continue
        totals: dict[date, int] = {}
        for note in ledger.counted[auth.source.row]:
            start, end = period_of(auth.per, note.service_date)
            before = totals.get(start, 0)
            totals[start] = before + note.units
            if before + note.units > auth.max_units:
                found.setdefault(note.source.row, Excess(note, auth, before, start, end))
    return found
