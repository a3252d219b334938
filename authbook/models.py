"""AuthBook's records: what a workbook row means once it has been read and checked.

Every record is frozen and remembers its ``source`` (sheet and row), so every problem and
alert can point at the cell a biller has to look at. Field names here are Python names; the
sheet and header names users see live in ``authbook.workbook.schema`` only.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any


def row_record(cls):
    """Make ``cls`` a row record: a frozen dataclass with ``__slots__`` (a tenth of a model's
    memory), validated when constructed (``_validating_init``). ``cls.trusted(**fields)``
    builds one from values a parser in ``authbook.rules`` has already checked, without
    validating them again (as the refresh does). Change one with ``dataclasses.replace``."""
    cls = dataclasses.dataclass(frozen=True, slots=True, kw_only=True, init=False)(cls)
    cls.__init__, cls.trusted = _validating_init(cls), staticmethod(_trusted_constructor(cls))
    return cls


class Record:
    """A record not one per row (settings, problems, plans, a book): each subclass is a frozen
    dataclass validated when constructed (``_validating_init``), with pydantic's
    ``model_copy(update=...)``: a copy with some fields replaced, not validated."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, kw_only=True, init=False)(cls)
        cls.__init__, cls.trusted = _validating_init(cls), staticmethod(_trusted_constructor(cls))

    def model_copy(self, *, update: dict[str, Any] | None = None):
        return self.trusted(**{**self.__dict__, **(update or {})})  # the fields, no slots


def _validating_init(cls):
    """An ``__init__`` for ``cls`` validating its keyword arguments as pydantic does: values
    exactly of their fields' types (``date`` for ``date | None``, a tuple of ``Client`` for
    ``tuple[Client, ...]``), none missing or unknown, are kept (a dict copied) without it;
    anything else goes to pydantic, which converts it or raises ``ValidationError``
    (imported only then: every command is a new process, and pydantic's import and
    validators took 0.1-0.2 s of each). Compiled on the first call;
    tests/test_models_validation.py compares the two ways."""

    def __init__(self, **values) -> None:
        if cls.__init__ is __init__:
            cls.__init__ = _compiled_init(cls)
        cls.__init__(self, **values)

    return __init__


def _compiled_init(cls):
    """The ``__init__`` of ``_validating_init``, compiled for the fields of ``cls``."""
    fields = dataclasses.fields(cls)
    hints = typing.get_type_hints(cls)
    scope = {"_M": _MISSING, "_slow": _validated, "_cls": cls, "_set": object.__setattr__}
    params, checks, sets = [], [], []
    for f in fields:
        scope[f"_d_{f.name}"] = f.default if f.default_factory is _MISSING else _MISSING
        params.append(f"{f.name}=_d_{f.name}")
        checks.append(_check_of(hints[f.name], f.name, scope) or f"{f.name} is not _M")
        copy = typing.get_origin(hints[f.name]) is dict  # pydantic gives a dict's copy
        sets.append(f"    _set(self, {f.name!r}, {'dict(' * copy}{f.name}{')' * copy})")
    head = f"def __init__(self, *, {', '.join(params)}, **_extra):\n    if _extra or not ("
    given = "".join(f"({f.name!r}, {f.name}), " for f in fields)
    call = f"):\n        return _slow(_cls, self, ({given}), _extra)\n"
    exec(head + (" and ".join(checks) or "True") + call + "\n".join(sets) + "\n", scope)  # noqa: S102
    return scope["__init__"]


def _validated(cls, record, given: tuple, extra: dict) -> None:
    """Set ``record``'s fields as pydantic makes them of ``given`` and ``extra``."""
    if "_pydantic_adapter" not in cls.__dict__:
        from pydantic import TypeAdapter  # here, not at the top: start-up time

        type.__setattr__(cls, "_pydantic_adapter", TypeAdapter(cls))
    values = {name: value for name, value in given if value is not _MISSING}
    made = cls._pydantic_adapter.validate_python({**values, **extra})
    for name, _ in given:
        object.__setattr__(record, name, getattr(made, name))


_MISSING = dataclasses.MISSING
#: Types whose values pydantic keeps as they are when they are of exactly that type.
_EXACT = (str, int, float, bool, date, datetime)


def _check_of(hint, v: str, scope: dict) -> str | None:
    """An expression: is ``v``'s value one pydantic keeps as it is for a field of type
    ``hint``? (None: any value is.) The types it names are put in ``scope``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is type(None):
        return None if hint is Any else f"{v} is None"
    if origin in (typing.Union, types.UnionType):
        either = [_check_of(a, v, scope) for a in args]
        return None if None in either else f"({' or '.join(either)})"
    if origin is None and isinstance(hint, type):
        known = hint in _EXACT or dataclasses.is_dataclass(hint) or hint.__module__ == __name__
        return f"type({v}) is {_named(hint, scope)}" if known else "False"
    if origin in (tuple, frozenset) and (origin is frozenset or args[-1:] == (...,)):
        kind = f"type({v}) is {_named(origin, scope)}"
        item = _check_of(args[0], "_i", scope) if args else None
        return kind if item is None else f"({kind} and all({item} for _i in {v}))"
    if origin is tuple:  # a tuple of fixed length: each item its own type
        items = [_check_of(a, f"{v}[{i}]", scope) or "True" for i, a in enumerate(args)]
        return f"(type({v}) is tuple and len({v}) == {len(args)} and {' and '.join(items)})"
    if origin is dict and args == (str, Any):
        return f"(type({v}) is dict and all(type(_k) is str for _k in {v}))"
    return "False"  # anything else is left to pydantic


def _named(kind: type, scope: dict) -> str:
    """A name for ``kind`` among the variables ``scope`` of compiled code."""
    scope[f"_t{id(kind)}"] = kind
    return f"_t{id(kind)}"


def _trusted_constructor(cls):
    """A keyword constructor for ``cls`` that sets its fields without validating them."""
    fields = dataclasses.fields(cls)
    params = (
        f.name if f.default is _MISSING else f"{f.name}=_defaults[{f.name!r}]" for f in fields
    )
    return _setter_function(cls, f"trusted(*, {', '.join(params)})", [], {f.name for f in fields})


def trusted_maker(cls, names: tuple[str, ...]):
    """A function ``make(source, cells)`` building a ``cls`` row record from ``cells``, the
    values of the fields ``names`` in that order (every other field takes its default),
    without validating them: ``cls.trusted`` for a loop over hundreds of thousands of rows
    whose values come as tuples. ``names`` must not include ``source``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [n for n in names if n not in fields or n == "source"]
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {unknown}")  # a bug in the caller
    missing = [
        n for n, f in fields.items()
        if n != "source" and n not in names and f.default is dataclasses.MISSING
    ]  # fmt: skip
    if missing:
        raise ValueError(f"{cls.__name__} needs {missing} (they have no default)")
    unpack = [f"    {', '.join(names)}, = cells"] if names else []
    return _setter_function(cls, "make(source, cells)", unpack, {"source", *names})


def _setter_function(cls, signature: str, prologue: list[str], given: set[str]):
    """Compile ``def <signature>`` that makes a ``cls`` and sets each field: from the local
    variable of that name for the fields in ``given`` (parameters, or set by ``prologue``,
    which runs first), else from the field's default. Built from the dataclass's own field
    names, as ``dataclasses`` builds ``__init__``."""
    fields = dataclasses.fields(cls)
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    lines = [f"def {signature}:", *prologue, "    _obj = _new(_cls)"]
    scope = {"_cls": cls, "_new": object.__new__, "_set": object.__setattr__, "_defaults": defaults}
    for f in fields:
        value = f.name if f.name in given else f"_defaults[{f.name!r}]"
        slot = _slot_of(cls, f.name)
        if slot is None:
            lines.append(f"    _set(_obj, {f.name!r}, {value})")
        else:  # the slot's own setter: half the time of object.__setattr__ (measured)
            scope[f"_set_{f.name}"] = slot.__set__
            lines.append(f"    _set_{f.name}(_obj, {value})")
    lines.append("    return _obj")
    exec("\n".join(lines) + "\n", scope)  # noqa: S102
    return scope[signature.split("(")[0]]


def _slot_of(cls, name: str):
    """The ``__slots__`` member of ``cls`` (or a base) holding attribute ``name``, or None."""
    for klass in cls.__mro__:
        found = klass.__dict__.get(name)
        if found is not None:
            return found if isinstance(found, types.MemberDescriptorType) else None
    return None


@row_record
class Source:
    """Where a record came from: a sheet name and an Excel row number (1-based)."""

    sheet: str
    row: int

    def __str__(self) -> str:
        return f"{self.sheet}!{self.row}"


_make_source = _setter_function(Source, "make(sheet, row)", [], {"sheet", "row"})


def trusted_sources(sheet: str, rows: Iterable[int]) -> list[Source]:
    """The Sources of ``rows`` (Excel row numbers) of ``sheet``, in order, built without
    validating them: for the hundreds of thousands of rows of a Notes sheet."""
    return list(map(_make_source, repeat(sheet), rows))


@row_record
class RawRecord:
    """One row as read, before any parsing: field name -> cell value as the file holds it."""

    source: Source
    values: dict[str, Any]


class MadeOnRead(Sequence):
    """A read-only sequence whose items are made when asked for: a subclass gives
    ``__len__`` and ``record(position)`` (0-based; negative counts from the end). It equals
    any sequence of equal items in the same order and, like a list, is not hashable."""

    __slots__ = ()

    def record(self, position: int):  # pragma: no cover - every subclass gives its own
        raise NotImplementedError

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self.record(i) for i in range(*position.indices(len(self)))]
        return self.record(position)

    def __iter__(self):
        return map(self.record, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]


class RawRows(MadeOnRead):
    """The raw rows of one sheet, held compactly: ``fields`` names the columns read, and each
    row is its Excel row number (``rows``) and its cells in ``fields`` order — a tuple per
    row (``cells``), or a list per field (``RawRows.of_columns``). It reads as a sequence of
    RawRecord, made when asked for, so code that loops over raw rows works unchanged; code
    that reads whole columns uses ``columns()``.

    A Notes sheet of 500,000 rows kept as RawRecords needs a dict per row (hundreds of MB);
    kept as RawRows it needs a tuple per row, or nothing beyond the columns as read.
    """

    __slots__ = ("sheet", "fields", "rows", "cells", "_by_field")

    def __init__(
        self, sheet: str, fields: tuple[str, ...], rows: list[int], cells: list[tuple]
    ) -> None:
        self.sheet, self.fields, self.rows, self.cells = sheet, tuple(fields), rows, cells
        self._by_field: dict[str, Sequence] | None = None

    @classmethod
    def of_columns(
        cls, sheet: str, fields: tuple[str, ...], rows: list[int], columns: list[Sequence]
    ) -> RawRows:
        """RawRows whose cells are held as ``columns``, one sequence per field of ``fields``
        (in that order), each with one cell per row of ``rows``."""
        if len(columns) != len(fields) or any(len(c) != len(rows) for c in columns):
            raise ValueError("RawRows.of_columns needs one cell per row for every field")
        held = cls(sheet, fields, rows, [])
        held.cells = None
        held._by_field = dict(zip(held.fields, columns))
        return held

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"RawRows({self.sheet!r}, {len(self)} rows)"

    def record(self, position: int) -> RawRecord:
        """The RawRecord of the row at ``position`` (0-based, in sheet order)."""
        if self.cells is None:
            cells = tuple(self._by_field[f][position] for f in self.fields)
        else:
            cells = self.cells[position]
        return RawRecord.trusted(
            source=Source.trusted(sheet=self.sheet, row=self.rows[position]),
            values=dict(zip(self.fields, cells)),
        )

    def with_cells(self, field: str, by_row: dict[int, object]) -> RawRows:
        """These rows with the cell of ``field`` set to ``by_row[row]`` on the rows (Excel
        row numbers) it names: new RawRows, held by column (the field added if missing)."""
        fields = self.fields if field in self.fields else (*self.fields, field)
        columns = [list(c) for c in self.columns(fields)]
        changed = columns[fields.index(field)]
        for position, row in enumerate(self.rows):
            if row in by_row:
                changed[position] = by_row[row]
        return RawRows.of_columns(self.sheet, fields, list(self.rows), columns)

    def at(self, positions: list[int]) -> RawRows:
        """The rows at ``positions`` (0-based, ascending) as RawRows of their own, held by
        column."""
        if not positions:
            return RawRows.of_columns(self.sheet, self.fields, [], [() for _ in self.fields])
        pick = itemgetter(*positions) if len(positions) > 1 else lambda c: (c[positions[0]],)
        columns = list(map(pick, self.columns(self.fields)))
        return RawRows.of_columns(self.sheet, self.fields, list(pick(self.rows)), columns)

    def columns(self, names: Iterable[str]) -> list[Sequence]:
        """The cells of each field of ``names``, one sequence per field, in row order (all
        None for a field the sheet has no column for). Do not change them."""
        by_field = self._by_field
        if by_field is None:
            by_field = dict(zip(self.fields, zip(*self.cells))) if self.cells else {}
        blank = (None,) * len(self.rows)
        return [by_field.get(name, blank) for name in names]


class Problem(Record):
    """Something wrong with the input, as data: where, which field, the value, what is wrong.

    ``entity`` is the row's key a biller knows it by (an Auth #, a Client ID, a Note ID).
    ``value`` is the cell as typed; shells decide whether it may be shown (names and dates of
    birth are never printed outside the workbook).
    """

    source: Source
    field: str | None = None
    value: Any = None
    message: str
    entity: str | None = None


@row_record
class Client:
    source: Source
    client_id: str
    last_name: str | None = None
    first_name: str | None = None
    dob: date | None = None
    primary_therapist: str | None = None
    primary_payer: str | None = None
    secondary_payer: str | None = None
    division: str | None = None
    client_group: str | None = None
    active: bool = True


@row_record
class Auth:
    """A payer's approval: units of one billing code for one client between two dates.

    ``allotted_units`` is ``None`` only for unmanaged auths (no unit limit).
    """

    source: Source
    auth_no: str | None
    client_id: str
    billing_code: str
    diagnosis: str | None = None
    start_date: date
    end_date: date
    allotted_units: int | None = None
    prior_units_used: int = 0
    unit_alert_level: int | None = None
    exp_alert_days: int | None = None
    provider: str | None = None
    payer: str | None = None
    auth_group: str | None = None
    unmanaged: bool = False
    exclude_from_notes: bool = False
    default: bool = False
    suspend_alerts: bool = False
    sliding_scale_pct: float | None = None
    inpatient: bool = False
    #: Period limit: at most ``max_units`` per ``per`` (one of PERIODS); None = no limit.
    max_units: int | None = None
    per: str | None = None
    #: The request pipeline (X12 278 outcomes); None = never recorded (serves notes).
    request_status: str | None = None
    requested_units: int | None = None
    date_requested: date | None = None
    follow_up_date: date | None = None
    owner: str | None = None

    @property
    def is_approved(self) -> bool:
        """True when the payer approved it (Approved, Partial) or no status was recorded:
        only such auths serve notes."""
        return self.request_status is None or self.request_status in APPROVED_STATUSES

    @property
    def key(self) -> str:
        """The Auth # if it has one, else the cell it was typed in."""
        return self.auth_no or str(self.source)

    def covers(self, day: date) -> bool:
        """True when ``day`` is inside Start Date..End Date (both included)."""
        return self.start_date <= day <= self.end_date

    def allows_provider(self, provider: str | None) -> bool:
        """True when the auth names no provider, or names this one (case-insensitive)."""
        if not self.provider:
            return True
        return bool(provider) and provider.strip().casefold() == self.provider.strip().casefold()


NOTE_STATUSES = ("Draft", "Pending", "Released")
#: Auth period limits: Max Units per Day, per Week (Sunday to Saturday) or per calendar Month.
PERIODS = ("Day", "Week", "Month")
#: Request Status values, the outcomes of an X12 278 request.
REQUEST_STATUSES = ("Requested", "Submitted", "Approved", "Partial", "Denied", "Pended")
APPROVED_STATUSES = ("Approved", "Partial")
#: Requests still waiting for the payer's answer.
OPEN_REQUEST_STATUSES = ("Requested", "Submitted", "Pended")
#: How minutes of a 15-minute code become units (Settings: Timed Unit Rule).
#: "8 Minutes": a unit counts from 8 minutes (8-22 = 1, 23-37 = 2, ...);
#: "Any Minute": every started 15 minutes is a unit (1-15 = 1, 16-30 = 2, ...);
#: "Full 15": only whole 15 minutes count (15-29 = 1, 30-44 = 2, ...).
UNIT_RULES = ("8 Minutes", "Any Minute", "Full 15")


@row_record
class Note:
    source: Source
    note_id: str | None = None
    client_id: str
    service_date: date
    provider: str | None = None
    billing_code: str
    units: int = 1
    minutes: int | None = None
    status: str = "Draft"
    auth_no: str | None = None

    @property
    def key(self) -> str:
        return self.note_id or str(self.source)

    @property
    def draws_units(self) -> bool:
        """Pending and Released notes draw units; Draft notes draw nothing."""
        return self.status in ("Pending", "Released")


class BillingCode(Record):
    source: Source
    code: str
    description: str | None = None
    code_type: str | None = None
    unit_minutes: int | None = None
    rate: float | None = None
    active: bool = True


class AuthGroup(Record):
    source: Source
    group_name: str
    active: bool = True
    description: str | None = None


class CodeGroupMember(Record):
    source: Source
    group_name: str
    billing_code: str


class Payer(Record):
    source: Source
    payer: str
    payer_id: str | None = None
    active: bool = True


class Provider(Record):
    source: Source
    provider: str
    credentials: str | None = None
    active: bool = True


class Settings(Record):
    """Workbook-wide settings. ``as_of`` None means today (the shell decides what today is)."""

    as_of: date | None = None
    auth_prefix: str = "AB"
    date_order: str = "MDY"
    timed_unit_rule: str = "8 Minutes"
    forecast_weeks: int = 8
    #: Whether a note the payer denied (Notes Remit Status "Denied") still counts against its
    #: auth (issue 26: Settings "Denied Notes Use Units").
    denied_notes_use_units: bool = True


class Book(Record):
    """A whole workbook, parsed: the records that could be read, in sheet order."""

    clients: tuple[Client, ...] = ()
    auths: tuple[Auth, ...] = ()
    notes: tuple[Note, ...] = ()
    billing_codes: tuple[BillingCode, ...] = ()
    auth_groups: tuple[AuthGroup, ...] = ()
    code_groups: tuple[CodeGroupMember, ...] = ()
    payers: tuple[Payer, ...] = ()
    providers: tuple[Provider, ...] = ()
    settings: Settings = Settings()


@row_record
class AuthStatus:
    """What a refresh computes for one auth (the Auths sheet's computed columns)."""

    source: Source
    auth_no: str | None
    used_units: int | None
    pending_units: int | None
    remaining_units: int | None
    available_units: int | None
    active: bool | None
    alert: str
    primary_therapist: str | None = None
    dob: date | None = None


@row_record
class NoteStatus:
    """What a refresh computes for one note (the Notes sheet's computed columns)."""

    source: Source
    applied_auth_no: str | None
    payer: str | None
    charge: float | None
    inpatient: bool | None
    check: str
    #: The Billing Code taken from the client's Default auth for a note whose own is blank.
    default_code: str | None = None


class NoteStatuses(MadeOnRead):
    """The NoteStatus of every Notes row, held by column: ``sources`` (one per row, in sheet
    order) and one list per computed field (``NOTE_STATUS_FIELDS``).

    It reads as a sequence of NoteStatus, each made when asked for; a writer of the Notes
    sheet's cells takes whole columns with ``columns()``. A refresh of 500,000 notes would
    otherwise make 500,000 records only to take them apart again into cells.
    """

    __slots__ = ("sources", "_columns")

    def __init__(self, sources: list[Source], columns: dict[str, list]) -> None:
        wrong = [n for n in NOTE_STATUS_FIELDS if len(columns.get(n, ())) != len(sources)]
        if wrong or len(columns) != len(NOTE_STATUS_FIELDS):
            raise ValueError(f"NoteStatuses needs one value per row for {NOTE_STATUS_FIELDS}")
        self.sources, self._columns = sources, columns

    @classmethod
    def of(cls, statuses: Iterable[NoteStatus]) -> NoteStatuses:
        """The NoteStatuses holding ``statuses`` (NoteStatus records), in their order."""
        statuses = list(statuses)
        return cls(
            [s.source for s in statuses],
            {n: [getattr(s, n) for s in statuses] for n in NOTE_STATUS_FIELDS},
        )

    @property
    def rows(self) -> list[int]:
        """The Excel row number of each status, in order."""
        return [s.row for s in self.sources]

    def __len__(self) -> int:
        return len(self.sources)

    def __repr__(self) -> str:
        return f"NoteStatuses({len(self)} notes)"

    def record(self, position: int) -> NoteStatus:
        """The NoteStatus at ``position`` (0-based, in sheet order)."""
        cells = tuple(self._columns[n][position] for n in NOTE_STATUS_FIELDS)
        return _make_note_status(self.sources[position], cells)

    def columns(self, names: Iterable[str]) -> list[list]:
        """The values of each field of ``names`` (computed fields only), one list per field,
        in row order. The lists are the ones held: do not change them."""
        return [self._columns[name] for name in names]


class NoteStatusesLater(NoteStatuses):
    """NoteStatuses worked out by ``make`` (a function giving NoteStatuses) the first time
    they are looked at, and kept. A refresh whose Notes sheet is written by a second process
    has that process work them out; this one, which never looks, does not."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], NoteStatuses]) -> None:
        self._make = make

    def __getattr__(self, name: str):
        # only reached for a slot not set yet: the statuses are worked out now
        if name not in ("sources", "_columns"):
            raise AttributeError(name)
        made = self._make()
        self.sources, self._columns = made.sources, made._columns
        return getattr(self, name)


#: NoteStatus's computed fields (everything but ``source``), in order.
NOTE_STATUS_FIELDS = ("applied_auth_no", "payer", "charge", "inpatient", "check", "default_code")
_make_note_status = trusted_maker(NoteStatus, NOTE_STATUS_FIELDS)


ALERT_KINDS = ("OVER", "EXHAUSTED", "LOW", "RUNS OUT", "EXPIRING", "EXPIRED")


@row_record
class Finding:
    """One thing a biller must look at on a Pending or Released note before the claim goes out.

    ``kind`` is a short label (``NO AUTH``, ``TIME DOES NOT FIT CODE``...), ``carc`` the claim
    adjustment reason code a payer would deny it with, ``message`` says what to fix.
    ``denies`` is False for a warning the claim survives (units billed below the minutes).
    ``source`` is the note's row.
    """

    source: Source
    note_id: str | None = None
    client_id: str | None = None
    service_date: date | None = None
    billing_code: str | None = None
    kind: str
    carc: str | None = None
    message: str
    auth_no: str | None = None
    denies: bool = True

    @property
    def text(self) -> str:
        """How it reads in the Notes sheet's Check column: ``KIND (CARC n): message``."""
        carc = f" (CARC {self.carc})" if self.carc else ""
        return f"{self.kind}{carc}: {self.message}"


@row_record
class Alert:
    """One alert on one auth: ``kind`` is one of ALERT_KINDS, ``message`` the readable text."""

    source: Source
    kind: str
    message: str
    auth_no: str | None
    client_id: str
    billing_code: str
    end_date: date
    remaining_units: int | None
    provider: str | None = None
    payer: str | None = None


class Renewal(Record):
    """An auth that needs a renewal request now (``reason`` LOW, EXHAUSTED, RUNS OUT, EXPIRING,
    EXPIRED) or an open request due for a follow-up (``reason`` FOLLOW UP).

    ``request`` describes the request already on file for it ("none" when there is none).
    """

    source: Source
    reason: str
    message: str
    auth_no: str | None
    client_id: str
    billing_code: str
    payer: str | None = None
    end_date: date
    remaining_units: int | None = None
    runs_out: date | None = None
    request: str = "none"
    owner: str | None = None
    follow_up_date: date | None = None


class RawBook(Record):
    """A workbook as read, before parsing: the raw rows of each input sheet.

    ``settings`` holds one record per Settings row, with values ``{"field": name, "value": v}``.
    ``missing`` names input sheets the file does not have (their lists stay empty).
    """

    #: RawRows is not a type pydantic knows: it checks it is one (when a value needs pydantic).
    __pydantic_config__ = {"arbitrary_types_allowed": True}

    clients: tuple[RawRecord, ...] = ()
    #: RawRows when read from a workbook (see RawRows); a tuple of RawRecord otherwise.
    auths: RawRows | tuple[RawRecord, ...] = ()
    #: RawRows when read from a workbook (see RawRows); any sequence of RawRecord otherwise.
    notes: RawRows | tuple[RawRecord, ...] = ()
    billing_codes: tuple[RawRecord, ...] = ()
    auth_groups: tuple[RawRecord, ...] = ()
    code_groups: tuple[RawRecord, ...] = ()
    payers: tuple[RawRecord, ...] = ()
    providers: tuple[RawRecord, ...] = ()
    settings: tuple[RawRecord, ...] = ()
    #: Cells holding a formula whose result was not saved, as (sheet, Excel row, field):
    #: they read as blank, but their value is not known, so nothing is filled into them.
    uncalculated: frozenset[tuple[str, int, str]] = frozenset()
