"""The refresh, and every save that ends in one: read the input sheets, run the rules, plan
the writes, save.

Read top to bottom, ``refresh_file`` is the whole of ``authbook refresh``:

1. ``refresh_file`` takes the workbook's lock and opens the fast file adapter (the store:
   ``authbook.workbook.store.Store``); ``refresh_store`` runs the rest with the garbage
   collector paused (``parallel.collector``).
2. read and compute: ``compute_writing_notes`` reads the input sheets, Notes last
   (``store.read_sheets_in_turn``), builds the raw book (``workbook.rawbook.raw_book``,
   ``with_sheets``) and runs the rules: the base of every sheet but Notes while Notes is
   still being read (``rules.refresh.prepare_base``), then the notes (``with_notes_read``,
   ``notes_of_base``) and ``finish_refresh``. A large refresh draws its notes in two processes
   and hands the Notes sheet to the store to start writing early (``parallel.notes``): the
   only place this use case meets a second process.
3. plan writes: ``refresh_writes`` (computed columns, new Auth #s, Alerts, Problems, and the
   billing sheets of ``services.billing``), the AuditLog rows of new Auth #s
   (``services.audit``), and the cells typed by hand since the last save
   (``services.handedits``), merged (``workbook.sheetdata.merge_writes``).
4. save: ``store.apply`` then ``services.billing.save_with_dashboard`` (``store.save``,
   drawing the Dashboard's charts where the store can take them).

``apply_and_refresh`` is the same with input-cell writes planned by another use case (bulk,
import, renew, remit) applied first, in the same save. Decisions are in ``authbook.rules``,
cells in ``authbook.workbook``.
"""

from __future__ import annotations

from dataclasses import field
from datetime import date, datetime
from pathlib import Path

from authbook.modelbase import dataclass
from authbook.models import Problem, RawBook, RawRows
from authbook.parallel.collector import many_objects
from authbook.rules.refresh import (
    Refreshed,
    finish_refresh,
    notes_of_base,
    prepare_base,
    refresh,
    with_notes_read,
)
from authbook.workbook import rawbook, records, schema
from authbook.workbook.sheetdata import SheetRead, SheetWrite, merge_writes
from authbook.workbook.xlsxfile import FastWorkbookFile, RefreshLock

# The writing side (billing sheets, audit trail, hand edits) is imported by the functions that
# write: the read-only commands (eligible, alerts, check, scrub) import this module
# too, and skip about 20 ms of start-up without it (python -X importtime: 102 -> 82 ms).


@dataclass
class Computed:
    """A workbook read and computed (nothing written yet)."""

    sheets: dict[str, SheetRead]
    result: Refreshed
    problems: list[Problem]
    #: Figures worked out from ``result`` once and used by several writers (the Dashboard's).
    figures: dict[str, object] = field(default_factory=dict)
    #: The raw book the rules ran on (None where not kept): its rows are had from it again.
    raw: RawBook | None = None


def refresh_file(path: Path | str, today: date, as_of: date | None = None, user=None, ahead=None):
    """Refresh a workbook file: atomic save, ``PATH.bak`` kept, concurrent runs refused.
    ``ahead``: its sheets being parsed since the command began (``services.readahead``)."""
    path = Path(path)
    with RefreshLock(path):
        return refresh_store(FastWorkbookFile(path, ahead), today, as_of, user)


def refresh_store(store, today: date, as_of: date | None = None, user: str | None = None):
    """Refresh a store in place (read, compute, write, save), logging the Auths cells typed
    by hand since the last save (``services.handedits``). Returns the Computed."""
    from authbook.services.audit import current_user  # (the writing side: see the top)

    with many_objects():
        try:
            computed, notes = compute_writing_notes(store, today, as_of)
            made = refresh_writes(computed, current_user(user), today, notes=notes)
            _save(store, computed.sheets, computed, made, today)
        finally:
            store.stop_writing()
    return computed


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
    from authbook.services.audit import current_user  # (the writing side: see the top)
    from authbook.workbook import changes

    patched = dict(sheets)
    for name, write in writes.items():
        patched[name] = changes.overlay(sheets.get(name), name, write)
    now = now or datetime.now().replace(microsecond=0)
    with many_objects():
        try:
            raw, structure = rawbook.raw_book(patched)
            base = prepare_base(raw, today, as_of)
            computed, notes = _computed_writing_notes(store, patched, raw, structure, base)
            made = merge_writes(
                writes, refresh_writes(computed, current_user(user), today, now, notes=notes)
            )
            _save(store, sheets, computed, made, today)
        finally:
            store.stop_writing()
    return computed


def _save(store, read: dict[str, SheetRead], computed: Computed, made, today: date) -> None:
    """Apply ``made`` (this save's writes) with the cells typed by hand since the last save
    (found in ``read``, the sheets as read from ``store``; ``services.handedits``), and save
    with the Dashboard's charts."""
    from authbook.services.billing import save_with_dashboard  # (the writing side: see the top)
    from authbook.services.handedits import hand_edit_writes

    numbers = computed.result.new_auth_numbers
    raw_auths = computed.raw.auths if computed.raw is not None else None
    if not isinstance(raw_auths, RawRows):  # (a raw book made by hand holds records)
        raw_auths = None
    by_hand = hand_edit_writes(store, read, computed.sheets, made, numbers, today, raw_auths)
    store.apply(merge_writes(made, by_hand))
    save_with_dashboard(store, computed)


def compute_file(path: Path | str, today: date, as_of: date | None = None) -> Computed:
    """Read and compute a workbook file without writing anything."""
    return compute(FastWorkbookFile(path), today, as_of)


def compute(store, today: date, as_of: date | None = None) -> Computed:
    """Read the input sheets of ``store`` and run the refresh rules on them.

    The sheets a refresh rebuilds whole (Alerts, Problems, Checks, Renewals) are not read:
    nothing in them is an input, and on a large workbook they hold hundreds of thousands of
    rows."""
    with many_objects():
        sheets, raw, structure = _read_raw(store)
        result = refresh(raw, today=today, as_of=as_of)
        return Computed(sheets, result, rawbook.with_structure(raw, structure, result.problems))


def _read_raw(store):
    """The input sheets of ``store``, read, and the raw book with its structure problems.
    (Not the hand-edit memory: ``services.handedits`` reads its digest alone, and the rest
    only when the Auths rows do not match it.)"""
    sheets = store.read_sheets([s.name for s in schema.INPUT_SHEETS])
    return (sheets, *rawbook.raw_book(sheets))


def compute_writing_notes(store, today: date, as_of: date | None = None):
    """``compute``, with the Notes sheet's cells handed to the store to start writing as
    soon as they are known (``start_writing``: a large workbook's Notes sheet is written by
    a second process while the auths' statuses, alerts and the other sheets are worked
    out). Returns the Computed and the Notes SheetWrite (None without a Notes sheet).

    The Notes sheet, the largest, is read last (``store.read_sheets_in_turn``): every other
    sheet is built into the base of the refresh (``rules.refresh.prepare_base``) while the
    fast file adapter's threads are still parsing it, and its rows join the base once read
    (``with_notes_read``).

    The Notes rows' statuses and cells are worked out by whichever process writes the sheet
    (``record_writes_later``): this one goes on to the rest without them. When a child
    process writes the sheet, the two draw the notes of half the clients each
    (``parallel.notes``)."""
    names = [s.name for s in schema.INPUT_SHEETS]
    with many_objects():
        with store.read_sheets_in_turn(names, [schema.NOTES.name]) as reading:
            raw, structure = rawbook.raw_book(reading.first, coming=reading.coming)
            base = prepare_base(raw, today, as_of)  # while the Notes sheet is being read
            rest = reading.rest()
        read = {**reading.first, **rest}
        sheets = {name: read[name] for name in names if name in read}
        raw, structure = rawbook.with_sheets(raw, structure, rest)
        base = with_notes_read(base, raw)
        return _computed_writing_notes(store, sheets, raw, structure, base)


def _computed_writing_notes(store, sheets, raw, structure, base):
    """``compute_writing_notes`` of ``sheets`` as read from ``store`` (or as they will read
    once an edit is applied), their raw book, its structure problems and its base
    (``prepare_base``). Call it inside ``many_objects()``."""
    notes = None
    if schema.NOTES.name in sheets:
        # here, not at the top: a command that only reads (eligible) never needs it: start-up time
        from authbook.parallel import notes as two_processes

        read = sheets[schema.NOTES.name]
        half, notes = two_processes.refresh_notes_writing(store, read, base)
    else:
        half = notes_of_base(base)
    result = finish_refresh(half)
    problems = rawbook.with_structure(raw, structure, result.problems)
    return Computed(sheets, result, problems, raw=raw), notes


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
    from authbook.services.audit import numbering_audit_writes  # (the writing side: see the top)
    from authbook.services.billing import billing_writes

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
    writes.update(numbering_audit_writes(sheets, result.new_auth_numbers, user, now or today))
    return writes
