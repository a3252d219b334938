"""Cells typed by hand in Auths since AuthBook last saved: logged and stamped on the next save.

Every save by AuthBook (refresh, bulk, import, renew) calls ``hand_edit_writes``: it compares
the Auths sheet as read with the memory the workbook keeps (``workbook.memory``), appends
one AuditLog row per changed cell (Action ``edit by hand``; a deleted row's cells
``row deleted by hand``), stamps Last Edited Date/By on the changed rows, and writes the
memory again as the Auths inputs will stand after this save.

Who made the edits: the workbook's last-modified-by (docProps/core.xml), which Excel and
LibreOffice set when they save (LibreOffice: its user's name, blank when none is set), if the
properties changed since AuthBook's last save; else ``unknown (outside AuthBook)``. When: the
file's modified time then, else today.
Only workbook files have a memory (a live Excel workbook does not, yet).
"""

from __future__ import annotations

from datetime import date, datetime

from authbook.rules.audit import audit_entries
from authbook.rules.handedits import BY_HAND, DELETED_BY_HAND, hand_edits, same_cell
from authbook.services.audit import audit_write
from authbook.workbook import changes, memory, schema
from authbook.workbook.sheetdata import SheetRead, SheetWrite

UNKNOWN_USER = "unknown (outside AuthBook)"
STAMPS = frozenset({"last_edited_date", "last_edited_by"})


def hand_edit_writes(
    store,
    before: dict[str, SheetRead],
    after: dict[str, SheetRead],
    writes: dict[str, SheetWrite],
    numbers: dict[int, str],
    today: date,
    read_with_them: bool = False,
) -> dict[str, SheetWrite]:
    """The writes for hand edits found in ``before`` (the sheets as read from ``store``),
    given ``after`` (as they read with this save's own input changes) and ``writes`` (this
    save's other writes, so log rows go below theirs); ``numbers``: new Auth #s by row.
    ``read_with_them``: the memory sheet was asked for with ``before`` (``schema.MEMORY_SHEET``),
    so it is there if the workbook has one; otherwise it is read from ``store`` here."""
    path = store.saved_file()  # None for a workbook open in Excel: no file to remember in
    if path is None or schema.AUTHS.name not in before:
        return {}
    if read_with_them:
        remembered = memory.memory_of(before.get(memory.SHEET))
    else:
        remembered = memory.read_memory(store)
    core = memory.core_properties(path)
    out: dict[str, SheetWrite] = {}
    now_rows = None
    if remembered is not None:
        now_rows = memory.auth_rows(before[schema.AUTHS.name])
        changed, deleted = hand_edits(schema.AUTHS.name, remembered.rows, now_rows, memory.FIELDS)
        if changed or deleted:
            saved_since = core != remembered.core  # by a program that sets these
            user = core[0] if saved_since and core[0] else UNKNOWN_USER
            when = (memory.modified_at(core[1]) if saved_since else None) or today
            out.update(_log(after, writes, changed, deleted, user, when))
    if now_rows is not None and after[schema.AUTHS.name] is before[schema.AUTHS.name]:
        snapshot = now_rows  # (no longer needed as it was: the new Auth #s go in below)
    else:
        snapshot = memory.auth_rows(after[schema.AUTHS.name])
    for row, number in numbers.items():
        if row in snapshot:
            snapshot[row] = snapshot[row].with_cell("auth_no", number)
    if (
        remembered is None
        or remembered.core != core
        or not _same_rows(remembered.rows, snapshot)
        or not memory.is_very_hidden(path)  # LibreOffice saved it as merely hidden
    ):
        out[memory.SHEET] = memory.memory_write(snapshot, core)
    return out


def _log(after, writes, changed, deleted, user: str, when: date | datetime):
    """AuditLog rows below the ones ``writes`` already appends, and the rows' stamps."""
    log_read = after.get(schema.AUDIT_LOG.name)
    if schema.AUDIT_LOG.name in writes:
        log_read = changes.overlay(log_read, schema.AUDIT_LOG.name, writes[schema.AUDIT_LOG.name])
    entries = audit_entries(changed, BY_HAND, user, when)
    entries += audit_entries(deleted, DELETED_BY_HAND, user, when)
    out = {schema.AUDIT_LOG.name: audit_write({schema.AUDIT_LOG.name: log_read}, entries)}
    day = when.date() if isinstance(when, datetime) else when
    stamps = {c.source.row: {"last_edited_date": day, "last_edited_by": user} for c in changed}
    if stamps:
        auths = after[schema.AUTHS.name]
        out[schema.AUTHS.name] = changes.field_cells(schema.AUTHS, auths, stamps, optional=STAMPS)
    return out


def _same_rows(a: dict, b: dict) -> bool:
    if a == b:  # as remembered, value for value
        return True
    if a.keys() != b.keys():
        return False
    return all(same_cell(x, y) for r in a for x, y in zip(a[r], b[r]))
