"""AuthBook's records: what a workbook row means once it has been read and checked.

Every record is frozen and remembers its ``source`` (sheet and row), so every problem and
alert can point at the cell a biller has to look at. Field names here are Python names; the
sheet and header names users see live in ``authbook.workbook.schema`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from itertools import repeat
from operator import itemgetter
from typing import Any

from authbook.modelbase import Record, _setter_function, row_record
from authbook.modelbase import trusted_maker as trusted_maker  # (the rules make rows with it)


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
    def of_records(cls, sheet: str, records: Iterable[RawRecord]) -> RawRows:
        """RawRows holding ``records`` (RawRecords of the sheet ``sheet``), in their order,
        each row's cells as a tuple: ``fields`` are every key of the records' values, in the
        order first seen, and a record without some key holds None there (every rule reads a
        missing cell and a blank one alike). A record of another sheet is a ValueError."""
        records = list(records)
        if any(r.source.sheet != sheet for r in records):
            raise ValueError(f"RawRows hold the rows of one sheet ({sheet!r})")
        fields = tuple(dict.fromkeys(name for r in records for name in r.values))
        return cls(
            sheet,
            fields,
            [r.source.row for r in records],
            [tuple(map(r.values.get, fields)) for r in records],
        )

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
        column: each column picked from these rows' the first time it is read (a part of a
        large sheet whose rules read two columns costs two columns, not every one)."""
        return _RawRowsAt(self, positions)

    def columns(self, names: Iterable[str]) -> list[Sequence]:
        """The cells of each field of ``names``, one sequence per field, in row order (all
        None for a field the sheet has no column for). Do not change them."""
        by_field = self._by_field
        if by_field is None:
            by_field = dict(zip(self.fields, zip(*self.cells))) if self.cells else {}
            if self.cells:
                # held by column from now on: the next call costs nothing, and the rows'
                # tuples are let go of, so the cells are held once either way
                self._by_field, self.cells = by_field, None
        blank = (None,) * len(self.rows)
        return [by_field.get(name, blank) for name in names]


class _RawRowsAt(RawRows):
    """``RawRows.at``: the rows at ``positions`` of the RawRows ``whole``, whose columns are
    picked from ``whole``'s when first read (and kept) and whose records are ``whole``'s."""

    __slots__ = ("_whole", "_positions", "_pick")

    def __init__(self, whole: RawRows, positions: list[int]) -> None:
        if len(positions) > 1:
            pick = itemgetter(*positions)
        elif positions:
            only = positions[0]
            pick = lambda cells: (cells[only],)  # noqa: E731
        else:
            pick = lambda cells: ()  # noqa: E731
        super().__init__(whole.sheet, whole.fields, list(pick(whole.rows)), [])
        self.cells, self._by_field = None, {}
        self._whole, self._positions, self._pick = whole, positions, pick

    def record(self, position: int) -> RawRecord:
        return self._whole.record(self._positions[position])

    def columns(self, names: Iterable[str]) -> list[Sequence]:
        names = list(names)
        picked = self._by_field
        wanted = [n for n in dict.fromkeys(names) if n not in picked and n in self.fields]
        if wanted:
            picked.update(zip(wanted, map(self._pick, self._whole.columns(wanted))))
        blank = (None,) * len(self.rows)
        return [picked.get(name, blank) for name in names]


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
    """A row of the Clients sheet: a client's ID, name, date of birth and payers."""

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
    """A row of the Notes sheet: one session (client, date, provider, code, units) that
    draws on an auth once it is released."""

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
    """A row of the BillingCodes sheet: a code, its unit length in minutes and its rate."""

    source: Source
    code: str
    description: str | None = None
    code_type: str | None = None
    unit_minutes: int | None = None
    rate: float | None = None
    active: bool = True


class AuthGroup(Record):
    """A row of the AuthGroups sheet: a named pool whose auths decrement together."""

    source: Source
    group_name: str
    active: bool = True
    description: str | None = None


class CodeGroupMember(Record):
    """A row of the CodeGroups sheet: one billing code of a named group of codes."""

    source: Source
    group_name: str
    billing_code: str


class Payer(Record):
    """A row of the Payers sheet: a payer and its payer ID."""

    source: Source
    payer: str
    payer_id: str | None = None
    active: bool = True


class Provider(Record):
    """A row of the Providers sheet: a clinician who bills sessions."""

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

    def with_column(self, name: str, values: list) -> NoteStatuses:
        """These statuses with field ``name``'s values replaced by ``values`` (one per row)."""
        return NoteStatuses(self.sources, {**self._columns, name: values})


class NoteStatusesLater(NoteStatuses):
    """NoteStatuses worked out by ``make`` (a function giving NoteStatuses) the first time
    they are looked at, and kept. A refresh whose Notes sheet is written by a second process
    has that process work them out; this one, which never looks, does not."""

    __slots__ = ("_make", "_made")

    def __init__(self, make: Callable[[], NoteStatuses]) -> None:
        self._make, self._made = make, None

    def _statuses(self) -> NoteStatuses:
        if self._made is None:
            self._made, self._make = self._make(), None
        return self._made

    def __getattr__(self, name: str):
        # only reached for a slot not set yet: the statuses are worked out now, and each
        # part taken only when asked for (merged statuses make their sources only then)
        if name not in ("sources", "_columns"):
            raise AttributeError(name)
        value = getattr(self._statuses(), name)
        setattr(self, name, value)
        return value

    @property
    def rows(self) -> list[int]:
        return self._statuses().rows

    def __len__(self) -> int:
        return len(self._statuses())


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
    #: Given as RawRows (as read from a workbook) or a tuple of RawRecord (a book made by
    #: hand); held as RawRows either way (``__post_init__``).
    auths: RawRows | tuple[RawRecord, ...] = ()
    #: As ``auths``: given as RawRows or a tuple of RawRecord, held as RawRows.
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

    def __post_init__(self) -> None:
        """Hold the Auths and Notes rows as RawRows however they were given, so the rules
        read them one way: a sequence of RawRecord becomes ``RawRows.of_records`` (of its
        first record's sheet; an empty one of no sheet, ""). Every way of making a RawBook
        calls this last (``authbook.modelbase``: the validating constructor, ``trusted``,
        ``model_copy``, and pydantic's validator)."""
        for name in ("auths", "notes"):
            rows = getattr(self, name)
            if not isinstance(rows, RawRows):
                records = list(rows)
                sheet = records[0].source.sheet if records else ""
                object.__setattr__(self, name, RawRows.of_records(sheet, records))
