"""Scrubbing claims before they are sent: which note each 837P service line bills, and what a
payer would deny it for.

The rule, line by line:
- The note is found by a Note ID in the line's control number (REF*6R), or in the claim's
  patient control number (CLM01) when that note's code and date are the line's; otherwise
  by the subscriber's Member ID (Clients sheet), the service date, the code and the units.
  No note, or several, is said so and listed: never guessed.
- The prior authorization number (REF*G1 of the line, else of the claim) must be there
  (CARC 15 when missing) and name an auth whose row fits the client, code and provider
  (15) and whose dates contain the service date (197).
- Whatever the refresh's checks found on the note (``authbook.rules.checks``: units beyond
  the auth 198, period limit 119, request denied 39, ...) goes with the line: the checks are
  not done again here.
- Units billed beyond the note's must fit what the auth still has available (198).

``scrub`` is pure: it is given the claim lines, the computed workbook (notes, their draws and
findings, the units ledger) and the clients' Member IDs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from authbook.modelbase import dataclass
from authbook.models import Auth, Finding, Note
from authbook.rules.claimlines import ClaimLine, RemitLine
from authbook.rules.units import Draw, Ledger
from authbook.rules.values import code_key, name_key

#: How a line found its note.
BY_LINE_CONTROL = "REF*6R"
BY_CLAIM_ID = "CLM01"
BY_MEMBER = "Member ID"
AMBIGUOUS = "several notes: "


@dataclass(frozen=True)
class LineMatch:
    """The note a claim line bills (``note``), how it was found (``how``), or the notes it
    could be (``candidates``, several or none). ``client_id`` is the client the line is
    for when known (the note's, else the one client with the line's Member ID)."""

    line: ClaimLine | RemitLine
    note: Note | None
    how: str | None
    candidates: tuple[Note, ...] = ()
    client_id: str | None = None
    why: str = ""

    @property
    def is_ambiguous(self) -> bool:
        """Several notes could be the one billed (as opposed to none)."""
        return self.note is None and self.why.startswith(AMBIGUOUS)


@dataclass(frozen=True)
class ClaimFinding:
    """One thing to change on a claim line before it is sent. ``carc`` is the reason code
    the payer would deny it with; ``denies`` is False for a warning. ``fill_auth`` is the
    Auth # a missing REF*G1 should carry, when exactly one fits."""

    line: ClaimLine
    note_id: str | None
    kind: str
    carc: str | None
    message: str
    denies: bool = True
    auth_no: str | None = None
    fill_auth: str | None = None


class NoteIndex:
    """The workbook's notes looked up the ways claim lines need them."""

    def __init__(self, notes: Iterable[Note], members: dict[str, list[str]]) -> None:
        self.by_id: dict[str, list[Note]] = defaultdict(list)
        self.by_visit: dict[tuple[str, object, str], list[Note]] = defaultdict(list)
        #: name_key(Member ID) -> Client IDs carrying it
        self.members = {name_key(m): ids for m, ids in members.items()}
        for note in notes:
            if note.note_id:
                self.by_id[name_key(note.note_id)].append(note)
            key = (name_key(note.client_id), note.service_date, code_key(note.billing_code))
            self.by_visit[key].append(note)

    def with_id(self, text: str | None) -> list[Note]:
        return self.by_id.get(name_key(text), []) if text else []

    def clients_of(self, member_id: str | None) -> list[str]:
        return self.members.get(name_key(member_id), []) if member_id else []


def _fits_line(note: Note, line: ClaimLine | RemitLine) -> bool:
    return (
        code_key(note.billing_code) == code_key(line.code)
        and note.service_date == line.service_date
    )


def _ids(notes: Iterable[Note]) -> str:
    return ", ".join(n.key for n in notes)


def match_line(line: ClaimLine | RemitLine, index: NoteIndex) -> LineMatch:
    """The note ``line`` bills (a claim line, or a remittance line paying one), by the rule
    in the module docstring."""
    by_control = index.with_id(line.line_control)
    if len(by_control) == 1:
        note = by_control[0]
        return LineMatch(line, note, BY_LINE_CONTROL, client_id=note.client_id)
    if len(by_control) > 1:
        why = f"{AMBIGUOUS}Note ID {line.line_control} is on {len(by_control)} notes"
        return LineMatch(line, None, None, tuple(by_control), why=why)
    by_claim = [n for n in index.with_id(line.claim_id) if _fits_line(n, line)]
    if len(by_claim) == 1:
        return LineMatch(line, by_claim[0], BY_CLAIM_ID, client_id=by_claim[0].client_id)
    clients = index.clients_of(line.member_id)
    client = clients[0] if len(clients) == 1 else None
    if not clients:
        # the Member ID itself is health information: it is not repeated in the message
        why = "its Member ID is on no client" if line.member_id else "it has no Member ID"
        return LineMatch(line, None, None, why=why)
    if line.service_date is None:
        return LineMatch(line, None, None, client_id=client, why="the line has no service date")
    same_visit = [
        note
        for cid in clients
        for note in index.by_visit.get((name_key(cid), line.service_date, code_key(line.code)), [])
    ]
    exact = [n for n in same_visit if line.units is None or n.units == line.units]
    if len(exact) == 1:
        return LineMatch(line, exact[0], BY_MEMBER, client_id=exact[0].client_id)
    if exact:
        why = f"{AMBIGUOUS}{len(exact)} have this Member ID, date, code and units"
        return LineMatch(line, None, None, tuple(exact), client, why)
    if same_visit:
        units = ", ".join(f"{n.key} has {n.units}" for n in same_visit)
        why = f"no note with {line.units} units that day ({units})"
        return LineMatch(line, None, None, tuple(same_visit), client, why)
    return LineMatch(line, None, None, client_id=client, why="no note for this date and code")


@dataclass(frozen=True)
class ScrubContext:
    """What the refresh computed that scrubbing reads: each note's draw and findings by its
    Notes row, the units ledger, and every auth."""

    draws: dict[int, Draw]
    findings: dict[int, list[Finding]]
    ledger: Ledger
    auths: tuple[Auth, ...]

    @classmethod
    def of(cls, draws: Iterable[Draw], findings: Iterable[Finding], ledger, auths):
        by_row: dict[int, list[Finding]] = defaultdict(list)
        for found in findings:
            by_row[found.source.row].append(found)
        return cls({d.note.source.row: d for d in draws}, dict(by_row), ledger, tuple(auths))

    def numbered(self, number: str) -> list[Auth]:
        return [a for a in self.auths if a.auth_no and name_key(a.auth_no) == name_key(number)]


def _span(auth: Auth) -> str:
    return f"{auth.start_date:%m/%d/%Y}-{auth.end_date:%m/%d/%Y}"


def _misfit(auths: list[Auth], client: str, line: ClaimLine, provider: str | None):
    """(CARC, message) for an Auth # whose rows all fail to fit the line; None if one fits."""
    reasons = []
    for auth in auths:
        if name_key(auth.client_id) != name_key(client):
            reasons.append(("15", "is for another client"))
        elif code_key(auth.billing_code) != code_key(line.code):
            reasons.append(("15", f"does not cover {line.code} (it is for {auth.billing_code})"))
        elif line.service_date is None or not auth.covers(line.service_date):
            reasons.append(("197", f"covers {_span(auth)}, not the service date"))
        elif not auth.allows_provider(provider):
            reasons.append(("15", f"is for {auth.provider} only"))
        elif not auth.is_approved:
            reasons.append(("197", f"is {auth.request_status}, not approved"))
        else:
            return None
    # the row that came closest: one for the client and code before one for another client
    order = {"is for another client": 2, "does not cover": 1}
    return min(reasons, key=lambda r: next((v for k, v in order.items() if r[1].startswith(k)), 0))


def _available_for_extra(auth: Auth, ledger: Ledger, extra: float) -> str | None:
    available = ledger.available(auth)
    if available is None or extra <= max(available, 0):
        return None
    return f"{auth.key} has {max(available, 0)} units left for the {extra:g} more"


def scrub_line(match: LineMatch, context: ScrubContext) -> list[ClaimFinding]:
    """Every finding on one matched (or unmatched) claim line."""
    line, note = match.line, match.note
    out: list[ClaimFinding] = []

    def add(kind, carc, message, denies=True, auth_no=None, fill=None):
        out.append(
            ClaimFinding(
                line, note.key if note else None, kind, carc, message, denies, auth_no, fill
            )
        )

    if note is None:
        listed = f" ({_ids(match.candidates)})" if match.candidates else ""
        kind = "SEVERAL NOTES" if match.is_ambiguous else "NO NOTE"
        add(kind, None, f"{match.why}{listed}: put the Note ID in REF*6R", denies=False)
    draw = context.draws.get(note.source.row) if note else None
    client = match.client_id
    provider = line.provider or (note.provider if note else None)
    drawn = draw.auth if draw is not None else None
    if note is not None:
        if not _fits_line(note, line):
            add(
                "LINE DOES NOT FIT NOTE",
                None,
                f"note {note.key} is {note.billing_code} on {note.service_date:%m/%d/%Y}",
                denies=False,
            )
        if note.status == "Draft":
            add("NOTE IS DRAFT", None, f"note {note.key} is a Draft: set it Pending first", False)
    number = line.auth_no
    if not number:
        fill = drawn.auth_no if drawn is not None and drawn.auth_no else None
        todo = f"add REF*G1*{fill}" if fill else "no auth to name: see the note's check"
        add("MISSING AUTH #", "15", f"no prior authorization number: {todo}", fill=fill)
    elif client is not None:
        named = context.numbered(number)
        if not named:
            better = f"; the note draws from {drawn.key}" if drawn is not None else ""
            add("AUTH # NOT FOUND", "15", f"no auth numbered {number}{better}", auth_no=number)
        else:
            misfit = _misfit(named, client, line, provider)
            if misfit is not None:
                better = f": bill under {drawn.key}" if drawn is not None and drawn.auth_no else ""
                add("AUTH # DOES NOT FIT", misfit[0], f"{number} {misfit[1]}{better}", True, number)
            elif drawn is not None and drawn not in named:
                add(
                    "OTHER AUTH",
                    None,
                    f"the note draws from {drawn.key}; the claim names {number}",
                    denies=False,
                    auth_no=number,
                )
    if note is not None:
        said = {(f.carc, f.auth_no) for f in out if f.carc}
        for found in context.findings.get(note.source.row, []):
            if (found.carc, found.auth_no) not in said:  # the Auth # check said it already
                add(found.kind, found.carc, found.message, found.denies, found.auth_no)
        if line.units is not None and line.units > note.units and drawn is not None:
            short = _available_for_extra(drawn, context.ledger, line.units - note.units)
            message = f"the line bills {line.units:g} units, note {note.key} has {note.units}"
            if short:
                add("OVER UNITS", "198", f"{message}; {short}", auth_no=drawn.auth_no)
            else:
                add("UNITS DIFFER", None, message, denies=False)
        elif line.units is not None and line.units < note.units:
            message = f"the line bills {line.units:g} units, note {note.key} has {note.units}"
            add("UNITS DIFFER", None, message, denies=False)
    return out


def scrub(
    lines: Iterable[ClaimLine], index: NoteIndex, context: ScrubContext
) -> tuple[list[LineMatch], list[ClaimFinding]]:
    """The match of every line and every finding, in file order."""
    matches = [match_line(line, index) for line in lines]
    findings = [f for m in matches for f in scrub_line(m, context)]
    return matches, findings


def fills(findings: Iterable[ClaimFinding]) -> dict[int, str]:
    """The REF*G1 to add per claim (keyed by its CLM segment's position): only for a claim
    none of whose lines names an auth and all of whose lines draw from the same one."""
    wanted: dict[int, set[str | None]] = defaultdict(set)
    for found in findings:
        if found.kind == "MISSING AUTH #":
            wanted[found.line.claim_position].add(found.fill_auth)
    return {
        pos: next(iter(numbers))
        for pos, numbers in wanted.items()
        if len(numbers) == 1 and None not in numbers
    }
