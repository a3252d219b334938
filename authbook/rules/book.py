"""Turning raw rows into checked records: ``build_book(raw) -> (Book, problems)``.

Every cell that cannot be used becomes a Problem naming its row and field; the rest of the
workbook is still read. A row whose key facts are unusable (an auth with no client, no code or
no dates, a note with no date) is left out of the Book, so it draws and serves nothing, and
its problems say why. Optional cells that cannot be read count as blank.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from itertools import compress

from authbook.models import (
    NOTE_STATUSES,
    OPEN_REQUEST_STATUSES,
    PERIODS,
    REQUEST_STATUSES,
    UNIT_RULES,
    Auth,
    AuthGroup,
    BillingCode,
    Book,
    Client,
    CodeGroupMember,
    Note,
    Payer,
    Problem,
    Provider,
    RawBook,
    RawRecord,
    RawRows,
    Settings,
    trusted_maker,
    trusted_sources,
)
from authbook.rules.approvals import number_problems
from authbook.rules.defaultcodes import DefaultCodes, take_default_codes
from authbook.rules.noterows import BLANK_STATUS_READS_AS, note_notices, repeated_positions
from authbook.rules.values import (
    code_key,
    name_key,
    parse_choice,
    parse_count,
    parse_date,
    parse_money,
    parse_percent,
    parse_text,
    parse_units,
    parse_yes_no,
    quoted,
)

Parser = Callable[[object], tuple[object, str | None]]

DATE_ORDERS = ("MDY", "DMY", "YMD")


def field_parsers(order: str) -> dict[str, dict[str, Parser]]:
    """How each field of each record is read (the date parser depends on the date order)."""
    day = partial(parse_date, order=order)
    return {
        "clients": {
            "client_id": parse_text,
            "last_name": parse_text,
            "first_name": parse_text,
            "dob": day,
            "primary_therapist": parse_text,
            "primary_payer": parse_text,
            "secondary_payer": parse_text,
            "division": parse_text,
            "client_group": parse_text,
            "active": parse_yes_no,
        },
        "auths": {
            "auth_no": parse_text,
            "client_id": parse_text,
            "billing_code": parse_text,
            "diagnosis": parse_text,
            "start_date": day,
            "end_date": day,
            "allotted_units": parse_units,
            "prior_units_used": parse_units,
            "unit_alert_level": parse_units,
            "exp_alert_days": parse_count,
            "provider": parse_text,
            "payer": parse_text,
            "auth_group": parse_text,
            "unmanaged": parse_yes_no,
            "exclude_from_notes": parse_yes_no,
            "default": parse_yes_no,
            "suspend_alerts": parse_yes_no,
            "sliding_scale_pct": parse_percent,
            "inpatient": parse_yes_no,
            "max_units": parse_units,
            "per": partial(parse_choice, choices=PERIODS),
            "request_status": partial(parse_choice, choices=REQUEST_STATUSES),
            "requested_units": parse_units,
            "date_requested": day,
            "follow_up_date": day,
            "owner": parse_text,
        },
        "notes": {
            "note_id": parse_text,
            "client_id": parse_text,
            "service_date": day,
            "provider": parse_text,
            "billing_code": parse_text,
            "units": parse_units,
            "minutes": parse_count,
            "status": partial(parse_choice, choices=NOTE_STATUSES),
            "auth_no": parse_text,
        },
        "billing_codes": {
            "code": parse_text,
            "description": parse_text,
            "code_type": parse_text,
            "unit_minutes": parse_count,
            "rate": parse_money,
            "active": parse_yes_no,
        },
        "auth_groups": {
            "group_name": parse_text,
            "active": parse_yes_no,
            "description": parse_text,
        },
        "code_groups": {"group_name": parse_text, "billing_code": parse_text},
        "payers": {"payer": parse_text, "payer_id": parse_text, "active": parse_yes_no},
        "providers": {"provider": parse_text, "credentials": parse_text, "active": parse_yes_no},
    }


def parse_row(
    raw: RawRecord, parsers: dict[str, Parser], entity: str | None = None
) -> tuple[dict[str, object], list[Problem]]:
    """Parse the fields of one raw row; unreadable cells become problems and read as blank.

    ``values`` has every field of ``parsers``, in their order; problems come in that order.
    """
    values: dict[str, object] = dict.fromkeys(parsers)  # every parser reads a blank as None
    problems: list[Problem] = []
    for name, cell in raw.values.items():  # only the cells present (most are blank)
        if cell is None:
            continue
        parse = parsers.get(name)
        if parse is None:
            continue
        if parse is parse_text and type(cell) is str:  # parse_text's first case, inlined
            values[name] = cell.strip() or None
            continue
        value, error = parse(cell)
        if error:
            problems.append(
                Problem(source=raw.source, field=name, value=cell, message=error, entity=entity)
            )
            value = None
        values[name] = value
    if len(problems) > 1:
        order = list(parsers)
        problems.sort(key=lambda p: order.index(p.field))
    return values, problems


def _missing(
    raw: RawRecord, name: str, entity: str | None, message: str = "required: this cell is blank"
) -> Problem:
    """A required cell left blank (the shell names the column from ``name``)."""
    return Problem(
        source=raw.source, field=name, value=raw.values.get(name), message=message, entity=entity
    )


def _required(
    row: RawRecord, values: dict, names: tuple[str, ...], entity: str | None
) -> list[Problem]:
    """Problems for the required fields of ``names`` that the row leaves blank (a cell that
    holds something unreadable already has its own problem)."""
    return [
        _missing(row, name, entity)
        for name in names
        if values[name] is None and row.values.get(name) in (None, "")
    ]


def parse_settings(rows: tuple[RawRecord, ...]) -> tuple[Settings, list[Problem]]:
    """Settings from the Settings sheet; an unreadable setting keeps its default."""
    problems: list[Problem] = []
    found: dict[str, object] = {}
    for raw in rows:
        name, cell = raw.values.get("field"), raw.values.get("value")
        if name == "date_order":
            value, error = parse_choice(cell, DATE_ORDERS)
        elif name == "auth_prefix":
            value, error = parse_text(cell)
        elif name == "timed_unit_rule":
            value, error = parse_choice(cell, UNIT_RULES)
        elif name == "forecast_weeks":
            value, error = parse_count(cell)
            if value == 0:
                value, error = None, "Forecast Weeks must be 1 or more"
        elif name == "denied_notes_use_units":
            value, error = parse_yes_no(cell)
        elif name == "as_of":
            value, error = parse_date(cell, "YMD" if isinstance(cell, str) else "MDY")
            if error and isinstance(cell, str):
                value, error = parse_date(cell, "MDY")
        else:
            continue
        if error:
            problems.append(Problem(source=raw.source, field="value", value=cell, message=error))
        elif value is not None:
            found[name] = value
    return Settings(**found), problems


def build_book(raw: RawBook) -> tuple[Book, list[Problem]]:
    """Parse and check a whole workbook. Returns the usable records and every problem found.

    Checks made here: required cells, unreadable values, End Date before Start Date,
    duplicate keys (Client ID, Billing Code), an Auth # on lines that cannot be one approval
    (``authbook.rules.approvals``), and references to clients, billing
    codes, auth groups, providers and payers that the workbook does not list.
    """
    settings, problems = parse_settings(raw.settings)
    spec = field_parsers(settings.date_order)

    codes = _build_list(raw.billing_codes, spec["billing_codes"], "code", BillingCode, problems)
    groups = _build_list(raw.auth_groups, spec["auth_groups"], "group_name", AuthGroup, problems)
    payers = _build_list(raw.payers, spec["payers"], "payer", Payer, problems)
    providers = _build_list(raw.providers, spec["providers"], "provider", Provider, problems)
    clients = _build_list(raw.clients, spec["clients"], "client_id", Client, problems)
    code_groups = []
    for row in raw.code_groups:
        values, found = parse_row(row, spec["code_groups"])
        problems.extend(found)
        if values["group_name"] and values["billing_code"]:
            code_groups.append(CodeGroupMember(source=row.source, **values))

    known = _Known(clients, codes, groups, payers, providers)
    auths = _build_auths(raw.auths, spec["auths"], known, problems)
    book = Book(
        clients=tuple(clients),
        auths=tuple(auths),
        billing_codes=tuple(codes),
        auth_groups=tuple(groups),
        code_groups=tuple(code_groups),
        payers=tuple(payers),
        providers=tuple(providers),
        settings=settings,
    )
    if not raw.notes:
        return book, problems
    notes, found = build_notes(raw.notes, book, raw.uncalculated)
    problems.extend(found)
    return book.model_copy(update={"notes": tuple(notes)}), problems


def build_notes(
    rows: RawRows, book: Book, uncalculated: frozenset[tuple[str, int, str]] = frozenset()
) -> tuple[list[Note], list[Problem]]:
    """The notes of the raw Notes ``rows`` (RawRows, as ``RawBook.notes`` holds them) of a book
    whose other sheets are built (``book``, its notes left out): the notes that can be used
    and the problems of each row, in row order. Each row is read on its own, so the notes of
    some rows are built as building them all builds them (a refresh builds the notes of
    two sets of clients in two processes)."""
    known = _Known(book.clients, book.billing_codes, book.auth_groups, book.payers,
                   book.providers)  # fmt: skip
    problems: list[Problem] = []
    parsers = field_parsers(book.settings.date_order)["notes"]
    # a Billing Code that is a formula not calculated yet is not blank: no Default code
    pending = {row for on, row, name in uncalculated if name == "billing_code" and on == rows.sheet}
    notes = _build_notes(rows, parsers, known, problems, DefaultCodes(book.auths, pending))
    return notes, problems


def _build_list(rows, parsers, key: str, model, problems: list[Problem]) -> list:
    """Records of a simple list sheet, keyed by ``key``; a repeated key is a problem."""
    out, seen = [], {}
    for row in rows:
        values, found = parse_row(row, parsers)
        problems.extend(found)
        name = values[key]
        if not name:
            problems.append(_missing(row, key, None))
            continue
        if name_key(name) in seen:
            problems.append(
                Problem(
                    source=row.source,
                    field=key,
                    value=row.values.get(key),
                    message=f"{quoted(name)} is listed twice "
                    f"(first at row {seen[name_key(name)]}); this row is ignored",
                    entity=str(name),
                )
            )
            continue
        seen[name_key(name)] = row.source.row
        out.append(model(source=row.source, **{k: v for k, v in values.items() if v is not None}))
    return out


#: Fields whose names must be on another sheet's list (see ``_Known.checks``).
REFERENCE_FIELDS = ("client_id", "billing_code", "auth_group", "payer", "provider")


class _Known:
    """The names other sheets may refer to, for reference checks."""

    def __init__(self, clients, codes, groups, payers, providers):
        self.clients = {name_key(c.client_id) for c in clients}
        self.codes = {code_key(c.code) for c in codes}
        self.groups = {name_key(g.group_name) for g in groups}
        self.payers = {name_key(p.payer) for p in payers}
        self.providers = {name_key(p.provider) for p in providers}
        self.checks = (
            ("client_id", self.clients, name_key, "Clients"),
            ("billing_code", self.codes, code_key, "BillingCodes"),
            ("auth_group", self.groups, name_key, "AuthGroups"),
            ("payer", self.payers, name_key, "Payers"),
            ("provider", self.providers, name_key, "Providers"),
        )
        self._by_field = {check[0]: check for check in self.checks}
        self._answers: dict[tuple[str, str], bool] = {}

    def lists(self, field: str, value: str | None) -> bool:
        """True unless ``value`` is a name the list of ``field`` should hold and does not
        (blank values and empty lists pass). Answers are remembered per name."""
        if not value:
            return True
        known = self._answers.get((field, value))
        if known is None:
            _, names, key, _ = self._by_field[field]
            known = self._answers[(field, value)] = not names or key(value) in names
        return known

    def unknown(self, row: RawRecord, values: dict, entity: str | None) -> list[Problem]:
        """Problems for names in ``values`` that the workbook's lists do not hold."""
        found = []
        for name, names, key, listed_in in self.checks:
            value = values.get(name)
            if value and names and key(value) not in names:
                found.append(
                    Problem(
                        source=row.source,
                        field=name,
                        value=row.values.get(name),
                        message=f"{quoted(value)} is not on the {listed_in} sheet",
                        entity=entity,
                    )
                )
        return found


#: Auth fields whose blank reads as a default other than None (No, 0).
AUTH_DEFAULTS = {
    f.name: f.default
    for f in dataclasses.fields(Auth)
    if f.default is not dataclasses.MISSING and f.default is not None
}


def _unlisted(known: _Known, names, columns, fields) -> dict[str, set[int]]:
    """Field -> the positions of the cells of ``fields`` naming what the workbook's lists do
    not hold (fields with none left out), each distinct name looked up once."""
    found: dict[str, set[int]] = {}
    for name, column in zip(names, columns):
        if name in fields:
            bad = {v for v in set(column) if not known.lists(name, v)}
            if bad:
                found[name] = {i for i, v in enumerate(column) if v in bad}
    return found


def _parse_columns(cells_by_field, names, parsers):
    """``parse_column`` for each field of ``names``: (values per field, errors per field)."""
    columns, errors = [], []
    for name, cells in zip(names, cells_by_field):
        values, found = parse_column(cells, parsers[name])
        columns.append(values)
        errors.append(found)
    return columns, errors


def _cell_problems(row, position: int, names, errors, entity: str | None = None):
    """The problems of the unreadable cells of ``row`` (at ``position`` in its sheet's
    columns), in field order."""
    return [
        Problem(
            source=row.source,
            field=name,
            value=row.values.get(name),
            message=found[position],
            entity=entity,
        )
        for name, found in zip(names, errors)
        if position in found
    ]


def _build_auths(rows: RawRows, parsers, known: _Known, problems: list[Problem]) -> list[Auth]:
    """Auths from their raw rows, with the problems of each row in row order.

    Done a column at a time, as the notes are: the rows with something to report (a cell
    that cannot be read, a blank required cell, no Allotted Units, half a period limit, an
    End Date before the Start Date, a name not on its list) are checked one by one
    (``_checked_auth``); every other row only takes the defaults. Then the lines whose Auth #
    is ambiguous (``approvals.number_problems``) get a problem each, in row order with the
    others; they still count their units."""
    names = tuple(parsers)
    mine: list[Problem] = []
    auths = _auths_of(rows, names, parsers, known, mine)
    ambiguous = number_problems(auths)
    problems.extend(heapq.merge(mine, ambiguous, key=_row_of) if ambiguous else mine)
    return auths


def _row_of(problem: Problem) -> int:
    return problem.source.row


def _auths_of(rows: RawRows, names, parsers, known: _Known, problems: list[Problem]):
    """``_build_auths`` but for the ambiguous Auth #s."""
    columns, errors = _parse_columns(rows.columns(names), names, parsers)
    column = dict(zip(names, columns))
    unlisted = _unlisted(known, names, columns, REFERENCE_FIELDS)
    attention = set().union(*errors, *unlisted.values())
    for name in ("client_id", "billing_code", "start_date", "end_date", "allotted_units"):
        attention.update(_blank_positions(column[name]))
    attention.update(
        i
        for i, (most, per, start, end) in enumerate(
            zip(column["max_units"], column["per"], column["start_date"], column["end_date"])
        )
        if (most is None) != (per is None) or (start and end and end < start)
    )

    checked: dict[int, tuple | None] = {}
    for position in sorted(attention):
        row = rows.record(position)
        values = {name: c[position] for name, c in column.items()}
        found = _cell_problems(row, position, names, errors)
        values = _checked_auth(row, values, found, known, problems)
        checked[position] = None if values is None else tuple(values.values())

    if True in column["unmanaged"]:
        column["allotted_units"] = [
            None if unmanaged else units
            for unmanaged, units in zip(column["unmanaged"], column["allotted_units"])
        ]
    for name, default in AUTH_DEFAULTS.items():
        column[name] = _defaulted(column[name], default)
    cells = list(zip(*column.values()))
    for position, values in checked.items():
        cells[position] = values
    dropped = [position for position, values in checked.items() if values is None]
    return _records_of(Auth, names, rows, cells, dropped)


def _blank_positions(column: list) -> list[int]:
    """The positions of the blank (None) cells of a parsed column."""
    return [i for i, v in enumerate(column) if v is None] if None in column else []


def _defaulted(column: list, default) -> list:
    """A parsed column with ``default`` in its blank (None) cells."""
    return [default if v is None else v for v in column] if None in column else column


def _records_of(cls, names: tuple[str, ...], rows: RawRows, cells, dropped: list[int]) -> list:
    """``cls`` records made without validating them from ``cells`` (a tuple of the values of
    ``names`` for each row of ``rows``), each with its row's source, leaving out the rows at
    the positions ``dropped``."""
    sources = trusted_sources(rows.sheet, rows.rows)
    if dropped:
        keep = [True] * len(rows.rows)
        for position in dropped:
            keep[position] = False
        cells, sources = compress(cells, keep), compress(sources, keep)
    return list(map(trusted_maker(cls, names), sources, cells))


def _checked_auth(row, values, found, known: _Known, problems) -> dict | None:
    """Check one auth row on its own (``values`` parsed from ``row``, ``found`` the problems
    of its unreadable cells): add its problems to ``problems`` and give its
    values, defaults taken, or None when the auth cannot be used. The column-wise pass of
    ``_build_auths`` sends here only the rows that have something to report."""
    entity = values["auth_no"] or values["client_id"]
    problems.extend(p.model_copy(update={"entity": entity}) for p in found)
    usable = not any(p.field in ("start_date", "end_date", "allotted_units") for p in found)
    required = ("client_id", "billing_code", "start_date", "end_date")
    if None in map(values.get, required):
        blank = _required(row, values, required, entity)
        problems.extend(blank)
        usable = usable and not blank
    awaiting = values["request_status"] in (*OPEN_REQUEST_STATUSES, "Denied")
    if values["allotted_units"] is None and not values["unmanaged"] and not awaiting:
        if row.values.get("allotted_units") in (None, ""):
            problems.append(
                _missing(row, "allotted_units", entity, "required unless the auth is unmanaged")
            )
        usable = False
    if (values["max_units"] is None) != (values["per"] is None):
        blank = "per" if values["per"] is None else "max_units"
        if not any(p.field in ("max_units", "per") for p in found):
            problems.append(
                Problem(
                    source=row.source,
                    field=blank,
                    value=row.values.get(blank),
                    message="a period limit needs both Max Units and Per (Day, Week or "
                    "Month); the limit is not applied",
                    entity=entity,
                )
            )
        values["max_units"] = values["per"] = None
    start, end = values["start_date"], values["end_date"]
    if start and end and end < start:
        problems.append(
            Problem(
                source=row.source,
                field="end_date",
                value=row.values.get("end_date"),
                message=f"End Date {end:%m/%d/%Y} is before Start Date {start:%m/%d/%Y}",
                entity=entity,
            )
        )
        usable = False
    unknown = known.unknown(row, values, entity)
    problems.extend(unknown)
    if any(p.field == "client_id" for p in unknown):  # only when there is a Clients list
        usable = False
    if not usable:
        return None
    if values["unmanaged"]:
        values["allotted_units"] = None
    elif values["allotted_units"] is None:  # a request not approved yet: nothing to draw
        values["allotted_units"] = 0
    for name, default in AUTH_DEFAULTS.items():
        if values[name] is None:
            values[name] = default
    return values


#: The lists a note's names must be on (an auth's are in ``_Known.checks``).
NOTE_REFERENCES = ("client_id", "billing_code", "provider")

#: Cell types whose parse is remembered per value (text, dates): a Notes sheet repeats the same
#: statuses, dates and codes hundreds of thousands of times. Numbers are remembered only in a
#: column holding no other kind of number (1, 1.0 and True are equal as dict keys but do not
#: read the same).
_REMEMBERED_TYPES = (str, datetime, date)
_NONE_TYPE = type(None)


def parse_column(cells: list, parse: Parser) -> tuple[list, dict[int, str]]:
    """``parse`` applied to every cell of a column: the values (None where blank or
    unreadable) and, by position, the error of each unreadable cell.

    Each distinct cell is parsed once and the loops over the cells run in C, unless the
    column mixes kinds of number (then every cell is parsed on its own). Text columns are
    only stripped (measured faster than remembering 500,000 distinct note IDs)."""
    if parse is parse_text:  # never an error; text is only stripped (faster than remembering)
        return [
            (c.strip() or None) if type(c) is str else (None if c is None else parse_text(c)[0])
            for c in cells
        ], {}
    kinds = set(map(type, cells))
    kinds.discard(_NONE_TYPE)
    if len(kinds) > 1 and not all(k in _REMEMBERED_TYPES for k in kinds):
        return _parse_each(cells, parse)
    distinct = set(cells)
    value_of: dict = {None: None}
    error_of: dict = {}
    for cell in distinct:
        if cell is None:
            continue
        value, error = parse(cell)
        if error:
            error_of[cell] = error
            value = None
        value_of[cell] = value
    values = list(map(value_of.__getitem__, cells))
    if not error_of:
        return values, {}
    return values, {i: error_of[c] for i, c in enumerate(cells) if c in error_of}


def _parse_each(cells: list, parse: Parser) -> tuple[list, dict[int, str]]:
    """``parse_column`` for a column mixing kinds of number: text and dates remembered."""
    values: list = []
    errors: dict[int, str] = {}
    memo: dict[object, tuple[object, str | None]] = {}
    for position, cell in enumerate(cells):
        if cell is None:
            values.append(None)
            continue
        if type(cell) in _REMEMBERED_TYPES:
            parsed = memo.get(cell)
            if parsed is None:
                parsed = memo[cell] = parse(cell)
        else:
            parsed = parse(cell)
        value, error = parsed
        if error:
            errors[position] = error
            value = None
        values.append(value)
    return values, errors


def _build_notes(
    rows: RawRows,
    parsers,
    known: _Known,
    problems: list[Problem],
    defaults: DefaultCodes | None = None,
) -> list[Note]:
    """Notes from their raw rows, with the problems of each row in row order and, within a
    row, in field order (as ``parse_row`` gives them).

    A workbook can hold hundreds of thousands of notes, so the work is done a column at a
    time: each distinct date or status text is parsed once, each distinct client, code and
    provider is looked up once, and only the rows with something to report are looked at
    one by one (their RawRecords are made then). A blank Billing Code takes the code of the
    client's Default auth covering the date (``defaults``); only without one is it a
    problem."""
    names = tuple(parsers)
    columns, errors = _parse_columns(rows.columns(names), names, parsers)
    at = {name: i for i, name in enumerate(names)}
    if defaults is not None:
        take_default_codes(rows, columns, at, errors, defaults)
    attention = set().union(*errors)
    for name in ("client_id", "billing_code", "service_date"):  # required
        attention.update(_blank_positions(columns[at[name]]))
    unlisted = _unlisted(known, names, columns, NOTE_REFERENCES)
    attention.update(*unlisted.values())
    status_errors = errors[at["status"]]
    no_status = {p for p in _blank_positions(columns[at["status"]]) if p not in status_errors}
    repeated = repeated_positions(columns[at["note_id"]])
    attention.update(no_status, repeated)
    for name, default in (("units", 1), ("status", BLANK_STATUS_READS_AS)):
        columns[at[name]] = _defaulted(columns[at[name]], default)

    unusable = []
    for position in sorted(attention):
        values = dict(zip(names, (column[position] for column in columns)))
        record = rows.record(position)
        if not _note_is_usable(record, position, values, errors, unlisted, known, problems):
            unusable.append(position)
        others = [rows.record(p).source.row for p in repeated.get(position, ())]
        problems.extend(note_notices(record, values, position in no_status, others))
    return _records_of(Note, names, rows, zip(*columns), unusable)


def _note_is_usable(row, position, values, errors, unlisted, known, problems) -> bool:
    """Report the problems of one note row (unreadable cells in field order, blank required
    cells, names not on their lists) and say whether the note can still be used."""
    entity = values["note_id"] or values["client_id"]
    found = _cell_problems(row, position, tuple(values), errors, entity)
    problems.extend(found)
    usable = not any(p.field in ("units", "service_date", "status") for p in found)
    blank = _required(row, values, ("client_id", "billing_code", "service_date"), entity)
    problems.extend(blank)
    for name in NOTE_REFERENCES:
        if position in unlisted.get(name, ()):
            problems.extend(known.unknown(row, {name: values[name]}, entity))
    return usable and not blank
