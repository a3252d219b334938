"""Bulk add and bulk update (issue 3): many Auths rows changed in one step, each changed cell
logged, then one refresh and one save. The command line (``cli_bulk``) and the ribbon
(``functions.ribbon``) gather the input their own way and both call this module:

read (``read_for_bulk``) -> plan (``plan_add`` / ``plan_update``: ``rules.bulk``, which
refuses the whole plan on any problem) -> the shell shows the plan and asks -> plan writes and
save (``apply_plan``: the Auths cells, Last Edited stamps and AuditLog rows of
``plan_writes``, then ``services.refresh.apply_and_refresh``).
"""

from __future__ import annotations

from datetime import date, datetime

from authbook.rules import bulk
from authbook.rules.audit import audit_entries
from authbook.services.audit import audit_write
from authbook.services.refresh import Computed, apply_and_refresh
from authbook.workbook import changes, records, schema
from authbook.workbook.sheetdata import SheetRead, SheetWrite


def read_for_bulk(store, names: list[str]):
    """The sheets ``names`` of ``store`` and the raw book they make: (sheets, raw)."""
    sheets = store.read_sheets(names)
    raw, _ = records.raw_book(sheets)
    return sheets, raw


def plan_add(sheets, raw, code_group: str, ids, values, user: str, today: date):
    """The ``rules.bulk.BulkPlan`` adding one auth per code of ``code_group`` to each client
    of ``ids``, on new rows below the Auths sheet's last one."""

    first_row = records.first_new_row(sheets[schema.AUTHS.name])
    return bulk.plan_bulk_add(raw, code_group, ids, values, user, today, first_row=first_row)


def plan_update(raw, rows, sets: dict[str, object], user: str, today: date):
    """The ``rules.bulk.BulkPlan`` setting ``sets`` (field -> value) on the Auths ``rows``."""

    return bulk.plan_bulk_update(raw, rows, sets, user, today)


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
