"""What the AuthBook ribbon buttons do: one function per button, run by xlwings' RunPython.

Each button's VBA Sub (``macros/AuthBook.bas``) runs, for example,
``import authbook.functions.ribbon as ab; ab.refresh()``. The function finds the workbook
that called it (``xw.Book.caller()``), wraps it in the live-Excel adapter
(``authbook.workbook.live.LiveWorkbook``) and calls the same ``authbook.services`` functions as
the ``authbook`` command, so a button gives exactly what ``authbook refresh`` gives on the saved
file. Nothing is saved: the changes are in the open workbook; save it as usual.

Tests and scripts pass ``book`` (an ``xw.Book`` or a stand-in) instead of using the caller.
Besides the adapter's calls, the ribbon uses ``book.app.alert(text, title, buttons)`` for
messages and confirmations, ``book.app.selection`` (``.sheet.name``, ``.row``, ``.address``),
``book.app.calculation`` and ``book.app.screen_updating`` (a button runs with calculation manual
and screen updating off, restored however it ends) and ``book.sheets[name].activate()``.

Bulk actions take their input from a sheet named "AuthBook Form", which the first click of
either button creates and shows: one row per Auths column (plus "Code Group"), a column
"Update Visible" and a column "Add to Selected"; the user fills in only the fields to set
(blank = unchanged). *Update Visible* changes the Auths rows the AutoFilter shows;
*Add to Selected* adds the code group's auths for the selected (visible) Clients rows. Both
show what they will do and change nothing unless the user clicks OK; then the changes are
written, logged on the AuditLog sheet and the workbook is refreshed, exactly as
``authbook bulk-update --visible`` and ``authbook bulk-add`` do on a file.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
from collections.abc import Callable
from datetime import date

import xlwings as xw

from authbook.services import bulk, eligibility
from authbook.services import refresh as refreshing
from authbook.services.bulkinput import auth_field
from authbook.services.report import summary
from authbook.workbook import schema
from authbook.workbook.live import LiveWorkbook, LiveWorkbookError
from authbook.workbook.rawbook import NotAnAuthBook
from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.xlsxfile import WorkbookError

TITLE = "AuthBook"
FORM_SHEET = "AuthBook Form"
#: How many notes a message lists before saying "and N more".
LISTED = 12


def today() -> date:
    return date.today()


def _book(book):
    return book if book is not None else xw.Book.caller()


def tell(book, message: str, buttons: str = "ok") -> str | None:
    """Show a message box in Excel; returns the button pressed ("ok", "cancel", "yes"...)."""
    return book.app.alert(message, title=TITLE, buttons=buttons)


@contextlib.contextmanager
def quiet_excel(book):
    """Calculation manual and screen updating off while a button reads and writes, so the
    writes do not recalculate every formula one by one; both are put back however it ends
    (Excel then recalculates once). The add-in's VBA does the same around RunPython."""
    app = book.app
    calculation, updating = app.calculation, app.screen_updating
    app.screen_updating = False
    app.calculation = "manual"
    try:
        yield
    finally:
        app.calculation = calculation
        app.screen_updating = updating


_AREA = re.compile(r"^\$?[A-Z]{0,3}\$?(\d+)(?::\$?[A-Z]{0,3}\$?(\d+))?$")


def selected_rows(selection) -> list[int] | None:
    """Every row of a selection, all its areas (a Ctrl-click selection has several), in order;
    None when an area has no row numbers (whole columns)."""
    rows: set[int] = set()
    for area in str(selection.address).split(","):
        found = _AREA.match(area.strip())
        if found is None:
            return None
        first = int(found.group(1))
        rows.update(range(first, int(found.group(2) or first) + 1))
    return sorted(rows)


def button(func):
    """Run a button's function; problems the user can fix become a message box, and a bug
    becomes a short message too (set AUTHBOOK_DEBUG=1 to get the traceback from xlwings)."""

    @functools.wraps(func)
    def wrapper(book=None):
        book = _book(book)
        try:
            with quiet_excel(book):
                return func(book)
        except (WorkbookError, NotAnAuthBook, LiveWorkbookError) as exc:
            tell(book, str(exc))
        except Exception as exc:
            if os.environ.get("AUTHBOOK_DEBUG"):
                raise
            tell(
                book,
                f"AuthBook hit an internal error ({type(exc).__name__}); the workbook may be "
                "partly refreshed: click Refresh again. Set AUTHBOOK_DEBUG=1 for details "
                "and report it.",
            )
        return None

    return wrapper


@button
def refresh(book=None):
    """Refresh: recompute units, Active, alerts, checks, Problems (as ``authbook refresh``)."""
    computed = refreshing.refresh_store(LiveWorkbook(book), today())
    tell(book, "Refreshed.\n\n" + summary(computed))
    return computed


@button
def show_alerts(book=None):
    """Show Alerts: refresh, then open the Alerts sheet and say how many of each kind."""
    computed = refreshing.refresh_store(LiveWorkbook(book), today())
    book.sheets[schema.ALERTS.name].activate()
    alerts = computed.result.alerts
    kinds: dict[str, int] = {}
    for alert in alerts:
        kinds[alert.kind] = kinds.get(alert.kind, 0) + 1
    counts = ", ".join(f"{kind} {count}" for kind, count in kinds.items())
    tell(
        book,
        f"{len(alerts)} alerts as of {computed.result.as_of:%m/%d/%Y}"
        + (f": {counts}" if counts else ""),
    )
    return computed


@button
def check_notes(book=None):
    """Check Notes: refresh (which writes each note's Check and the Checks sheet, as
    ``authbook check`` lists them), open the Checks sheet and list the denials by row."""
    computed = refreshing.refresh_store(LiveWorkbook(book), today())
    findings = computed.result.findings
    denials = [f for f in findings if f.denies]
    rows = sorted({f.source.row for f in denials})
    lines = [f"row {f.source.row}: {f.text}" for f in denials[:LISTED]]
    if len(denials) > LISTED:
        lines.append(f"... and {len(denials) - LISTED} more (see the Checks sheet)")
    warnings = len(findings) - len(denials)
    head = (
        f"{len(rows)} notes would be denied"
        if rows
        else "No Pending or Released note would be denied"
    )
    if warnings:
        head += f" ({warnings} warnings more on the Checks sheet)"
    book.sheets[schema.CHECKS.name].activate()
    tell(book, head + (":\n\n" + "\n".join(lines) if lines else "."))
    return computed


@button
def eligible_for_selection(book=None):
    """Eligible Codes: for the selected Notes row, the billing codes an auth covers for its
    client, date and provider (the note's own units not counted against it)."""
    selection = book.app.selection
    if selection is None or selection.sheet.name != schema.NOTES.name:
        tell(book, "Select a row on the Notes sheet first.")
        return None
    computed = refreshing.compute(LiveWorkbook(book), today())
    row = selection.row
    facts = eligibility.note_row_facts(computed, row)
    if facts is None:
        tell(book, f"Notes row {row} needs a Client ID and a Service Date first.")
        return None
    client, day, provider, _ = facts
    codes = eligibility.codes_for_note_row(computed, row, facts)
    who = f"{client} on {day:%m/%d/%Y}" + (f" with {provider}" if provider else "")
    if not codes:
        tell(book, f"Notes row {row}: no auth covers {who} (a note would be denied).")
    else:
        tell(book, f"Notes row {row}: codes authorized for {who}:\n\n" + "\n".join(codes))
    return codes


# --- bulk actions: input from the AuthBook Form sheet --------------------------------------

UPDATE_COLUMN, ADD_COLUMN = "Update Visible", "Add to Selected"
CODE_GROUP = "Code Group"


def _has_bulk() -> bool:
    return importlib.util.find_spec("authbook.rules.bulk") is not None


def _needs_bulk(book, action: str) -> None:
    tell(
        book,
        f"{action} needs AuthBook's bulk module (authbook.rules.bulk), which this "
        "installation does not have yet. Edit the rows by hand and click Refresh, or update "
        "AuthBook.",
    )


def _form_rows() -> list[list[object]]:
    """The AuthBook Form sheet: one row per Auths column a bulk action can fill in."""
    # (only when the form is first made)
    from authbook.rules.bulk import ADD_FIELDS

    rows: list[list[object]] = [["Field", UPDATE_COLUMN, ADD_COLUMN, "Help"]]
    rows.append(
        [
            CODE_GROUP,
            None,
            None,
            "Add to Selected: the CodeGroups group whose codes each client gets",
        ]
    )
    for column in schema.AUTHS.columns:
        if column.computed or column.field in ("auth_no", "client_id"):
            continue
        adds = column.field in ADD_FIELDS
        rows.append(
            [
                column.header,
                None,
                None,
                "blank = unchanged" + ("; also used by Add to Selected" if adds else ""),
            ]
        )
    return rows


def _form(book, store: LiveWorkbook, which: str) -> dict[str, object] | None:
    """The values filled in the form's ``which`` column, by Auths field (and "code_group").

    The first time, creates the form, shows it and returns None."""
    read = store.read_sheets([FORM_SHEET]).get(FORM_SHEET)
    if read is None:
        bulk.read_for_bulk(store)  # an AuthBook workbook (else it says why): no form elsewhere
        store.apply({FORM_SHEET: SheetWrite(rows=_form_rows())})
        book.sheets[FORM_SHEET].activate()
        tell(
            book,
            f"Fill in the '{which}' column of the {FORM_SHEET} sheet (only the fields to set), "
            "then click the button again.",
        )
        return None
    position = {schema.header_key(h): i for i, h in enumerate(read.headers)}
    index = position.get(schema.header_key(which))
    if index is None:
        raise LiveWorkbookError(
            f"the {FORM_SHEET} sheet has no '{which}' column; delete the sheet and click again"
        )
    values: dict[str, object] = {}
    for row in read.rows:
        label, value = row.values[0], row.values[index] if index < len(row.values) else None
        if value is None or value == "":
            continue
        if schema.header_key(label) == schema.header_key(CODE_GROUP):
            values["code_group"] = value
            continue
        field = auth_field(label)
        if field is not None:
            values[field] = value
    return values


def _refusal(result) -> str:
    lines = []
    for problem in result.problems:
        if not problem.on_input:
            line = problem.described
        elif problem.column:
            line = f"{problem.column}: {problem.message}"
        else:
            line = problem.message
        if line not in lines:
            lines.append(line)
    return "Nothing was changed:\n\n" + "\n".join(lines[:LISTED])


def _applied(book, result, what: str):
    tell(
        book,
        f"{what}; {result.cells} changed cells logged on the AuditLog sheet.\n\n"
        + summary(result.computed),
    )
    return result.computed


def _asking(book, question) -> Callable[[bulk.BulkResult], bool]:
    """A ``confirm`` for the bulk services: ``question(result)`` in an OK/Cancel box."""
    return lambda result: tell(book, question(result), buttons="ok_cancel") == "ok"


@button
def bulk_update_visible(book=None):
    """Update Visible: set the fields filled in the 'Update Visible' column of the AuthBook
    Form sheet on every Auths row the filter shows, after a confirmation; then refresh."""
    if not _has_bulk():
        return _needs_bulk(book, "Bulk update")
    store = LiveWorkbook(book)
    sets = _form(book, store, UPDATE_COLUMN)
    if sets is None:
        return None
    sets.pop("code_group", None)
    if not sets:
        return tell(
            book,
            f"Fill in at least one value in the '{UPDATE_COLUMN}' column of the "
            f"{FORM_SHEET} sheet first.",
        )

    def question(result) -> str:
        return (
            f"Set {', '.join(result.set_headers)} on {len(result.changed_rows)} of the "
            f"{len(result.rows)} auths the filter shows ({result.cells} cells)?"
        )

    visible = bulk.Visible(unknown=store.hidden_rows_unknown)  # (filled as it reads)
    ask = _asking(book, question)
    result = bulk.bulk_update_store(store, visible, sets, None, today(), confirm=ask)
    if result.stop is bulk.Stop.HIDDEN_UNKNOWN:
        return tell(
            book,
            "AuthBook cannot see which rows the filter hides in this Excel "
            "(it needs Excel for Windows); use 'authbook bulk-update' instead.",
        )
    if result.stop is bulk.Stop.REFUSED:
        return tell(book, _refusal(result))
    if result.stop in (bulk.Stop.NOTHING_SELECTED, bulk.Stop.NOTHING_TO_CHANGE):
        return tell(book, "Nothing to change: every visible auth already holds these values.")
    if result.stop is bulk.Stop.NOT_CONFIRMED:
        return tell(book, "Nothing was changed.")
    return _applied(book, result, f"Updated {len(result.changed_rows)} auths")


@button
def bulk_add_selected(book=None):
    """Add to Selected: for each selected (visible) Clients row, in every area of a Ctrl-click
    selection, add one auth per code of the group named in the 'Add to Selected' column of the
    AuthBook Form sheet, with the values filled in there, after a confirmation; then refresh."""
    if not _has_bulk():
        return _needs_bulk(book, "Bulk add")
    selection = book.app.selection
    if selection is None or selection.sheet.name != schema.CLIENTS.name:
        return tell(book, "Select the clients' rows on the Clients sheet first.")
    store = LiveWorkbook(book)
    values = _form(book, store, ADD_COLUMN)
    if values is None:
        return None
    picked = selected_rows(selection)
    if picked is None:
        return tell(book, "Select the clients' rows on the Clients sheet (not whole columns).")
    group = values.pop("code_group", "")

    def question(result) -> str:
        rows = result.plan.rows
        return (
            f"Add {result.added} auths (code group '{group}') for {len(result.client_ids)} "
            f"clients, Auths rows {rows[0]}-{rows[-1]}?"
        )

    picked_rows = bulk.Picked(tuple(picked))
    ask = _asking(book, question)
    result = bulk.bulk_add_store(store, picked_rows, str(group), values, None, today(), confirm=ask)
    if result.stop is bulk.Stop.NOTHING_SELECTED:
        return tell(book, "The selection holds no client rows.")
    if result.stop is bulk.Stop.REFUSED:
        return tell(book, _refusal(result))
    if result.stop is bulk.Stop.NOT_CONFIRMED:
        return tell(book, "Nothing was changed.")
    return _applied(book, result, f"Added {result.added} auths")
