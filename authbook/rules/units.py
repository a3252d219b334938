"""Which auth each note draws from, and the units that follow from it.

Units are derived, never stored: Used and Pending come from the notes ledger every time,
so computing twice gives the same answer. Each client's notes are applied in one stable
order (service date, then sheet row), so results do not depend on how the Notes sheet is
sorted; clients never share units, so one client's notes never change another's draws.

A Pending or Released note draws from one auth (one line of an approval): same client and
billing code, service date within the auth's dates, not Exclude From Notes, provider
allowed. A typed Auth # on the note pins it to the lines of that number: the one of them
that fits draws (several lines may share a payer's number, one per code). Otherwise, and
among several pinned lines that fit, those with units available (or unmanaged) come first;
then the Default one, then the earliest End Date, then sheet order. When candidates exist
but none has the units, the note still draws from the best one (the session happened) and
its check says so.

Units drawn count against every line of the drawn line's pool whose dates contain the
service date: the lines of its approval with the same Auth Group (seed 001: 20 sessions
shared by 90832/90834/90837/90853), never lines of another approval
(``authbook.rules.approvals``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import field
from datetime import date
from itertools import islice
from operator import attrgetter
from typing import NamedTuple

from authbook.modelbase import dataclass
from authbook.models import Auth, Note
from authbook.rules.approvals import approval_rows, pinned_choice, pool_rows
from authbook.rules.later import ListLater
from authbook.rules.values import code_key, name_key

_SERVICE_DATE = attrgetter("service_date")
_UNITS = attrgetter("units")


class Draw(NamedTuple):
    """The outcome of applying one note: the auth it draws from (or None) and why.

    ``reason`` is one of: ``ok``, ``over`` (drew beyond the units available), ``no_auth``,
    ``outside_dates``, ``provider``, ``excluded``, ``not_approved`` (only a request the payer
    has not approved covers it), ``pin_unknown``, ``pin_mismatch``, ``draft``.
    ``detail`` names the auth the reason is about, for the message.
    (A named tuple: immutable, and the cheapest record to make once per note.)
    """

    note: Note
    auth: Auth | None
    reason: str
    detail: Auth | None = None
    available_before: int | None = None


@dataclass
class Ledger:
    """Units per auth after applying notes, keyed by the auth's sheet row."""

    used: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    pending: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    #: auth row -> notes counted against it (directly or through its group), in the order
    #: they were applied: service date, then sheet row (a list, or ``CountedElsewhere``
    #: for the notes another process counted)
    counted: dict[int, list[Note]] = field(default_factory=lambda: defaultdict(list))

    def units_between(self, auth: Auth, start: date, end: date) -> int:
        """Units of the notes counted against ``auth`` with a service date from ``start`` to
        ``end`` (both included). The notes are in service-date order: the stretch is found by
        bisection, not by looking at every note."""
        notes = self.counted.get(auth.source.row)
        if not notes:
            return 0
        if type(notes) is CountedElsewhere:
            return notes.units_between(start, end)
        lo = bisect_left(notes, start, key=_SERVICE_DATE)
        hi = bisect_right(notes, end, lo, key=_SERVICE_DATE)
        return sum(map(_UNITS, islice(notes, lo, hi)))

    def remaining(self, auth: Auth) -> int | None:
        """Allotted − Prior Units Used − Used; None for unmanaged auths."""
        if auth.unmanaged or auth.allotted_units is None:
            return None
        return auth.allotted_units - auth.prior_units_used - self.used[auth.source.row]

    def available(self, auth: Auth) -> int | None:
        """Remaining − Pending; None for unmanaged auths."""
        if auth.unmanaged or auth.allotted_units is None:
            return None
        row = auth.source.row
        return auth.allotted_units - auth.prior_units_used - self.used[row] - self.pending[row]

    def has_units(self, auth: Auth, units: int) -> bool:
        available = self.available(auth)
        return available is None or available >= units


class CountedElsewhere(ListLater):
    """The notes counted against one auth in another process (``rules.parts.unpack_drawn``),
    in the order they were counted: their service days and units are at hand for
    ``Ledger.units_between`` (burn rates), while the notes themselves are had from
    ``notes()`` (which may build and draw them again) the first time the list is read. A
    large refresh then never builds the notes the other process drew.

    ``days``: the service dates as ordinals (``date.toordinal``); ``units``: the units."""

    def __init__(self, days: list[int], units: list[int], notes: Callable[[], list[Note]]):
        super().__init__(notes, len(days))
        self.days, self.units = days, units

    def units_between(self, start: date, end: date) -> int:
        """Units of the notes with a service date from ``start`` to ``end`` (both included)."""
        days = self.days
        lo = bisect_left(days, start.toordinal())
        hi = bisect_right(days, end.toordinal(), lo)
        return sum(islice(self.units, lo, hi))


class AuthIndex:
    """Auths looked up the ways notes need them: by (client, code), by Auth # (every line of
    the number), by pool (``authbook.rules.approvals``)."""

    def __init__(self, auths: tuple[Auth, ...] | list[Auth]):
        self.auths = list(auths)
        self.by_client_code: dict[tuple[str, str], list[Auth]] = defaultdict(list)
        self.by_number: dict[str, list[Auth]] = defaultdict(list)
        #: pool row -> the lines of the pool (only pools of an Auth Group)
        self.by_pool: dict[int, list[Auth]] = defaultdict(list)
        #: auth row -> its approval's row, and its pool's (``authbook.rules.approvals``)
        self.approval_of: dict[int, int] = approval_rows(self.auths)
        self.pool_of: dict[int, int] = pool_rows(self.auths, self.approval_of)
        #: (client, code) -> the auths that may serve notes at all (not excluded, approved)
        self.servable: dict[tuple[str, str], list[Auth]] = {}
        for auth in self.auths:
            self.by_client_code[(name_key(auth.client_id), code_key(auth.billing_code))].append(
                auth
            )
            if auth.auth_no:
                self.by_number[name_key(auth.auth_no)].append(auth)
            if auth.auth_group:
                self.by_pool[self.pool_of[auth.source.row]].append(auth)
        for key, own in self.by_client_code.items():
            self.servable[key] = [a for a in own if not a.exclude_from_notes and a.is_approved]

    def for_client_code(self, client_id: str, code: str) -> list[Auth]:
        return self.by_client_code.get((name_key(client_id), code_key(code)), [])

    def for_number(self, number: str | None) -> list[Auth]:
        """Every line carrying this Auth # (compared as names are), in sheet order."""
        return self.by_number.get(name_key(number), []) if number else []

    def pool(self, auth: Auth) -> list[Auth]:
        """Every line of ``auth``'s pool, ``auth`` included, in sheet order."""
        if not auth.auth_group:
            return [auth]
        return self.by_pool[self.pool_of[auth.source.row]]

    def sharing_pool(self, auth: Auth, day: date) -> list[Auth]:
        """The auths a draw from ``auth`` on ``day`` counts against: the auth itself, plus every
        approved line of its pool (same approval and Auth Group) whose dates contain the day."""
        if not auth.auth_group:
            return [auth]
        pool = self.by_pool[self.pool_of[auth.source.row]]
        return [a for a in pool if a is auth or (a.covers(day) and a.is_approved)]


def line_of_number(
    index: AuthIndex, number: str, code: str | None = None
) -> tuple[Auth | None, str | None]:
    """The line a question about Auth # ``number`` (of ``code`` when given) is about: its
    lines' units are one pool's, so any of them answers (the first); or None and why not
    (no such number or code, or lines with units of their own and no code to choose)."""
    lines = index.for_number(number)
    if not lines:
        return None, f"no auth numbered {number}"
    if code:
        lines = [a for a in lines if code_key(a.billing_code) == code_key(code)]
        if not lines:
            return None, f"{number} has no line for {code}"
    if len({index.pool_of[a.source.row] for a in lines}) > 1:
        codes = ", ".join(dict.fromkeys(a.billing_code for a in lines))
        return None, f"{number} has lines with units of their own ({codes}): give the code"
    return lines[0], None


def pinned_lines(
    lines: list[Auth], client_id: str, code: str, day: date, provider: str | None
) -> list[Auth]:
    """The lines of a typed Auth # that may carry a note (a pinned note draws from one of
    them; CARC 15 when there is none): those whose client, code, dates and provider fit."""
    return [a for a in lines if can_serve(a, client_id, code, day, provider)]


def can_serve(auth: Auth, client_id: str, code: str, day: date, provider: str | None) -> bool:
    """True when ``auth`` may carry a note of this client, code, date and provider."""
    return (
        name_key(auth.client_id) == name_key(client_id)
        and code_key(auth.billing_code) == code_key(code)
        and auth.covers(day)
        and not auth.exclude_from_notes
        and auth.is_approved
        and auth.allows_provider(provider)
    )


def pick_auth(candidates: list[Auth], ledger: Ledger, units: int) -> tuple[Auth, bool]:
    """The auth a note draws from among ``candidates`` (all able to serve it).

    Those with the units available come first; among them the Default one, then the
    earliest End Date, then sheet order. Returns (auth, has_units).
    """

    best, has_units, _ = _pick(candidates, ledger, units)
    return best, has_units


def _pick(candidates: list[Auth], ledger: Ledger, units: int) -> tuple[Auth, bool, int | None]:
    """``pick_auth``, also giving the chosen auth's units available (each candidate's units
    are worked out once)."""
    best = best_rank = None
    for auth in candidates:
        available = ledger.available(auth)
        has_units = available is None or available >= units
        rank = (not has_units, not auth.default, auth.end_date, auth.source.row)
        if best_rank is None or rank < best_rank:
            best, best_rank, best_available = auth, rank, available
    return best, not best_rank[0], best_available


def why_not(auths: list[Auth], day: date, provider: str | None) -> tuple[str, Auth | None]:
    """Why none of a client's auths for a code can serve a note: the most telling reason."""
    if not auths:
        return "no_auth", None
    in_dates = [a for a in auths if a.covers(day)]
    if not in_dates:
        return "outside_dates", min(auths, key=lambda a: abs((a.end_date - day).days))
    included = [a for a in in_dates if not a.exclude_from_notes]
    if not included:
        return "excluded", in_dates[0]
    approved = [a for a in included if a.is_approved]
    if not approved:
        return "not_approved", included[0]
    return "provider", approved[0]


def apply_notes(
    auths: tuple[Auth, ...] | list[Auth],
    notes,
    index: AuthIndex | None = None,
    uncounted: frozenset[int] = frozenset(),
) -> tuple[list[Draw], Ledger]:
    """Apply every note to the auths, in service-date order. Returns one Draw per note (in the
    order given) and the Ledger of units per auth. ``index``: an AuthIndex of ``auths``
    already made (else one is made). ``uncounted``: Notes rows whose units do not count
    (notes the payer denied, when Settings say so): they still find their auth."""
    index = index or AuthIndex(auths)
    ledger = Ledger()
    notes = list(notes)
    draws: list[Draw | None] = [None] * len(notes)
    # service date, then sheet row: a stable sort by date of the notes put in row order first
    if any(a.source.row > b.source.row for a, b in zip(notes, notes[1:])):
        notes_by_row = sorted(range(len(notes)), key=lambda i: notes[i].source.row)
    else:
        notes_by_row = range(len(notes))
    days = [note.service_date for note in notes]
    order = sorted(notes_by_row, key=days.__getitem__)
    # Clients never share units, so each client's notes are applied together: the same
    # results, with the client's auths and ledger entries still in the processor's cache
    # (half the time at 500,000 notes, measured).
    typed = [note.client_id for note in notes]
    key_of = {client: name_key(client) for client in set(typed)}  # each name once
    order = sorted(order, key=list(map(key_of.__getitem__, typed)).__getitem__)
    keys: dict[tuple, tuple[str, str]] = {}  # (client, code) as typed -> as compared
    for position in order:
        draws[position] = _apply_one(notes[position], index, ledger, uncounted, keys)
    return draws, ledger


DRAWING_STATUSES = ("Pending", "Released")
#: ``_draw(Draw, (note, auth, reason, detail, available_before))``: a Draw made without the
#: keyword handling of its constructor (a third of the time; once per note).
_draw = tuple.__new__


def _apply_one(note: Note, index: AuthIndex, ledger: Ledger, uncounted, keys: dict) -> Draw:
    """One note's draw (the rules are in the module's docstring). This runs once per note of a
    workbook that may hold hundreds of thousands, so it inlines what the helpers above say:
    ``can_serve``, ``pick_auth`` and ``Ledger.available``. ``uncounted``: as
    ``apply_notes`` takes it; ``keys``: the (client, code) keys of the notes drawn before,
    by the cells as typed (each worked out once)."""
    status = note.status
    if status not in DRAWING_STATUSES:
        return _draw(Draw, (note, None, "draft", None, None))
    day, units = note.service_date, note.units
    if uncounted and note.source.row in uncounted:
        units = 0
    if note.auth_no:
        lines = index.by_number.get(name_key(note.auth_no))
        if not lines:
            return Draw(note, None, "pin_unknown")
        fitting = pinned_lines(lines, note.client_id, note.billing_code, day, note.provider)
        if not fitting:
            detail = pinned_choice(lines, note.client_id, note.billing_code)
            return Draw(note, None, "pin_mismatch", detail=detail)
        auth, has_units, available = _pick(fitting, ledger, units)
    else:
        typed = (note.client_id, note.billing_code)
        key = keys.get(typed)
        if key is None:
            key = keys[typed] = (name_key(typed[0]), code_key(typed[1]))
        candidates = [
            a
            for a in index.servable.get(key, ())
            if a.start_date <= day <= a.end_date
            and (not a.provider or a.allows_provider(note.provider))
        ]
        if not candidates:
            reason, detail = why_not(index.by_client_code.get(key, []), day, note.provider)
            return Draw(note, None, reason, detail=detail)
        if len(candidates) == 1:
            auth = candidates[0]
            available = ledger.available(auth)
            has_units = available is None or available >= units
        else:
            auth, has_units, available = _pick(candidates, ledger, units)
    if not units and uncounted and note.source.row in uncounted:  # draws, counts nothing
        return _draw(Draw, (note, auth, "ok", None, available))
    counts = ledger.used if status == "Released" else ledger.pending
    counted = ledger.counted
    if auth.auth_group:
        for shared in index.sharing_pool(auth, day):
            row = shared.source.row
            counts[row] += units
            counted[row].append(note)
    else:
        row = auth.source.row
        counts[row] += units
        counted[row].append(note)
    return _draw(Draw, (note, auth, "ok" if has_units else "over", None, available))
