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

from authbook.models import RawRows
from authbook.rules.audit import audit_entries
from authbook.rules.handedits import BY_HAND, DELETED_BY_HAND, hand_edits
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
    raw_auths: RawRows | None = None,
) -> dict[str, SheetWrite]:
    """The writes for hand edits found in ``before`` (the sheets as read from ``store``),
    given ``after`` (as they read with this save's own input changes) and ``writes`` (this
    save's other writes, so log rows go below theirs); ``numbers``: new Auth #s by row;
    ``raw_auths``: the raw rows of ``after``'s Auths sheet, when the caller has them.

    The memory's second row holds the digest of the rows it remembers: when the Auths rows
    have that digest (no cell typed since), the rest of the memory is not read at all."""
    path = store.saved_file()  # None for a workbook open in Excel: no file to remember in
    if path is None or schema.AUTHS.name not in before:
        return {}
    same = after.get(schema.AUTHS.name) is before[schema.AUTHS.name]
    now_rows = memory.auth_rows(before[schema.AUTHS.name], raw_auths if same else None)
    now_digest = memory.digest(now_rows)
    head = memory.remembered_head(path)  # (properties or None: unknown, digest) or None
    core = memory.core_properties(path)
    out: dict[str, SheetWrite] = {}
    if head is not None and head[1] == now_digest:  # every row as remembered
        remembered_core = head[0]
    else:
        remembered = memory.read_memory(store)
        remembered_core = remembered.core if remembered is not None else None
        if remembered is not None:
            found = hand_edits(schema.AUTHS.name, remembered.rows, now_rows, memory.FIELDS)
            changed, deleted = found
            if changed or deleted:
                saved_since = core != remembered.core  # by a program that sets these
                user = core[0] if saved_since and core[0] else UNKNOWN_USER
                when = (memory.modified_at(core[1]) if saved_since else None) or today
                out.update(_log(after, writes, changed, deleted, user, when))
    snapshot, snapshot_digest = now_rows, now_digest
    if not same:
        snapshot = memory.auth_rows(after[schema.AUTHS.name], raw_auths)
        snapshot_digest = None
    for row, number in numbers.items():
        if row in snapshot:
            snapshot[row] = snapshot[row].with_cell("auth_no", number)
            snapshot_digest = None
    snapshot_digest = snapshot_digest or memory.digest(snapshot)
    if (
        remembered_core != core
        or snapshot_digest != (head[1] if head else None)
        or not memory.is_very_hidden(path)  # LibreOffice saved it as merely hidden
    ):
        out[memory.SHEET] = memory.memory_write(snapshot, core, snapshot_digest)
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
