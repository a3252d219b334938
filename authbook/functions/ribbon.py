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
from datetime import date

import xlwings as xw

from authbook.services import bulk, eligibility
from authbook.services import refresh as refreshing
from authbook.services.audit import current_user
from authbook.services.report import summary
from authbook.workbook import records, schema
from authbook.workbook.live import LiveWorkbook, LiveWorkbookError
from authbook.workbook.records import NotAnAuthBook
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


def _form(book, store: LiveWorkbook, sheets, which: str) -> dict[str, object] | None:
    """The values filled in the form's ``which`` column, by Auths field (and "code_group").

    The first time, creates the form, shows it and returns None."""
    read = sheets.get(FORM_SHEET)
    if read is None:
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
        column = next(
            (
                c
                for c in schema.AUTHS.columns
                if schema.header_key(c.header) == schema.header_key(label)
            ),
            None,
        )
        if column is not None:
            values[column.field] = value
    return values


def _refusal(plan, sheets) -> str:
    lines = []
    for problem in plan.problems:
        line = (
            problem.message
            if problem.source.row == 1
            else records.describe_problem(problem, sheets)
        )
        if problem.source.row == 1 and problem.field:
            spec = schema.BY_NAME.get(problem.source.sheet)
            column = spec.by_field.get(problem.field) if spec else None
            line = f"{column.header if column else problem.field}: {line}"
        if line not in lines:
            lines.append(line)
    return "Nothing was changed:\n\n" + "\n".join(lines[:LISTED])


def _apply_plan(book, store, sheets, plan, user: str, what: str):
    computed = bulk.apply_plan(store, sheets, plan, user, today())
    tell(
        book,
        f"{what}; {len(plan.changes)} changed cells logged on the AuditLog sheet.\n\n"
        + summary(computed),
    )
    return computed


def _read_for_bulk(book):
    store = LiveWorkbook(book)
    sheets, raw = bulk.read_for_bulk(store, [s.name for s in schema.SHEETS] + [FORM_SHEET])
    return store, sheets, raw


@button
def bulk_update_visible(book=None):
    """Update Visible: set the fields filled in the 'Update Visible' column of the AuthBook
    Form sheet on every Auths row the filter shows, after a confirmation; then refresh."""
    if not _has_bulk():
        return _needs_bulk(book, "Bulk update")
    store, sheets, raw = _read_for_bulk(book)
    sets = _form(book, store, sheets, UPDATE_COLUMN)
    if sets is None:
        return None
    sets.pop("code_group", None)
    if not sets:
        return tell(
            book,
            f"Fill in at least one value in the '{UPDATE_COLUMN}' column of the "
            f"{FORM_SHEET} sheet first.",
        )
    if schema.AUTHS.name in store.hidden_rows_unknown:
        return tell(
            book,
            "AuthBook cannot see which rows the filter hides in this Excel "
            "(it needs Excel for Windows); use 'authbook bulk-update' instead.",
        )
    sheets.pop(FORM_SHEET, None)
    auths = sheets[schema.AUTHS.name]
    listed = {r.source.row for r in raw.auths}
    rows = [r.row for r in auths.rows if r.row not in auths.hidden_rows and r.row in listed]
    user = current_user()
    plan = bulk.plan_update(raw, rows, sets, user, today())
    if not plan.ok:
        return tell(book, _refusal(plan, sheets))
    changed = plan.changed_rows
    if not changed:
        return tell(book, "Nothing to change: every visible auth already holds these values.")
    headers = ", ".join(schema.AUTHS.column(f).header for f in sets)
    question = (
        f"Set {headers} on {len(changed)} of the {len(rows)} auths the filter shows "
        f"({len(plan.changes)} cells)?"
    )
    if tell(book, question, buttons="ok_cancel") != "ok":
        return tell(book, "Nothing was changed.")
    return _apply_plan(book, store, sheets, plan, user, f"Updated {len(changed)} auths")


@button
def bulk_add_selected(book=None):
    """Add to Selected: for each selected (visible) Clients row, in every area of a Ctrl-click
    selection, add one auth per code of the group named in the 'Add to Selected' column of the
    AuthBook Form sheet, with the values filled in there, after a confirmation; then refresh."""
    if not _has_bulk():
        return _needs_bulk(book, "Bulk add")
    from authbook.rules.bulk import client_ids_of_rows

    selection = book.app.selection
    if selection is None or selection.sheet.name != schema.CLIENTS.name:
        return tell(book, "Select the clients' rows on the Clients sheet first.")
    store, sheets, raw = _read_for_bulk(book)
    values = _form(book, store, sheets, ADD_COLUMN)
    if values is None:
        return None
    sheets.pop(FORM_SHEET, None)
    hidden = sheets[schema.CLIENTS.name].hidden_rows
    picked = selected_rows(selection)
    if picked is None:
        return tell(book, "Select the clients' rows on the Clients sheet (not whole columns).")
    rows = [r for r in picked if r not in hidden]
    ids = client_ids_of_rows(raw, rows)
    if not ids:
        return tell(book, "The selection holds no client rows.")
    user = current_user()
    group = values.pop("code_group", "")
    plan = bulk.plan_add(sheets, raw, str(group), ids, values, user, today())
    if not plan.ok:
        return tell(book, _refusal(plan, sheets))
    count = len(plan.rows)
    question = (
        f"Add {count} auths (code group '{group}') for {len(ids)} clients, "
        f"Auths rows {plan.rows[0]}-{plan.rows[-1]}?"
    )
    if tell(book, question, buttons="ok_cancel") != "ok":
        return tell(book, "Nothing was changed.")
    return _apply_plan(book, store, sheets, plan, user, f"Added {count} auths")
