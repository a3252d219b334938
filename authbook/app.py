"""What the shells (command line, Excel ribbon) do with a workbook: read it, run the rules,
write the results back. Each function here is a few lines of glue; the decisions are in
``authbook.rules`` and the cell handling in ``authbook.workbook``.

A *store* is anything with ``read_sheets(names) -> dict[str, SheetRead]``,
``apply(writes: dict[str, SheetWrite])`` and ``save()``: the workbook file adapter, or the
live-Excel adapter.
"""

from __future__ import annotations

import contextlib
import gc
import getpass
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from authbook.models import Problem
from authbook.rules.refresh import Refreshed, finish_refresh, refresh, refresh_notes
from authbook.workbook import records, schema
from authbook.workbook.sheetdata import SheetRead, SheetWrite
from authbook.workbook.xlsxfile import FastWorkbookFile, RefreshLock


def current_user(explicit: str | None = None) -> str:
    """Who is making a change: ``--user``, else $AUTHBOOK_USER, else the login name."""
    if explicit:
        return explicit
    if os.environ.get("AUTHBOOK_USER"):
        return os.environ["AUTHBOOK_USER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class Computed:
    """A workbook read and computed (nothing written yet)."""

    sheets: dict[str, SheetRead]
    result: Refreshed
    problems: list[Problem]
    #: Figures worked out from ``result`` once and used by several writers (the Dashboard's).
    figures: dict[str, object] = field(default_factory=dict)


@contextlib.contextmanager
def many_objects():
    """Pause Python's cyclic garbage collector while a refresh builds its records.

    A large workbook makes millions of small objects that live until the refresh ends and
    hold no reference cycles; without the pause the collector re-scans them again and again
    (about 30% of the compute time at 50,000 notes, measured). Reference counting still
    frees everything.

    When the collector is switched back on, the objects still alive (the refresh's result)
    are first moved out of its sight with ``gc.freeze()``: otherwise its next run walks every
    one of them (about a second at 500,000 notes). The next pause gives them back
    (``gc.unfreeze()``), so a long-running process (live Excel) keeps nothing frozen for good.
    """
    paused = gc.isenabled()
    gc.disable()
    if paused:
        gc.unfreeze()
    try:
        yield
    finally:
        if paused:
            gc.freeze()
            gc.enable()


def compute(store, today: date, as_of: date | None = None) -> Computed:
    """Read the input sheets of ``store`` and run the refresh rules on them.

    The sheets a refresh rebuilds whole (Alerts, Problems, Checks, Renewals) are not read:
    nothing in them is an input, and on a large workbook they hold hundreds of thousands of
    rows."""
    with many_objects():
        sheets, raw, structure = _read_raw(store)
        result = refresh(raw, today=today, as_of=as_of)
        return Computed(sheets, result, records.with_structure(raw, structure, result.problems))


def _read_raw(store):
    """The input sheets of ``store``, read, and the raw book with its structure problems."""
    sheets = store.read_sheets([s.name for s in schema.INPUT_SHEETS])
    return (sheets, *records.raw_book(sheets))


def compute_writing_notes(store, today: date, as_of: date | None = None):
    """``compute``, with the Notes sheet's cells handed to the store to start writing as
    soon as they are known (``start_writing``: a large workbook's Notes sheet is written by
    a second process while the auths' statuses, alerts and the other sheets are worked
    out). Returns the Computed and the Notes SheetWrite (None without a Notes sheet).

    The Notes rows' statuses and cells are worked out by whichever process writes the sheet
    (``record_writes_later``): this one goes on to the rest without them. When a child
    process writes the sheet, the two draw the notes of half the clients each
    (``app_notes``)."""
    with many_objects():
        return _computed_writing_notes(store, *_read_raw(store), today, as_of)


def _computed_writing_notes(store, sheets, raw, structure, today, as_of):
    """``compute_writing_notes`` of ``sheets`` as read from ``store`` (or as they will read
    once an edit is applied), their raw book and its structure problems. Call it inside
    ``many_objects()``."""
    notes = None
    if schema.NOTES.name in sheets:
        from authbook import app_notes  # a refresh, not a command that only reads: start-up time

        read = sheets[schema.NOTES.name]
        half, notes = app_notes.refresh_notes_writing(store, read, raw, today, as_of)
    else:
        half = refresh_notes(raw, today=today, as_of=as_of)
    result = finish_refresh(half)
    return Computed(sheets, result, records.with_structure(raw, structure, result.problems)), notes


def refresh_writes(
    computed: Computed,
    user: str,
    today: date,
    now: datetime | None = None,
    notes: SheetWrite | None = None,
) -> dict[str, SheetWrite]:
    """The cells a refresh writes: computed columns, new Auth #s (logged to the AuditLog, dated
    ``now`` if given, else ``today``), Alerts and Problems sheets. ``notes``: the Notes
    sheet's, when already made (``compute_writing_notes``)."""
    sheets, result = computed.sheets, computed.result
    writes: dict[str, SheetWrite] = {}
    if schema.AUTHS.name in sheets:
        auths = sheets[schema.AUTHS.name]
        write = records.record_writes(schema.AUTHS, auths, result.auths, records.AUTH_COMPUTED)
        numbered = records.numbered_rows(result.new_auth_numbers, user, today)
        if numbered:
            number_cells = records.column_writes(schema.AUTHS, auths, numbered)
            write.cells = {**write.cells, **number_cells.cells}
            write.number_formats.update(number_cells.number_formats)
        writes[schema.AUTHS.name] = write
    if notes is not None:
        writes[schema.NOTES.name] = notes
    elif schema.NOTES.name in sheets:
        writes[schema.NOTES.name] = records.record_writes(
            schema.NOTES, sheets[schema.NOTES.name], result.notes, records.NOTE_COMPUTED
        )
    for spec, rows in (
        (schema.ALERTS, records.alert_rows(result.alerts, sheets)),
        (schema.PROBLEMS, records.problem_rows(computed.problems, sheets)),
    ):
        formats = {
            i: records.DATE_FORMAT for i, c in enumerate(spec.columns, 1) if c.kind == "date"
        }
        writes[spec.name] = SheetWrite(rows=rows, last_row=len(rows), number_formats=formats)
    writes.update(billing_writes(computed))
    writes.update(numbering_audit_writes(computed, user, now or today))
    return writes


def billing_writes(computed: Computed) -> dict[str, SheetWrite]:
    """The generated sheets of the billing features (issue 5): Checks, Renewals, Dashboard."""
    from authbook import app_billing

    return app_billing.billing_writes(computed)


def refresh_store(store, today: date, as_of: date | None = None, user: str | None = None):
    """Refresh a store in place (read, compute, write, save), logging the Auths cells typed
    by hand since the last save (``app_handedits``). Returns the Computed."""
    from authbook import app_billing  # saves, drawing the Dashboard's charts when needed
    from authbook.app_handedits import hand_edit_writes

    with many_objects():
        try:
            computed, notes = compute_writing_notes(store, today, as_of)
            made = refresh_writes(computed, current_user(user), today, notes=notes)
            sheets, numbers = computed.sheets, computed.result.new_auth_numbers
            by_hand = hand_edit_writes(store, sheets, sheets, made, numbers, today)
            store.apply(merge_writes(made, by_hand))
            app_billing.save_with_dashboard(store, computed)
        finally:
            store.stop_writing()
    return computed


def refresh_file(path: Path | str, today: date, as_of: date | None = None, user=None):
    """Refresh a workbook file: atomic save, ``PATH.bak`` kept, concurrent runs refused."""
    path = Path(path)
    with RefreshLock(path):
        return refresh_store(FastWorkbookFile(path), today, as_of, user)


def compute_file(path: Path | str, today: date, as_of: date | None = None) -> Computed:
    """Read and compute a workbook file without writing anything."""
    return compute(FastWorkbookFile(path), today, as_of)


# --- input-cell changes with an audit trail (issue 3: bulk add / bulk update) -----------------


def audit_rows(entries) -> list[dict[str, object]]:
    """AuditLog rows (field -> value) for ``authbook.rules.audit.AuditEntry`` values."""
    rows = []
    for entry in entries:
        change = entry.change
        spec = schema.BY_NAME.get(change.source.sheet)
        column = spec.by_field.get(change.field) if spec else None
        rows.append(
            {
                "timestamp": entry.timestamp,
                "user": entry.user,
                "action": entry.action,
                "sheet": change.source.sheet,
                "row": change.source.row,
                "auth_no": change.auth_no,
                "client_id": change.client_id,
                "column": column.header if column else change.field,
                "old_value": change.old,
                "new_value": change.new,
            }
        )
    return rows


def audit_write(sheets: dict[str, SheetRead], entries) -> SheetWrite:
    """The AuditLog rows for ``entries``, appended below the last logged row."""
    from authbook.workbook import changes

    timed = any(isinstance(e.timestamp, datetime) for e in entries)
    return changes.append_rows(
        schema.AUDIT_LOG,
        sheets.get(schema.AUDIT_LOG.name),
        audit_rows(entries),
        formats={"timestamp": schema.TIMESTAMP_FORMAT if timed else records.DATE_FORMAT},
    )


def numbering_audit_writes(
    computed: Computed, user: str, when: date | datetime
) -> dict[str, SheetWrite]:
    """AuditLog rows for the Auth #s a refresh fills in, when the workbook has an AuditLog
    sheet (a workbook made before the AuditLog existed gets none until a bulk action).

    ``when`` is the log's Timestamp: a plain refresh logs its date only, so refreshing the same
    workbook on the same day always writes the same bytes; a bulk action passes its time.
    """
    from authbook.rules.audit import NEW_AUTH_NO, audit_entries, numbering_changes

    sheets, numbers = computed.sheets, computed.result.new_auth_numbers
    if not numbers or schema.AUDIT_LOG.name not in sheets or schema.AUTHS.name not in sheets:
        return {}
    raw_auths = tuple(records.raw_records(schema.AUTHS, sheets[schema.AUTHS.name]))
    found = numbering_changes(raw_auths, numbers)
    entries = audit_entries(found, NEW_AUTH_NO, user, when)
    return {schema.AUDIT_LOG.name: audit_write(sheets, entries)}


def plan_writes(sheets: dict[str, SheetRead], plan, user: str, now: datetime):
    """The SheetWrites of a ``authbook.rules.bulk.BulkPlan``: its Auths cells, its Last Edited
    stamps, and one AuditLog row per changed cell."""
    from authbook.rules.audit import audit_entries
    from authbook.workbook import changes

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


def merge_writes(first: dict[str, SheetWrite], then: dict[str, SheetWrite]):
    """Two sets of writes as one (cells of ``then`` win where both set the same cell)."""
    merged = dict(first)
    for name, write in then.items():
        old = merged.get(name)
        if old is None:
            merged[name] = write
            continue
        ends = [r for r in (old.last_row, write.last_row) if r is not None]
        merged[name] = SheetWrite(
            cells={**old.cells, **write.cells},
            rows=write.rows if write.rows is not None else old.rows,
            last_row=max(ends) if ends else None,
            number_formats={**old.number_formats, **write.number_formats},
        )
    return merged


def apply_and_refresh(
    store,
    sheets: dict[str, SheetRead],
    writes: dict[str, SheetWrite],
    today: date,
    as_of: date | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> Computed:
    """Apply input-cell ``writes`` to ``store`` and refresh it, in one save.

    The refresh is computed on the sheets as they will read once ``writes`` are applied, so
    units, Active, alerts and problems reflect the change. ``sheets`` is what was read from
    ``store`` to plan the writes; ``now`` stamps the AuditLog rows of Auth #s the refresh
    fills in (default: now). Returns the refreshed Computed.
    """
    from authbook import app_billing  # saves, drawing the Dashboard's charts when needed
    from authbook.app_handedits import hand_edit_writes
    from authbook.workbook import changes

    patched = dict(sheets)
    for name, write in writes.items():
        patched[name] = changes.overlay(sheets.get(name), name, write)
    now = now or datetime.now().replace(microsecond=0)
    with many_objects():
        try:
            raw, structure = records.raw_book(patched)
            computed, notes = _computed_writing_notes(store, patched, raw, structure, today, as_of)
            made = merge_writes(
                writes, refresh_writes(computed, current_user(user), today, now, notes=notes)
            )
            numbers = computed.result.new_auth_numbers
            by_hand = hand_edit_writes(store, sheets, patched, made, numbers, today)
            store.apply(merge_writes(made, by_hand))
            app_billing.save_with_dashboard(store, computed)
        finally:
            store.stop_writing()
    return computed
