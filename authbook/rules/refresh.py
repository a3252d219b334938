"""The refresh pipeline, top to bottom: number new auths → parse and check → apply notes →
units and Active → alerts → note checks.

``refresh(raw, as_of)`` is pure: the same raw workbook and date always give the same result,
and nothing in it is a counter that a second run could count twice.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import field, replace
from datetime import date

from authbook.modelbase import dataclass
from authbook.models import (
    ALERT_KINDS,
    NOTE_STATUS_FIELDS,
    Alert,
    AuthStatus,
    Book,
    Finding,
    NoteStatuses,
    NoteStatusesLater,
    Problem,
    RawBook,
    RawRecord,
    RawRows,
    Renewal,
    Settings,
    Source,
)
from authbook.rules.alerts import auth_alerts, is_active, per_pool
from authbook.rules.book import build_book, build_notes, field_parsers, parse_column
from authbook.rules.checks import (
    DRAFT,
    OK,
    build_context,
    findings_text,
    input_problem_check,
    input_problem_finding,
    run_checks,
)
from authbook.rules.findings import unusable_auths
from authbook.rules.limits import period_excesses
from authbook.rules.numbering import assign_auth_numbers
from authbook.rules.remits import denied_rows
from authbook.rules.renewals import renewals, runs_out_alert
from authbook.rules.units import AuthIndex, Draw, Ledger, apply_notes
from authbook.rules.values import code_key, name_key


@dataclass(frozen=True)
class Refreshed:
    """Everything a refresh computes. ``auths`` and ``notes`` hold one status per sheet row."""

    book: Book
    as_of: date
    new_auth_numbers: dict[int, str]
    auths: list[AuthStatus]
    notes: NoteStatuses
    alerts: list[Alert]
    problems: list[Problem]
    ledger: Ledger
    draws: list[Draw]
    #: Every note check's findings, in Notes sheet order (the Checks sheet).
    findings: list[Finding] = field(default_factory=list)
    #: Auths needing a renewal request now and open requests due (the Renewals sheet).
    renewals: list[Renewal] = field(default_factory=list)
    #: Row -> the Charge of each note a finding denies (whose code has a rate), as the Notes
    #: sheet shows it (``at_risk_charges``).
    at_risk_charges: dict[int, float] = field(default_factory=dict)
    #: The auths indexed, with their approvals and pools (``AuthIndex.approval_of``,
    #: ``pool_of``); None only in a Refreshed made by hand.
    index: AuthIndex | None = field(default=None, compare=False, repr=False)


def resolve_as_of(settings: Settings, override: date | None, today: date) -> date:
    """The date to compute for: the command line's, else the Settings sheet's, else today."""
    return override or settings.as_of or today


def number_new_auths(raw: RawBook, prefix: str) -> tuple[RawBook, dict[int, str]]:
    """Give blank Auth # cells their numbers; returns the raw book with them filled in. A
    cell holding a formula not calculated yet (``raw.uncalculated``) is not blank: it gets
    no number."""
    sheet = raw.auths.sheet
    unknown = frozenset(
        row for on, row, field in raw.uncalculated if field == "auth_no" and on == sheet
    )
    numbers = assign_auth_numbers(raw.auths, prefix, unknown)
    if not numbers:
        return raw, numbers
    return raw.model_copy(update={"auths": raw.auths.with_cells("auth_no", numbers)}), numbers


def refresh(raw: RawBook, today: date, as_of: date | None = None) -> Refreshed:
    """Compute every computed column, alert and problem of a workbook.

    ``today`` is the caller's idea of today; ``as_of`` (or the Settings sheet's As Of) wins.
    The same as ``finish_refresh(refresh_notes(raw, today, as_of))``.
    """
    return finish_refresh(refresh_notes(raw, today, as_of))


@dataclass(frozen=True)
class NotesRefreshed:
    """A refresh half done (``refresh_notes``): the notes applied and checked, and the
    statuses of the Notes rows, which is all the Notes sheet needs; ``finish_refresh`` adds
    the auths' statuses, alerts and renewals."""

    raw: RawBook
    book: Book
    as_of: date
    new_auth_numbers: dict[int, str]
    problems: list[Problem]
    index: AuthIndex
    ledger: Ledger
    draws: list[Draw]
    findings: list[Finding]
    clients: dict
    notes: NoteStatuses
    #: (sheet, row) -> the first problem's message there
    first_problem: dict[tuple[str, int], str]
    at_risk_charges: dict[int, float]


def refresh_notes(raw: RawBook, today: date, as_of: date | None = None) -> NotesRefreshed:
    """The first half of ``refresh``: the book built, units drawn, notes checked, and the
    status of every Notes row. A caller can start writing the Notes sheet from it while
    ``finish_refresh`` does the rest.

    The same as ``notes_refreshed(prepared, draw_notes(prepared))`` with ``prepared =
    prepare_notes(raw, today, as_of)``. A caller with two cores can instead build and draw
    the notes of the parts of ``authbook.rules.parts.split_rows(prepare_base(...))`` side
    by side (``with_notes``) and put them together (``parts.join_built``, ``merge_drawn``)."""
    return notes_of_base(prepare_base(raw, today, as_of))


def notes_of_base(base: NotesPrepared) -> NotesRefreshed:
    """``refresh_notes`` of the book prepared as ``base`` (``prepare_base``, its Notes rows
    in: ``with_notes_read``), every note built and drawn in this process."""
    prepared = with_notes(base)
    return notes_refreshed(prepared, draw_notes(prepared))


@dataclass(frozen=True)
class NotesPrepared:
    """The book built and its auths indexed, before any note is applied (``prepare_notes``)."""

    raw: RawBook
    book: Book
    as_of: date
    new_auth_numbers: dict[int, str]
    problems: list[Problem]
    index: AuthIndex
    clients: dict
    rates: dict
    #: (sheet, row) -> the first problem's message there
    first_problem: dict[tuple[str, int], str]


def prepare_notes(raw: RawBook, today: date, as_of: date | None = None) -> NotesPrepared:
    """New Auth #s given, the book built (every input problem found), its auths indexed."""
    return with_notes(prepare_base(raw, today, as_of))


def prepare_base(raw: RawBook, today: date, as_of: date | None = None) -> NotesPrepared:
    """``prepare_notes`` but for the notes: new Auth #s given, every sheet but Notes built,
    the auths indexed; ``book.notes`` is empty and ``raw.notes`` holds every Notes row, for
    ``with_notes`` to build the notes of all or some of them."""
    settings_book, _ = build_book(RawBook(settings=raw.settings))
    raw, numbers = number_new_auths(raw, settings_book.settings.auth_prefix)
    book, problems = build_book(raw.model_copy(update={"notes": ()}))
    return NotesPrepared(
        raw=raw,
        book=book,
        as_of=resolve_as_of(book.settings, as_of, today),
        new_auth_numbers=numbers,
        problems=problems,
        index=AuthIndex(book.auths),
        clients={name_key(c.client_id): c for c in book.clients},
        rates={code_key(c.code): c.rate for c in book.billing_codes},
        first_problem=first_problem_by_row(problems),
    )


def with_notes_read(base: NotesPrepared, raw: RawBook) -> NotesPrepared:
    """``base``, the ``prepare_base`` of a book read without its Notes sheet, given the
    Notes rows of ``raw`` (the same book once its Notes sheet is read too): what
    ``prepare_base(raw, ...)`` gives. The base does not look at notes, so it can be
    prepared while the Notes sheet is still being read."""
    update = {"notes": raw.notes, "uncalculated": raw.uncalculated}
    return replace(base, raw=base.raw.model_copy(update=update))


def with_notes(base: NotesPrepared, rows: list[int] | None = None) -> NotesPrepared:
    """``base`` (``prepare_base``) with its notes built: from every Notes row, or from the
    rows at positions ``rows`` (ascending) only; then ``raw.notes`` holds those rows alone,
    ``book.notes`` their notes and ``problems`` their problems after the base's. Drawing
    the notes of such a book gives what drawing those rows' ``NotesPart`` of the whole book
    gives, when they hold all of some clients' notes (``parts.split_rows``)."""
    raw_notes = base.raw.notes
    if rows is not None:
        raw_notes = raw_notes.at(rows)
    notes, found = build_notes(raw_notes, base.book, base.raw.uncalculated)
    return replace(
        base,
        raw=base.raw if rows is None else base.raw.model_copy(update={"notes": raw_notes}),
        book=base.book.model_copy(update={"notes": tuple(notes)}),
        problems=base.problems + found,
        # a row's first problem is the base's, where it has one (no Notes row has)
        first_problem={**first_problem_by_row(found), **base.first_problem},
    )


def client_keys(prepared: NotesPrepared) -> list[str | None]:
    """The client of each raw Notes row of ``prepared`` (``prepare_base``), in sheet order:
    the ``name_key`` of its Client ID as the notes read it, however it is typed (None
    where it has none). Each distinct cell is read once."""
    cells, key_of = client_cells(prepared)
    return list(map(key_of.__getitem__, cells))


def client_cells(prepared: NotesPrepared) -> tuple[list, dict]:
    """The Client ID cell of each raw Notes row of ``prepared``, in sheet order (read as
    text where a cell holds a number: see below), and what ``client_keys`` makes of each
    distinct one: ``key_of[cell]``, a ``name_key`` or None."""
    (cells,) = prepared.raw.notes.columns(("client_id",))
    parse = field_parsers(prepared.book.settings.date_order)["notes"]["client_id"]
    distinct = set(cells)
    if not all(type(c) is str or c is None for c in distinct):
        # 1, 1.0 and True are one cell to a set but do not read the same: read each
        cells = parse_column(list(cells), parse)[0]
        distinct = set(cells)
    key_of = {}
    for cell in distinct:
        client = parse(cell)[0] if cell is not None else None
        key_of[cell] = name_key(client) if client is not None else None
    return cells, key_of


def client_rows(prepared: NotesPrepared, client: str) -> list[int]:
    """The positions of the raw Notes rows of ``prepared`` (``prepare_base``) that
    belong to ``client``, however its Client ID is typed on them (``client_keys``), in
    sheet order. Built and drawn alone (``with_notes(prepared, rows)``, ``draw_notes``),
    they give that client's units and findings exactly as the whole book does (clients
    never share units: ``rules.parts``), which is what a question about one client
    (``authbook eligible``) needs."""
    wanted = name_key(client)
    return [position for position, key in enumerate(client_keys(prepared)) if key == wanted]


@dataclass(frozen=True)
class NotesPart:
    """Some rows of the Notes sheet: ``rows``, positions among the raw Notes rows, and
    ``notes``, positions in ``book.notes`` of the notes read from them (both ascending)."""

    rows: list[int]
    notes: list[int]


@dataclass(frozen=True)
class NotesDrawn:
    """The notes of a ``NotesPart`` (every note when ``part`` is None) applied and checked
    (``draw_notes``)."""

    part: NotesPart | None
    draws: list[Draw]  # one per note of the part, in its order
    ledger: Ledger
    checked: list[Finding]  # the checks' findings, in the order the checks give them
    unreadable: list[Finding]  # a finding per row of the part no note was read from, in order
    charges: dict[int, float]  # ``at_risk_charges`` of the part's notes


@dataclass(frozen=True)
class NotesApplied:
    """The notes of a ``NotesPart`` (every note when ``part`` is None) applied, not checked
    yet (``apply_part``): what ``unchecked_statuses`` needs, and ``checked_part`` goes on
    from."""

    part: NotesPart | None
    draws: list[Draw]  # one per note of the part, in its order
    ledger: Ledger


def draw_notes(prepared: NotesPrepared, part: NotesPart | None = None) -> NotesDrawn:
    """Apply and check the notes of ``part`` (every note when None). A part holding all of
    some clients' notes and none of the others' gives exactly what drawing every note gives
    for them: clients never share units, and every check looks at one client's notes."""
    return checked_part(prepared, apply_part(prepared, part))


def _part_rows(prepared: NotesPrepared, part: NotesPart | None) -> RawRows:
    """The raw Notes rows of ``part`` (every row when None)."""
    raw_notes = prepared.raw.notes
    return raw_notes if part is None else raw_notes.at(part.rows)


def apply_part(prepared: NotesPrepared, part: NotesPart | None = None) -> NotesApplied:
    """``draw_notes``' first half: the notes of ``part`` (every note when None) applied to
    the auths, their draws and ledger, the checks not run yet."""
    book = prepared.book
    notes = book.notes if part is None else [book.notes[i] for i in part.notes]
    uncounted = frozenset()
    if not book.settings.denied_notes_use_units:
        uncounted = denied_rows(_part_rows(prepared, part))
    draws, ledger = apply_notes(book.auths, notes, prepared.index, uncounted)
    return NotesApplied(part, draws, ledger)


def checked_part(prepared: NotesPrepared, applied: NotesApplied) -> NotesDrawn:
    """``draw_notes``' second half: the notes ``applied`` checked, with the findings of the
    rows no note was read from and the charges at risk."""
    book, raw, draws = prepared.book, prepared.raw, applied.draws
    unusable = unusable_auths(raw.auths, book.auths)
    context = build_context(book, draws, period_excesses(book.auths, applied.ledger), unusable)
    checked = run_checks(draws, context)
    rows = _part_rows(prepared, applied.part)
    unreadable = _unreadable_findings(rows, draws, prepared.first_problem, book.settings.date_order)
    charges = at_risk_charges(draws, checked, prepared.rates)
    return NotesDrawn(applied.part, draws, applied.ledger, checked, unreadable, charges)


def part_statuses(prepared: NotesPrepared, drawn: NotesDrawn) -> NoteStatuses:
    """The status of every Notes row of ``drawn``'s part (every row when its part is None),
    in row order."""
    return with_check_texts(unchecked_statuses(prepared, drawn), check_texts(prepared, drawn))


def unchecked_statuses(prepared: NotesPrepared, applied: NotesApplied | NotesDrawn) -> NoteStatuses:
    """The status of every Notes row of ``applied``'s part as its draw alone tells it, in
    row order: what ``part_statuses`` gives once the checks have run, but for the Check of
    the rows the checks find something on (``check_texts``), OK here."""
    rows = _part_rows(prepared, applied.part)
    return _note_statuses(
        rows, applied.draws, prepared.first_problem, prepared.clients, prepared.rates
    )


def check_texts(prepared: NotesPrepared, drawn: NotesDrawn) -> dict[int, str]:
    """Position among the rows of ``drawn``'s part -> the Check of each row the checks found
    something on (``with_check_texts`` puts them in the statuses)."""
    findings_by_row: dict[int, list[Finding]] = {}
    for found in drawn.checked:
        findings_by_row.setdefault(found.source.row, []).append(found)
    numbers = _part_rows(prepared, drawn.part).rows
    if numbers == sorted(numbers):  # (rows in sheet order: looked up by bisection)
        at = {row: bisect_left(numbers, row) for row in findings_by_row}
        return {
            at[row]: findings_text(found)
            for row, found in findings_by_row.items()
            if at[row] < len(numbers) and numbers[at[row]] == row
        }
    return {
        position: findings_text(findings_by_row[row])
        for position, row in enumerate(numbers)
        if row in findings_by_row
    }


def with_check_texts(
    statuses: NoteStatuses, texts: dict[int, str], at: list[int] | None = None
) -> NoteStatuses:
    """``statuses`` (``unchecked_statuses``, or several parts' merged) with the Checks
    ``texts`` (``check_texts``) in. ``at``: where each position of ``texts`` is among
    ``statuses`` (the part's rows among those merged), when not the same. A note not
    checked until Pending keeps its DRAFT."""
    if not texts:
        return statuses
    checks = list(statuses.columns(("check",))[0])
    for position, text in texts.items():
        where = position if at is None else at[position]
        if checks[where] != DRAFT:
            checks[where] = text
    return statuses.with_column("check", checks)


def notes_refreshed(
    prepared: NotesPrepared, drawn: NotesDrawn, statuses: NoteStatuses | None = None
) -> NotesRefreshed:
    """The first half of a refresh from its book and every note drawn (a ``NotesDrawn`` of
    every row). ``statuses``: the Notes rows' statuses when already had; by default they are
    worked out the first time they are looked at (``NoteStatusesLater``)."""
    if statuses is None:
        statuses = NoteStatusesLater(lambda: part_statuses(prepared, drawn))
    return NotesRefreshed(
        raw=prepared.raw,
        book=prepared.book,
        as_of=prepared.as_of,
        new_auth_numbers=prepared.new_auth_numbers,
        problems=prepared.problems,
        index=prepared.index,
        ledger=drawn.ledger,
        draws=drawn.draws,
        findings=drawn.checked + drawn.unreadable,
        clients=prepared.clients,
        notes=statuses,
        first_problem=prepared.first_problem,
        at_risk_charges=drawn.charges,
    )


def finish_refresh(half: NotesRefreshed) -> Refreshed:
    """The second half of ``refresh``: every auth's status, the alerts and the renewals."""
    raw, book, ledger, index, day = half.raw, half.book, half.ledger, half.index, half.as_of
    problems, clients, first_problem = half.problems, half.clients, half.first_problem
    # a line whose Auth # is ambiguous (another client's line, or the same code with
    # overlapping dates: ``approvals.number_problems``) still counts units, but its Alert
    # cell says so
    auth_rows = raw.auths
    auth_sheet = auth_rows[0].source.sheet if auth_rows else None
    duplicate_number = {
        p.source.row: p.message
        for p in problems
        if p.field == "auth_no" and p.source.sheet == auth_sheet
    }
    auth_by_row = {a.source.row: a for a in book.auths}
    alerts: list[Alert] = []
    auth_statuses = []
    for position, number in enumerate(auth_rows.rows):
        auth = auth_by_row.get(number)
        if auth is None:  # its raw row is looked at only then (made then, from RawRows)
            auth_statuses.append(_unusable_auth(auth_rows[position], first_problem))
            continue
        found = auth_alerts(auth, ledger, index, clients, day)
        running_out = runs_out_alert(auth, ledger, day, book.settings.forecast_weeks)
        if running_out is not None:
            found.append(running_out)
        alerts.extend(found)
        messages = [a.message for a in found]
        if auth.source.row in duplicate_number:
            messages.insert(0, f"INPUT PROBLEM: {duplicate_number[auth.source.row]}")
        client = clients.get(name_key(auth.client_id))
        remaining = ledger.remaining(auth)
        auth_statuses.append(
            AuthStatus.trusted(
                source=auth.source,
                auth_no=auth.auth_no,
                used_units=ledger.used[auth.source.row],
                pending_units=ledger.pending[auth.source.row],
                remaining_units=remaining,
                available_units=ledger.available(auth),
                active=is_active(auth, remaining, day),
                alert="; ".join(messages),
                primary_therapist=client.primary_therapist if client else None,
                dob=client.dob if client else None,
            )
        )

    # the Alert column marks every line; the Alerts sheet has one row per pool
    alerts = per_pool(alerts, index.pool_of)
    severity = {kind: i for i, kind in enumerate(ALERT_KINDS)}
    alerts.sort(key=lambda a: (severity[a.kind], a.end_date, a.source.row))
    return Refreshed(
        book=book,
        as_of=day,
        new_auth_numbers=half.new_auth_numbers,
        auths=auth_statuses,
        notes=half.notes,
        alerts=alerts,
        problems=problems,
        ledger=ledger,
        draws=half.draws,
        findings=sorted(half.findings, key=lambda f: f.source.row),
        renewals=renewals(book, ledger, alerts, day, index),
        at_risk_charges=half.at_risk_charges,
        index=index,
    )


def _problem_at(row: RawRecord, first_problem: dict[tuple[str, int], str]) -> str:
    """The message of the first problem on ``row`` (``first_problem_by_row``)."""
    return first_problem.get((row.source.sheet, row.source.row), "see Problems")


def first_problem_by_row(problems: list[Problem]) -> dict[tuple[str, int], str]:
    """(sheet, row) -> the message of the first of ``problems`` there."""
    first: dict[tuple[str, int], str] = {}
    for p in problems:
        first.setdefault((p.source.sheet, p.source.row), p.message)
    return first


def _unusable_auth(row: RawRecord, first_problem) -> AuthStatus:
    message = _problem_at(row, first_problem)
    return AuthStatus(
        source=row.source,
        auth_no=row.values.get("auth_no") and str(row.values["auth_no"]),
        used_units=None,
        pending_units=None,
        remaining_units=None,
        available_units=None,
        active=None,
        alert=f"INPUT PROBLEM: {message}",
    )


def _unreadable_findings(rows, draws, first_problem, date_order: str) -> list[Finding]:
    """An INPUT PROBLEM finding for each row of ``rows`` (the raw Notes rows) no note could be
    read from, in row order. ``draws`` follow the rows that could be read, in order."""
    if len(draws) == len(rows):  # a note read from every row
        return []
    drawn = {draw.note.source.row for draw in draws}
    found = []
    for position, number in enumerate(rows.rows):
        if number not in drawn:
            row = rows[position]
            message = _problem_at(row, first_problem)
            found.append(input_problem_finding(row, message, date_order))
    return found


def note_charge(rate: float, units: float, sliding_scale_pct: float | None) -> float:
    """What a note bills: rate x units, times the auth's sliding scale % when it has one,
    rounded to cents."""
    pct = 100.0 if sliding_scale_pct is None else sliding_scale_pct
    return round(rate * units * pct / 100, 2)


def at_risk_charges(draws, findings, rates) -> dict[int, float]:
    """Row -> the Charge of each note of ``draws`` that one of ``findings`` denies, when its
    code has a rate (``rates``: code key -> rate): what the Notes sheet's Charge column
    shows there, and what the Dashboard counts as money at risk."""
    rows = {found.source.row for found in findings if found.denies}
    charges = {}
    if not rows:
        return charges
    for draw in draws:
        note = draw.note
        row = note.source.row
        if row in rows:
            rate = rates.get(code_key(note.billing_code))
            if rate is not None:
                pct = None if draw.auth is None else draw.auth.sliding_scale_pct
                charges[row] = note_charge(rate, note.units, pct)
    return charges


def _note_statuses(rows, draws, first_problem, clients, rates) -> NoteStatuses:
    """The status of every row of ``rows`` (the raw Notes rows): from its draw, or an INPUT
    PROBLEM for a row that could not be read (``_unreadable_findings`` gives its finding).

    ``draws`` follow the rows that could be read, in order. The Check of a row read is
    OK (DRAFT for a draft) until the checks' findings are put in (``with_check_texts``).
    The statuses are made column by column (``NoteStatuses``): one loop over the notes,
    without a record per note.
    """
    sources: list[Source] = []
    applied, payers, charges, inpatient, checks = [], [], [], [], []
    typed_codes = _typed_codes(rows)
    defaulted: list[str | None] = [None] * len(typed_codes)
    add_source, add_applied, add_payer = sources.append, applied.append, payers.append
    add_charge, add_inpatient, add_check = charges.append, inpatient.append, checks.append
    rate_of: dict[object, float | None] = {}  # the code as typed -> its rate
    payer_of: dict[object, str | None] = {}  # the client ID as typed -> its primary payer
    charge_of: dict[tuple, float] = {}  # (rate, units, sliding scale %) -> the charge
    usable = iter(draws)
    upcoming = next(usable, None)
    for position, number in enumerate(rows.rows):
        if upcoming is None or upcoming.note.source.row != number:
            row = rows[position]
            message = _problem_at(row, first_problem)
            add_source(row.source)
            add_applied(None)
            add_payer(None)
            add_charge(None)
            add_inpatient(None)
            add_check(input_problem_check(message))
            continue
        draw, upcoming = upcoming, next(usable, None)
        note, auth = draw.note, draw.auth
        typed = typed_codes[position]
        if typed is None or (type(typed) is str and not typed.strip()):
            # the code came from the client's Default auth
            defaulted[position] = note.billing_code
        add_check(DRAFT if draw.reason == "draft" else OK)  # (the checks' come after)
        add_source(note.source)
        payer = auth.payer if auth is not None else None
        if not payer:
            client_id = note.client_id
            payer = payer_of.get(client_id, _UNKNOWN)
            if payer is _UNKNOWN:
                client = clients.get(name_key(client_id))
                payer = payer_of[client_id] = client.primary_payer if client else None
        add_payer(payer)
        code = note.billing_code
        rate = rate_of.get(code, _UNKNOWN)
        if rate is _UNKNOWN:
            rate = rate_of[code] = rates.get(code_key(code))
        if auth is None:
            add_applied(None)
            add_inpatient(None)
            pct = None
        else:
            add_applied(auth.auth_no)
            add_inpatient(auth.inpatient)
            pct = auth.sliding_scale_pct
        if rate is None:
            add_charge(None)
        else:
            units = note.units
            charge = charge_of.get((rate, units, pct), _UNKNOWN)
            if charge is _UNKNOWN:
                charge = charge_of[(rate, units, pct)] = note_charge(rate, units, pct)
            add_charge(charge)
    columns = dict(
        zip(NOTE_STATUS_FIELDS, (applied, payers, charges, inpatient, checks, defaulted))
    )
    return NoteStatuses(sources, columns)


def _typed_codes(rows: RawRows) -> list:
    """The Billing Code cell of each of ``rows`` (the raw Notes rows) as typed."""
    return list(rows.columns(("billing_code",))[0])


_UNKNOWN = object()
