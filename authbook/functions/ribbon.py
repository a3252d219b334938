"""What the AuthBook ribbon buttons do: one function per button, run by xlwings' RunPython.

Each button's VBA Sub (``macros/AuthBook.bas``) runs, for example,
``import authbook.functions.ribbon as ab; ab.refresh()``. The function finds the workbook
that called it (``xw.Book.caller()``), wraps it in the live-Excel adapter
(``authbook.workbook.live.LiveWorkbook``) and calls the same ``authbook.app`` functions as the
``authbook`` command, so a button gives exactly what ``authbook refresh`` gives on the saved
file. Nothing is saved: the changes are in the open workbook; save it as usual.

Tests and scripts pass ``book`` (an ``xw.Book`` or a stand-in) instead of using the caller.
Besides the adapter's calls, the ribbon uses ``book.app.alert(text, title, buttons)`` for
messages and confirmations, ``book.app.selection`` (``.sheet.name``, ``.row``,
``.last_cell.row``) and ``book.sheets[name].activate()``.

Bulk actions (*Update Visible*, *Add to Selected*) take their input from a sheet named
"AuthBook Form" (field in column A, value in column B), which the first click creates and
explains; they change nothing before the user confirms.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from datetime import date

import xlwings as xw

from authbook import app
from authbook.cli import summary
from authbook.rules.eligibility import eligible_codes
from authbook.rules.units import apply_notes
from authbook.rules.values import parse_date, parse_text
from authbook.workbook import records, schema
from authbook.workbook.live import LiveWorkbook, LiveWorkbookError
from authbook.workbook.records import NotAnAuthBook
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


def button(func):
    """Run a button's function; problems the user can fix become a message box, and a bug
    becomes a short message too (set AUTHBOOK_DEBUG=1 to get the traceback from xlwings)."""

    @functools.wraps(func)
    def wrapper(book=None):
        book = _book(book)
        try:
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
    computed = app.refresh_store(LiveWorkbook(book), today())
    tell(book, "Refreshed.\n\n" + summary(computed))
    return computed


@button
def show_alerts(book=None):
    """Show Alerts: refresh, then open the Alerts sheet and say how many of each kind."""
    computed = app.refresh_store(LiveWorkbook(book), today())
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
    """Check Notes: refresh (which writes each note's Check) and list the notes a payer would
    deny, by row."""
    computed = app.refresh_store(LiveWorkbook(book), today())
    denied = [
        n for n in computed.result.notes if n.check != "OK" and not n.check.startswith("DRAFT")
    ]
    if not denied:
        tell(book, "Every Pending and Released note is covered by an auth.")
        return computed
    lines = [f"row {n.source.row}: {n.check}" for n in denied[:LISTED]]
    if len(denied) > LISTED:
        lines.append(f"... and {len(denied) - LISTED} more (see the Check column)")
    tell(book, f"{len(denied)} notes would be denied:\n\n" + "\n".join(lines))
    book.sheets[schema.NOTES.name].activate()
    return computed


@button
def eligible_for_selection(book=None):
    """Eligible Codes: for the selected Notes row, the billing codes an auth covers for its
    client, date and provider (the note's own units not counted against it)."""
    selection = book.app.selection
    if selection is None or selection.sheet.name != schema.NOTES.name:
        tell(book, "Select a row on the Notes sheet first.")
        return None
    computed = app.compute(LiveWorkbook(book), today())
    row = selection.row
    facts = _note_facts(computed, row)
    if facts is None:
        tell(book, f"Notes row {row} needs a Client ID and a Service Date first.")
        return None
    client, day, provider = facts
    book_ = computed.result.book
    others = [n for n in book_.notes if n.source.row != row]
    _, ledger = apply_notes(book_.auths, others)
    codes = eligible_codes(book_.auths, ledger, client, day, provider)
    who = f"{client} on {day:%m/%d/%Y}" + (f" with {provider}" if provider else "")
    if not codes:
        tell(book, f"Notes row {row}: no auth covers {who} (a note would be denied).")
    else:
        tell(book, f"Notes row {row}: codes authorized for {who}:\n\n" + "\n".join(codes))
    return codes


def _note_facts(computed: app.Computed, row: int):
    """(client, service date, provider) typed on a Notes row, or None if it lacks them."""
    read = computed.sheets.get(schema.NOTES.name)
    raws = records.raw_records(schema.NOTES, read) if read else []
    raw = next((r for r in raws if r.source.row == row), None)
    if raw is None:
        return None
    client, _ = parse_text(raw.values.get("client_id"))
    order = computed.result.book.settings.date_order
    day, _ = parse_date(raw.values.get("service_date"), order)
    provider, _ = parse_text(raw.values.get("provider"))
    if client is None or day is None:
        return None
    return client, day, provider


def _needs_bulk(book, action: str) -> None:
    tell(
        book,
        f"{action} needs AuthBook's bulk module (authbook.rules.bulk), which this "
        "installation does not have yet. Use Refresh after editing the rows by hand, or "
        "update AuthBook.",
    )


@button
def bulk_update_visible(book=None):
    """Update Visible: set the fields filled in on the AuthBook Form sheet on every Auths row
    the filter shows, after a confirmation; then refresh."""
    if importlib.util.find_spec("authbook.rules.bulk") is None:
        _needs_bulk(book, "Bulk update")
        return None
    _needs_bulk(book, "Bulk update from Excel")
    return None


@button
def bulk_add_selected(book=None):
    """Add to Selected: add the codes of the billing-code group named on the AuthBook Form
    sheet as new auths for each selected Clients row, after a confirmation; then refresh."""
    if importlib.util.find_spec("authbook.rules.bulk") is None:
        _needs_bulk(book, "Bulk add")
        return None
    _needs_bulk(book, "Bulk add from Excel")
    return None
