"""Bulk add and bulk update (issue 3; seed 001, "Bulk Add or Update"): many Auths rows changed
in one step, each changed cell logged, then one refresh and one save.

Each use case is one function, read top to bottom; the command line (``cli_bulk``) and the
ribbon (``functions.ribbon``) gather its input their own way (text through
``services.bulkinput``), call it, and show the ``BulkResult`` it returns:

``bulk_update_store(store, selection, sets, ...)`` and
``bulk_add_store(store, selection, code_group, values, ...)``

1. read: the input sheets and the raw book they make (``read_for_bulk``);
2. compute: the rows the selection takes (``Visible``, ``Matching``, ``Picked``,
   ``Listed``: ``select_auths`` / ``select_clients``), then the plan (``rules.bulk``, which
   refuses the whole action on any problem);
3. ask: ``confirm(result)``, where the shell shows what would change and asks;
4. plan writes and save (``apply_plan``): the Auths cells, Last Edited stamps and AuditLog rows
   of ``plan_writes``, then ``services.refresh.apply_and_refresh``.

Where it stops short of a save is ``result.stop`` (a ``Stop``); each shell words it. The
``_file`` functions do the same on a workbook file, under its lock.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path

from authbook.modelbase import dataclass
from authbook.models import Problem
from authbook.parallel.collector import many_objects
from authbook.rules import bulk
from authbook.rules.audit import audit_entries
from authbook.rules.values import parse_date
from authbook.services.audit import audit_write, current_user
from authbook.services.refresh import Computed, apply_and_refresh
from authbook.workbook import changes, rawbook, records, schema
from authbook.workbook.privacy import may_show
from authbook.workbook.sheetdata import SheetRead, SheetWrite
from authbook.workbook.xlsxfile import FastWorkbookFile, RefreshLock

# --- what the shells ask for ------------------------------------------------------------------


@dataclass(frozen=True)
class Visible:
    """The rows of the sheet that the workbook does not hide (by a filter, or by hand: a file
    does not say why a row is hidden).

    On a sheet with nothing hidden every row is visible and taken; when no filter is saved
    either, that is allowed only if ``unfiltered_ok`` (the user sees the count before the
    write). ``unknown``: the sheets whose hidden rows the store could not read, filled as it
    reads (``LiveWorkbook.hidden_rows_unknown``); visible rows of such a sheet are refused.
    """

    unfiltered_ok: bool = True
    unknown: Collection[str] = ()


@dataclass(frozen=True)
class Matching:
    """The rows every condition (``rules.bulk.Where``) accepts."""

    wheres: tuple[bulk.Where, ...]


@dataclass(frozen=True)
class Picked:
    """The sheet rows the user selected (a selection in Excel), hidden ones left out."""

    rows: tuple[int, ...]


@dataclass(frozen=True)
class Listed:
    """Clients named by Client ID, as typed (a bulk add)."""

    ids: tuple[str, ...]


Selection = Visible | Matching | Picked | Listed


# --- what they are told -----------------------------------------------------------------------


class Stop(enum.Enum):
    """Why a bulk action wrote nothing (``BulkResult.stop``)."""

    HIDDEN_UNKNOWN = "the store cannot tell which rows are hidden"
    UNFILTERED = "nothing is filtered, and every row would be taken without a question"
    UNREADABLE_WHERE = "a condition's value cannot be read (``where_errors``)"
    NOTHING_SELECTED = "the selection takes no row"
    REFUSED = "the plan has problems (``problems``)"
    NOTHING_TO_CHANGE = "every selected row already holds the values"
    NOT_CONFIRMED = "the user did not confirm"


@dataclass(frozen=True)
class Refusal:
    """A problem that stops a plan, placed: ``column`` is the header of its column (or the
    field's name; None when it names none); ``on_input`` when it is about a value given (not
    a cell), ``new_row`` when it is on a row a bulk add would add; ``described`` is the line
    naming its cell (``workbook.records.describe_problem``; None for a value given)."""

    sheet: str
    row: int
    column: str | None
    message: str
    on_input: bool
    new_row: bool
    described: str | None


@dataclass(frozen=True)
class Edit:
    """One cell a bulk update changes, as a preview may show it: ``old_shown`` /
    ``new_shown`` say whether the value may be printed (``workbook.privacy``); ``only_new``
    for a text column, whose old text may be a name."""

    row: int
    auth_no: str | None
    client_id: str | None
    header: str
    old: object
    new: object
    only_new: bool
    old_shown: bool
    new_shown: bool


@dataclass
class BulkResult:
    """What a bulk action did or would do.

    ``stop``: None when it was written and saved (``computed``: the refreshed workbook).
    ``rows`` (update) / ``client_ids`` (add): what the selection took. ``every_row_visible``:
    a ``Visible`` selection of a sheet with nothing hidden took all these rows (said before
    the question). ``plan``: the ``rules.bulk.BulkPlan``, once made.
    """

    action: str
    sets: tuple[str, ...] = ()
    stop: Stop | None = None
    rows: list[int] = field(default_factory=list)
    client_ids: list[str] = field(default_factory=list)
    every_row_visible: int | None = None
    where_errors: list[str] = field(default_factory=list)
    plan: bulk.BulkPlan | None = None
    problems: list[Refusal] = field(default_factory=list)
    computed: Computed | None = None

    @property
    def changed_rows(self) -> list[int]:
        """The rows with at least one changed cell, in order."""
        return self.plan.changed_rows if self.plan else []

    @property
    def cells(self) -> int:
        """How many input cells change (each logged to the AuditLog)."""
        return len(self.plan.changes) if self.plan else 0

    @property
    def set_headers(self) -> list[str]:
        """The headers of the columns a bulk update sets, in the order given."""
        return [schema.AUTHS.column(f).header for f in self.sets]

    @property
    def added(self) -> int:
        """How many auths a bulk add adds."""
        return len(self.plan.rows) if self.plan else 0

    @property
    def added_clients(self) -> int:
        """How many clients a bulk add adds auths for."""
        return len({c.client_id for c in self.plan.changes}) if self.plan else 0

    @cached_property
    def new_rows(self) -> dict[int, dict[str, object]]:
        """A bulk add's new rows: Auths row -> field -> value."""
        by_row: dict[int, dict[str, object]] = {}
        for change in self.plan.changes:
            by_row.setdefault(change.source.row, {})[change.field] = change.new
        return by_row

    @cached_property
    def _changes_by_row(self) -> dict[int, list]:
        by_row: dict[int, list] = {}
        for change in self.plan.changes:
            by_row.setdefault(change.source.row, []).append(change)
        return by_row

    def edits(self, row: int) -> list[Edit]:
        """The cells a bulk update changes on ``row``, in the order set."""
        return [_edit(change) for change in self._changes_by_row.get(row, [])]

    def date_moves(self) -> dict[str, dict[str, int]]:
        """Header -> how many of the date cells set move "later", "earlier", were "blank
        before" or are "cleared": a date set on many rows may extend most and shorten some."""
        moves: dict[str, dict[str, int]] = {}
        for change in self.plan.changes:
            column = schema.AUTHS.by_field.get(change.field)
            if column is None or column.kind != "date":
                continue
            old, _ = parse_date(change.old)
            new, _ = parse_date(change.new)
            if old is None or new is None:
                kind = "blank before" if old is None else "cleared"
            else:
                kind = "later" if new > old else "earlier"
            counts = moves.setdefault(column.header, {})
            counts[kind] = counts.get(kind, 0) + 1
        return moves


def _edit(change) -> Edit:
    column = schema.AUTHS.column(change.field)

    def shown(value: object) -> bool:
        return may_show(column.kind, column.sensitive, value, column.choices)

    return Edit(
        row=change.source.row,
        auth_no=change.auth_no,
        client_id=change.client_id,
        header=column.header,
        old=change.old,
        new=change.new,
        only_new=column.kind == "text" and not column.sensitive,
        old_shown=shown(change.old),
        new_shown=shown(change.new),
    )


Confirm = Callable[[BulkResult], bool]


# --- the use cases ----------------------------------------------------------------------------


def bulk_update_store(
    store,
    selection: Visible | Matching | Picked,
    sets: dict[str, object],
    user: str | None,
    today: date,
    as_of: date | None = None,
    confirm: Confirm | None = None,
) -> BulkResult:
    """Set ``sets`` (Auths field -> value as typed; "" clears) on the Auths rows ``selection``
    takes, after ``confirm(result)`` says yes (no ``confirm``: without asking); log each
    changed cell, stamp Last Edited, refresh and save."""
    result = BulkResult(action="bulk update", sets=tuple(sets))
    sheets, raw = read_for_bulk(store)  # read
    result.rows = select_auths(sheets, raw, selection, result)  # compute
    if result.stop:
        return result
    user = current_user(user)
    result.plan = bulk.plan_bulk_update(raw, result.rows, sets, user, today)
    if result.plan.ok and not result.plan.changes:
        result.stop = Stop.NOTHING_TO_CHANGE
        return result
    return _asked_and_applied(store, sheets, result, user, today, as_of, confirm)


def bulk_add_store(
    store,
    selection: Selection,
    code_group: str,
    values: dict[str, object],
    user: str | None,
    today: date,
    as_of: date | None = None,
    confirm: Confirm | None = None,
) -> BulkResult:
    """Add one auth per billing code of the CodeGroups group ``code_group`` to each client
    ``selection`` takes (``values``: the other fields, as typed; ``rules.bulk.ADD_FIELDS``),
    on new rows below the Auths sheet's last one, after ``confirm(result)`` says yes; log
    each new cell, refresh and save."""
    result = BulkResult(action="bulk add")
    sheets, raw = read_for_bulk(store)  # read
    result.client_ids = select_clients(sheets, raw, selection, result)  # compute
    if result.stop:
        return result
    user = current_user(user)
    first_row = records.first_new_row(sheets[schema.AUTHS.name])
    result.plan = bulk.plan_bulk_add(
        raw, code_group, result.client_ids, values, user, today, first_row=first_row
    )
    return _asked_and_applied(store, sheets, result, user, today, as_of, confirm)


def _asked_and_applied(store, sheets, result: BulkResult, user, today, as_of, confirm):
    """How both use cases end once planned: a plan the rules refuse is reported; else the
    user is asked (``confirm``) and, on yes, the plan is written and saved."""
    if not result.plan.ok:
        return _refused(result, sheets)
    if confirm is not None and not confirm(result):  # ask
        result.stop = Stop.NOT_CONFIRMED
        return result
    result.computed = apply_plan(store, sheets, result.plan, user, today, as_of)  # write, save
    return result


def bulk_update_file(
    path: Path | str,
    selection: Visible | Matching | Picked,
    sets: dict[str, object],
    user: str | None,
    today: date,
    as_of: date | None = None,
    confirm: Confirm | None = None,
) -> BulkResult:
    """``bulk_update_store`` on a workbook file: atomic save, ``.bak`` kept, concurrent runs
    refused."""
    return _on_file(path, bulk_update_store, selection, sets, user, today, as_of, confirm)


def bulk_add_file(
    path: Path | str,
    selection: Selection,
    code_group: str,
    values: dict[str, object],
    user: str | None,
    today: date,
    as_of: date | None = None,
    confirm: Confirm | None = None,
) -> BulkResult:
    """``bulk_add_store`` on a workbook file: atomic save, ``.bak`` kept, concurrent runs
    refused."""
    return _on_file(
        path, bulk_add_store, selection, code_group, values, user, today, as_of, confirm
    )


def _on_file(path: Path | str, use_case, *args) -> BulkResult:
    """``use_case(store, *args)`` on the workbook file ``path``, holding its lock."""
    path = Path(path)
    with RefreshLock(path), many_objects():  # (no collector runs over the rows read)
        return use_case(FastWorkbookFile(path), *args)


# --- read and select --------------------------------------------------------------------------


def read_for_bulk(store) -> tuple[dict[str, SheetRead], object]:
    """The input sheets of ``store`` (not those a refresh rebuilds) and the raw book they
    make: (sheets, raw)."""
    sheets = store.read_sheets([s.name for s in schema.INPUT_SHEETS])
    raw, _ = rawbook.raw_book(sheets)
    return sheets, raw


def select_auths(sheets, raw, selection, result: BulkResult) -> list[int]:
    """The Auths rows ``selection`` takes, in sheet order (setting ``result.stop`` when the
    selection cannot be used or takes none)."""
    listed = set(raw.auths.rows)  # (RawRows: no record made per row)
    return _selected(
        sheets, schema.AUTHS, selection, result,
        lambda wheres: bulk.select_auth_rows(raw, wheres),
        lambda shown: [r for r in shown if r in listed],
    )  # fmt: skip


def select_clients(sheets, raw, selection, result: BulkResult) -> list[str]:
    """The Client IDs ``selection`` takes: as listed, or of the Clients rows it takes, in
    sheet order (setting ``result.stop`` when the selection cannot be used or takes none)."""
    if isinstance(selection, Listed):
        return _taken(list(selection.ids), result)
    return _selected(
        sheets, schema.CLIENTS, selection, result,
        lambda wheres: bulk.select_client_ids(raw, wheres),
        lambda shown: bulk.client_ids_of_rows(raw, shown),
    )  # fmt: skip


def _selected(sheets, spec: schema.Sheet, selection, result: BulkResult, matching, of_shown):
    """What a ``Matching`` selection takes (``matching(wheres)``: what it finds and the
    conditions it could not read), or what the rows of ``spec``'s sheet a ``Visible`` or
    ``Picked`` one takes give (``of_shown(rows)``); setting ``result.stop`` when the
    selection cannot be used or takes nothing."""
    if isinstance(selection, Matching):
        found, result.where_errors = matching(list(selection.wheres))
        if result.where_errors:
            result.stop = Stop.UNREADABLE_WHERE
            return []
        return _taken(found, result)
    shown = _shown_rows(sheets, spec, selection, result)
    if result.stop:
        return []
    return _taken(of_shown(shown), result)


def _taken(found: list, result: BulkResult) -> list:
    """``found``, noting in ``result`` when it is empty (nothing selected)."""
    if not found:
        result.stop = Stop.NOTHING_SELECTED
    return found


def _shown_rows(sheets, spec: schema.Sheet, selection, result: BulkResult) -> list[int]:
    """The rows of ``spec``'s sheet a ``Visible`` or ``Picked`` selection takes."""
    read = sheets[spec.name]
    if isinstance(selection, Picked):
        return [r for r in selection.rows if r not in read.hidden_rows]
    if spec.name in selection.unknown:
        result.stop = Stop.HIDDEN_UNKNOWN
        return []
    rows = changes.visible_rows(read)
    if not read.hidden_rows:
        if not selection.unfiltered_ok and read.filter_ref is None:
            result.stop = Stop.UNFILTERED
            return []
        result.every_row_visible = len(rows)
    return rows


def _refused(result: BulkResult, sheets: dict[str, SheetRead]) -> BulkResult:
    result.stop = Stop.REFUSED
    plan = result.plan
    added = set(plan.rows) if plan.action == "bulk add" else set()
    result.problems = [_refusal(p, sheets, added) for p in plan.problems]
    return result


def _refusal(problem: Problem, sheets, added: set[int]) -> Refusal:
    spec = schema.BY_NAME.get(problem.source.sheet)
    column = spec.by_field.get(problem.field) if spec and problem.field else None
    on_input = problem.source.row == 1  # an option's value, not a cell
    return Refusal(
        sheet=problem.source.sheet,
        row=problem.source.row,
        column=column.header if column else problem.field,
        message=problem.message,
        on_input=on_input,
        new_row=problem.source.row in added,
        described=None if on_input else records.describe_problem(problem, sheets),
    )


# --- plan writes and save ---------------------------------------------------------------------


def plan_writes(sheets: dict[str, SheetRead], plan, user: str, now: datetime):
    """The SheetWrites of a ``authbook.rules.bulk.BulkPlan``: its Auths cells, its Last Edited
    stamps, and one AuditLog row per changed cell."""

    rows: dict[int, dict[str, object]] = {}
    for change in (*plan.changes, *plan.stamps):
        rows.setdefault(change.source.row, {})[change.field] = change.new
    auths = sheets[schema.AUTHS.name]
    stamps = frozenset(c.field for c in plan.stamps)
    return {
        schema.AUTHS.name: changes.field_cells(schema.AUTHS, auths, rows, optional=stamps),
        schema.AUDIT_LOG.name: audit_write(
            sheets, audit_entries(plan.changes, plan.action, user, now)
        ),
    }


def apply_plan(
    store,
    sheets: dict[str, SheetRead],
    plan,
    user: str,
    today: date,
    as_of: date | None = None,
    now: datetime | None = None,
) -> Computed:
    """Write an accepted plan and refresh, in one save; the AuditLog rows (the plan's and the
    new Auth #s') are stamped ``now`` (default: now). Returns the refreshed Computed."""
    now = now or datetime.now().replace(microsecond=0)
    writes: dict[str, SheetWrite] = plan_writes(sheets, plan, user, now)
    return apply_and_refresh(store, sheets, writes, today, as_of, user, now)
