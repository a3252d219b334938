"""AuthBook's worksheet functions for Excel (classic xlwings UDFs, Windows only).

Each function takes whole tables as arguments (``Auths[#All]``, ``Notes[#All]``: the table with
its header row), so Excel recalculates the formula whenever those tables change. Inside, the
tables go through the same reading (``authbook.workbook.records``) and the same rules
(``authbook.rules.refresh``) as ``authbook refresh``, so a formula shows exactly what a refresh
writes into the sheet.

They come with the AuthBook add-in (``authbook addin install``): its VBA holds the wrapper
xlwings' own generator writes for each function, built for the installed xlwings, so they work in
any open workbook, which stays a macro-free .xlsx (no *Import Functions*, no reference, no Trust
Center change). They appear in Excel's Insert Function dialog under the category *AuthBook*;
the dialog does not run them (``call_in_wizard=False``).

``AB_ELIGIBLE_CODES`` returns a column that spills below the formula in Excel 365/2021
(dynamic arrays); in older Excel, select a column of cells and enter it as an array formula.

A bad argument gives a readable ``#AUTHBOOK: …`` text in the cell, never a Python traceback.

Speed: each call receives the whole tables, which Excel hands to Python through COM on every
call (8.85 million cells at 50k auths / 500k notes; xlwings' conversion of them alone takes
seconds), and Excel recalculates every formula whose tables change. Inside Python, each table's
computed result is kept in a small cache keyed by the table contents (compared in full, so a
changed cell is always seen); only the first formula after a change pays for the rules.
``benchmarks/udfs.py`` measures the Python side. Keep formulas for lookups in small workbooks;
use the Refresh button for the columns of a large one.

Dates may be given as date cells, Excel date numbers or text (read month first, as the
Settings sheet's default Date Order). Tables without a Settings argument use the default
settings; ``AB_STATUS`` judges alerts as of today unless given a date. It is not volatile: with a
blank as-of it shows the alerts of the day Excel last recalculated it (Ctrl+Alt+F9 recalculates;
``TODAY()`` as the as-of makes it recalculate with every change, at the cost above).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from datetime import date

import xlwings as xw

from authbook.modelbase import dataclass
from authbook.models import Auth, AuthStatus, Note, Problem, RawBook, RawRecord, Source
from authbook.rules.approvals import pinned_choice
from authbook.rules.checks import CheckContext, check_draw
from authbook.rules.eligibility import eligible_codes, serving_auths
from authbook.rules.refresh import Refreshed, refresh
from authbook.rules.units import (
    AuthIndex,
    Draw,
    can_serve,
    line_of_number,
    pick_auth,
    pinned_lines,
    why_not,
)
from authbook.rules.values import name_key, parse_date, parse_text
from authbook.workbook import rawbook, records, schema
from authbook.workbook.sheetdata import RowRead, SheetRead

CATEGORY = "AuthBook"
ERROR = "#AUTHBOOK: "
UNMANAGED = "UNMANAGED"
#: How many computed workbooks the cache keeps: one per combination of tables and date in
#: use (a 500k-note workbook takes a few GB, so keep this small).
CACHE_SIZE = 4

AUTHS_DOC = "The Auths table with its header row: Auths[#All]"
NOTES_DOC = "The Notes table with its header row: Notes[#All]"
CODES_DOC = "The BillingCodes table with its header row: BillingCodes[#All]"
CLIENT_DOC = "The Client ID, as on the Clients sheet"
DATE_DOC = "The session's date (a date cell, an Excel date number, or text like 3/2/2026)"
PROVIDER_DOC = "Optional: the clinician; auths for another provider are left out"
AUTH_NO_DOC = "The Auth # as shown on the Auths sheet"
CODE_OF_NUMBER_DOC = (
    "Optional: the billing code, when the Auth # is on several code lines with units of their own"
)


class BadArgument(Exception):
    """An argument a formula cannot use; the message tells the biller what to change."""


def shown_in_cell(func):
    """Turn a BadArgument into ``#AUTHBOOK: message`` and any other failure into a short
    ``#AUTHBOOK: internal error`` text: a cell never shows a traceback."""

    @functools.wraps(func)
    def wrapper(*args):
        try:
            return func(*args)
        except BadArgument as exc:
            return ERROR + str(exc)
        except Exception as exc:  # a bug, not bad input: say so plainly, in the cell
            return f"{ERROR}internal error ({type(exc).__name__}); please report it"

    return wrapper


# --- arguments ----------------------------------------------------------------------------


def _rows_2d(value, what: str) -> list[list[object]]:
    """A table argument as a list of rows (xlwings passes a 2-D list; a lone cell or a single
    row is accepted too)."""
    if value is None or value == "":
        raise BadArgument(f"the {what} argument is empty; pass {what}[#All]")
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        return [list(value)]
    if isinstance(value, list) and all(isinstance(row, list) for row in value[:1]):
        return value  # as xlwings passes it: no copy (tables can be large)
    return [list(row) for row in value]


def _sheet_read(spec: schema.Sheet, rows: list[list[object]]) -> SheetRead:
    """A table argument as the file adapters would read it: header row first, then every
    non-empty row, numbered as sheet rows when the table starts in row 1."""
    headers = ["" if h is None else str(h).strip() for h in rows[0]]
    body = [
        RowRead(row, values)
        for row, values in enumerate(rows[1:], start=2)
        if any(v is not None and v != "" for v in values)
    ]
    read = SheetRead(name=spec.name, headers=headers, rows=body)
    if not schema.map_headers(spec, headers):
        raise BadArgument(
            f"the {spec.name} argument has none of the {spec.name} headers; "
            f"pass {spec.table}[#All] (the whole table with its header row)"
        )
    return read


def _text(value, what: str, required: bool = True) -> str | None:
    text, error = parse_text(value)
    if error:
        raise BadArgument(f"{what}: {error}")
    if text is None and required:
        raise BadArgument(f"{what} is empty")
    return text


def _date(value, what: str = "service date", required: bool = True) -> date | None:
    day, error = parse_date(value)
    if error:
        raise BadArgument(f"{what}: {error}")
    if day is None and required:
        raise BadArgument(f"{what} is empty")
    return day


# --- the cache ----------------------------------------------------------------------------


class ContentCache:
    """A small LRU cache whose keys are table arguments compared by content.

    Lookup goes by a cheap pre-key (sizes and a few sample rows), then the stored tables are
    compared with the given ones in full, so a change in any cell is a miss. Stored tables are
    copies: later changes to the caller's lists cannot leak in.
    """

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self.entries: OrderedDict[tuple, tuple[tuple, object]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _pre_key(tables: tuple) -> tuple:
        key = []
        for table in tables:
            if isinstance(table, list) and table and isinstance(table[0], list):
                picks = {0, len(table) // 3, len(table) // 2, len(table) - 1}
                key.append((len(table), tuple(tuple(table[i]) for i in sorted(picks))))
            else:
                key.append(table)
        return tuple(key)

    def get(self, tables: tuple, compute):
        """The value computed for ``tables`` (from the cache, or ``compute()`` stored)."""
        pre_key = self._pre_key(tables)
        found = self.entries.get(pre_key)
        if found is not None and found[0] == tables:
            self.entries.move_to_end(pre_key)
            self.hits += 1
            return found[1]
        self.misses += 1
        value = compute()
        stored = tuple(
            [list(r) for r in t] if isinstance(t, list) and t and isinstance(t[0], list) else t
            for t in tables
        )
        self.entries[pre_key] = (stored, value)
        self.entries.move_to_end(pre_key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self.entries.clear()
        self.hits = self.misses = 0


_computed_books = ContentCache()
_code_lists = ContentCache(size=16)


@dataclass(frozen=True)
class Computed:
    """Auths and Notes tables run through the refresh rules, indexed for the formulas."""

    result: Refreshed
    problems: list[Problem]
    sheets: dict[str, SheetRead]
    by_number: dict[str, AuthStatus]
    by_client: dict[str, list[Auth]]
    index: AuthIndex
    by_row: dict[int, AuthStatus]


def _compute(auths, notes, clients=None, as_of: date | None = None) -> Computed:
    auth_rows = _rows_2d(auths, "Auths")
    note_rows = _rows_2d(notes, "Notes")
    client_rows = _rows_2d(clients, "Clients") if clients not in (None, "") else None
    day = as_of or date.today()

    def run() -> Computed:
        sheets = {
            schema.AUTHS.name: _sheet_read(schema.AUTHS, auth_rows),
            schema.NOTES.name: _sheet_read(schema.NOTES, note_rows),
        }
        if client_rows is not None:
            sheets[schema.CLIENTS.name] = _sheet_read(schema.CLIENTS, client_rows)
        raw, structure = rawbook.raw_book(sheets, required=(schema.AUTHS.name, schema.NOTES.name))
        result = refresh(raw, today=day, as_of=day)
        by_number: dict[str, AuthStatus] = {}
        for status in result.auths:
            if status.auth_no:
                by_number.setdefault(name_key(status.auth_no), status)
        by_client: dict[str, list[Auth]] = {}
        for auth in result.book.auths:
            by_client.setdefault(name_key(auth.client_id), []).append(auth)
        index = AuthIndex(result.book.auths)
        problems = rawbook.with_structure(raw, structure, result.problems)
        by_row = {status.source.row: status for status in result.auths}
        return Computed(result, problems, sheets, by_number, by_client, index, by_row)

    return _computed_books.get((auth_rows, note_rows, client_rows, day), run)


def _status(computed: Computed, auth_no, code=None) -> AuthStatus:
    """The status of the line an Auth # (and billing code) names, by the rule a pinned note
    follows (``units.line_of_number``): one number may be on several code lines."""
    number = _text(auth_no, "Auth #")
    billing_code = _text(code, "billing code", required=False)
    line, why = line_of_number(computed.index, number, billing_code)
    if line is not None:
        return computed.by_row[line.source.row]
    # a row that could not be read has a status, but no line: it says why
    status = None if computed.index.for_number(number) else computed.by_number.get(name_key(number))
    if status is None or billing_code:
        raise BadArgument(f"{why} in the Auths table")
    return status


def _units(computed: Computed, status: AuthStatus, value: int | None):
    if status.active is None:  # the row could not be read: say which cell and why
        problem = next(p for p in computed.problems if p.source == status.source)
        raise BadArgument(records.describe_problem(problem, computed.sheets, in_workbook=True))
    return UNMANAGED if value is None else value


def _day_text(day: date) -> str:
    return f"{day:%m/%d/%Y}"


# --- the functions ------------------------------------------------------------------------


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("auths", ndim=2, doc=AUTHS_DOC)
@xw.arg("notes", ndim=2, doc=NOTES_DOC)
@xw.arg("client_id", doc=CLIENT_DOC)
@xw.arg("service_date", doc=DATE_DOC)
@xw.arg("provider", doc=PROVIDER_DOC)
@xw.arg("auth_no", doc="Optional: the Auth # typed on the note; only its lines count")
@shown_in_cell
def AB_ELIGIBLE_CODES(auths, notes, client_id, service_date, provider=None, auth_no=None):
    """Billing codes a client may be billed for on a date: one per row, the Default auth's
    code first. Counts units already used and pending. Shows NO AUTH when none is left."""
    client = _text(client_id, "Client ID")
    day = _date(service_date)
    who = _text(provider, "provider", required=False)
    number = _text(auth_no, "Auth #", required=False)
    computed = _compute(auths, notes)
    own = computed.by_client.get(name_key(client), [])
    codes = eligible_codes(own, computed.result.ledger, client, day, who, auth_no=number)
    if not codes:
        return f"NO AUTH: no code is authorized for {client} on {_day_text(day)}"
    return [[code] for code in codes]


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("auths", ndim=2, doc=AUTHS_DOC)
@xw.arg("notes", ndim=2, doc=NOTES_DOC)
@xw.arg("auth_no", doc=AUTH_NO_DOC)
@xw.arg("code", doc=CODE_OF_NUMBER_DOC)
@shown_in_cell
def AB_REMAINING(auths, notes, auth_no, code=None):
    """Remaining units of an auth: Allotted - Prior Units Used - units on Released notes.
    UNMANAGED for auths without a unit limit."""
    computed = _compute(auths, notes)
    status = _status(computed, auth_no, code)
    return _units(computed, status, status.remaining_units)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("auths", ndim=2, doc=AUTHS_DOC)
@xw.arg("notes", ndim=2, doc=NOTES_DOC)
@xw.arg("auth_no", doc=AUTH_NO_DOC)
@xw.arg("code", doc=CODE_OF_NUMBER_DOC)
@shown_in_cell
def AB_AVAILABLE(auths, notes, auth_no, code=None):
    """Units an auth can still give a new note: Remaining minus units on Pending notes.
    UNMANAGED for auths without a unit limit."""
    computed = _compute(auths, notes)
    status = _status(computed, auth_no, code)
    return _units(computed, status, status.available_units)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("auths", ndim=2, doc=AUTHS_DOC)
@xw.arg("notes", ndim=2, doc=NOTES_DOC)
@xw.arg("client_id", doc=CLIENT_DOC)
@xw.arg("code", doc="The billing code of the session, e.g. 90834")
@xw.arg("service_date", doc=DATE_DOC)
@xw.arg("provider", doc=PROVIDER_DOC)
@xw.arg("auth_no", doc="Optional: the Auth # typed on the note; only its lines count")
@shown_in_cell
def AB_AUTH_FOR(auths, notes, client_id, code, service_date, provider=None, auth_no=None):
    """The Auth # a new 1-unit note for this client, code and date would draw from; or why
    the payer would deny it (NO AUTH, OUTSIDE DATES, OVER UNITS, AUTH # DOES NOT FIT...)."""
    client = _text(client_id, "Client ID")
    billing_code = _text(code, "billing code")
    day = _date(service_date)
    who = _text(provider, "provider", required=False)
    number = _text(auth_no, "Auth #", required=False)
    computed = _compute(auths, notes)
    ledger = computed.result.ledger
    own = computed.index.for_client_code(client, billing_code)
    if number:  # a pinned note: the lines of its number that fit (rules.units.pinned_lines)
        lines = computed.index.for_number(number)
        own = pinned_lines(lines, client, billing_code, day, who)
    serving = serving_auths(own, ledger, client, day, who)
    if serving:
        return serving[0].key
    note = Note(
        source=Source(sheet=schema.NOTES.name, row=0),
        client_id=client,
        service_date=day,
        provider=who,
        billing_code=billing_code,
        units=1,
        status="Pending",
        auth_no=number,
    )
    candidates = [a for a in own if can_serve(a, client, billing_code, day, who)]
    if number and not lines:
        draw = Draw(note, None, "pin_unknown")
    elif number and not candidates:
        detail = pinned_choice(lines, client, billing_code)
        draw = Draw(note, None, "pin_mismatch", detail=detail)
        mine = [a.billing_code for a in lines if name_key(a.client_id) == name_key(client)]
        key = (name_key(client), name_key(number))
        return check_draw(draw, CheckContext(codes_of_number={key: list(dict.fromkeys(mine))}))
    elif candidates:
        auth, _ = pick_auth(candidates, ledger, 1)
        draw = Draw(note, auth, "over", available_before=ledger.available(auth))
    else:
        reason, detail = why_not(own, day, who)
        draw = Draw(note, None, reason, detail=detail)
    return check_draw(draw)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("auths", ndim=2, doc=AUTHS_DOC)
@xw.arg("notes", ndim=2, doc=NOTES_DOC)
@xw.arg("auth_no", doc=AUTH_NO_DOC)
@xw.arg("as_of", doc="Optional: the date to judge alerts on (blank = the day it last recalculated)")
@xw.arg("clients", ndim=2, doc="Optional: Clients[#All], so inactive clients' auths do not alert")
@xw.arg("code", doc=CODE_OF_NUMBER_DOC)
@shown_in_cell
def AB_STATUS(auths, notes, auth_no, as_of=None, clients=None, code=None):
    """The Alert of an auth, as a refresh writes it (LOW, EXHAUSTED, EXPIRING, EXPIRED,
    OVER); empty when all is well."""
    day = _date(as_of, "as-of date", required=False)
    return _status(_compute(auths, notes, clients, day), auth_no, code).alert


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("billing_codes", ndim=2, doc=CODES_DOC)
@xw.arg("code", doc="The billing code, e.g. 90834")
@xw.arg("units", doc="How many units the session bills (blank = 1)")
@xw.arg("sliding_pct", doc="Optional: the client's share in percent, 0-100 (blank = 100)")
@shown_in_cell
def AB_CHARGE(billing_codes, code, units=None, sliding_pct=None):
    """The charge of a session: the code's Rate x units x sliding scale %, rounded to cents,
    as the Notes sheet's Charge column shows it."""
    billing_code = _text(code, "billing code")
    codes = _code_records(billing_codes)
    result = refresh(_one_session(codes, billing_code, units, sliding_pct), today=_SESSION_DAY)
    for problem in result.problems:
        if problem.source.sheet != schema.BILLING_CODES.name:
            field = {"units": "units", "sliding_scale_pct": "sliding %"}.get(problem.field, "")
            raise BadArgument(f"{field}: {problem.message}".lstrip(": "))
    charge = result.notes[0].charge
    if charge is None:
        raise BadArgument(f"{billing_code} has no Rate on the BillingCodes table")
    return charge


_SESSION_DAY = date(2000, 1, 3)
_SESSION_CLIENT = "AB_CHARGE"


def _code_records(billing_codes) -> tuple[RawRecord, ...]:
    rows = _rows_2d(billing_codes, "BillingCodes")

    def run() -> tuple[RawRecord, ...]:
        read = _sheet_read(schema.BILLING_CODES, rows)
        return tuple(rawbook.raw_records(schema.BILLING_CODES, read))

    return _code_lists.get((rows,), run)


def _one_session(codes, billing_code: str, units, sliding_pct) -> RawBook:
    """A one-note book: the note bills ``units`` of the code; with a sliding scale, an
    unmanaged auth carrying the percentage serves it. The refresh rules price it."""

    def row(sheet: str, values: dict) -> RawRecord:
        return RawRecord(source=Source(sheet=sheet, row=2), values=values)

    session = {
        "client_id": _SESSION_CLIENT,
        "service_date": _SESSION_DAY,
        "billing_code": billing_code,
        "units": units,
        "status": "Pending",
    }
    auths = ()
    if sliding_pct not in (None, ""):
        auths = (
            row(
                schema.AUTHS.name,
                {
                    "auth_no": "AB_CHARGE",
                    "client_id": _SESSION_CLIENT,
                    "billing_code": billing_code,
                    "start_date": _SESSION_DAY,
                    "end_date": _SESSION_DAY,
                    "unmanaged": "Y",
                    "sliding_scale_pct": sliding_pct,
                },
            ),
        )
    return RawBook(billing_codes=codes, auths=auths, notes=(row(schema.NOTES.name, session),))
