"""What a note check is given and what it returns: the CheckContext and Finding helpers.

Shared by ``authbook.rules.checks`` (auth and period checks, the list of all checks) and
``authbook.rules.coding`` (coding checks).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import field
from datetime import date

from authbook.modelbase import dataclass
from authbook.models import BillingCode, Finding, Note, Settings
from authbook.rules.limits import Excess
from authbook.rules.units import Draw
from authbook.rules.values import code_key, name_key, short


@dataclass(frozen=True)
class CheckContext:
    """What checks may look at besides the note and its draw.

    ``same_day`` holds each client's Pending and Released notes per service date (sheet order);
    ``excesses`` the notes that broke a period limit (``authbook.rules.limits``).
    """

    settings: Settings = Settings()
    codes: dict[str, BillingCode] = field(default_factory=dict)
    same_day: dict[tuple[str, date], list[Note]] = field(default_factory=dict)
    excesses: dict[int, Excess] = field(default_factory=dict)
    #: (client, Auth #) -> the codes of the client's lines of that number, for the notes
    #: pinned to a number none of whose lines fits (the message names every code)
    codes_of_number: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: The Client IDs on the Clients sheet (name_key); None when not known.
    clients: frozenset[str] | None = None
    #: (client, code) -> the first Auths row for them that could not be used (a blank
    #: Allotted Units, say): a note with no auth then says which row to fix.
    unusable_auths: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    def notes_that_day(self, note: Note) -> list[Note]:
        """The client's Pending and Released notes on the note's service date (itself included)."""
        return self.same_day.get((name_key(note.client_id), note.service_date), [])


def build_context(
    book,
    draws: list[Draw],
    excesses: dict[int, Excess],
    same_day_codes: frozenset[str] | None = None,
    unusable: dict[tuple[str, str], tuple[int, str]] | None = None,
) -> CheckContext:
    """The context for checking ``draws`` of a parsed book.

    ``same_day_codes``, when given, are the only codes whose checks look at the client's other
    notes that day: ``same_day`` then holds only the days on which the client has a note with
    one of them (a workbook of 500,000 notes needs a handful of such days, not all of them).
    ``unusable``: see ``unusable_auths``.
    """
    counted = [d.note for d in draws if d.note.status in ("Pending", "Released")]
    if same_day_codes is not None:
        days = {
            (name_key(n.client_id), n.service_date)
            for n in counted
            if code_key(n.billing_code) in same_day_codes
        }
        counted = (
            [n for n in counted if (name_key(n.client_id), n.service_date) in days] if days else []
        )
    same_day: dict[tuple[str, date], list[Note]] = defaultdict(list)
    for note in sorted(counted, key=lambda n: n.source.row):
        same_day[(name_key(note.client_id), note.service_date)].append(note)
    misfits = {
        (name_key(d.note.client_id), name_key(d.note.auth_no))
        for d in draws
        if d.reason == "pin_mismatch"
    }
    codes_of_number: dict[tuple[str, str], list[str]] = {}
    if misfits:
        for auth in book.auths:
            key = (name_key(auth.client_id), name_key(auth.auth_no))
            if auth.auth_no and key in misfits:
                codes = codes_of_number.setdefault(key, [])
                if auth.billing_code not in codes:
                    codes.append(auth.billing_code)
    return CheckContext(
        settings=book.settings,
        codes={code_key(c.code): c for c in book.billing_codes},
        same_day=dict(same_day),
        excesses=excesses,
        codes_of_number=codes_of_number,
        clients=frozenset(name_key(c.client_id) for c in book.clients) or None,
        unusable_auths=unusable or {},
    )


def unusable_auths(raw_auths, book_auths) -> dict[tuple[str, str], tuple[int, str]]:
    """(client, code) -> (the first Auths row of ``raw_auths`` that gave no auth in
    ``book_auths``, what is wrong with it in a few words; the Problems sheet says all)."""
    used = {a.source.row for a in book_auths}
    if len(used) == len(raw_auths):
        return {}
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for row in raw_auths:
        if row.source.row not in used:
            key = (name_key(str(row.values.get("client_id") or "")), _code(row))
            blank = row.values.get("allotted_units") in (None, "")
            why = "its Allotted Units is blank" if blank else "see the Problems sheet"
            found.setdefault(key, (row.source.row, why))
    return found


def _code(row) -> str:
    code = row.values.get("billing_code")
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    return code_key(str(code or ""))


#: The longest finding message (the Check column joins a note's few findings in one cell).
FINDING_CHARS = 1000


def finding(
    note: Note, kind: str, carc: str | None, message: str, auth=None, denies: bool = True
) -> Finding:
    """A finding on ``note``; ``auth`` is the auth it is about, if any."""
    return Finding.trusted(
        source=note.source,
        note_id=note.note_id,
        client_id=note.client_id,
        service_date=note.service_date,
        billing_code=note.billing_code,
        kind=kind,
        carc=carc,
        message=short(message, FINDING_CHARS),  # it may quote a cell: keep it to one cell
        auth_no=auth.auth_no if auth is not None else note.auth_no,
        denies=denies,
    )
