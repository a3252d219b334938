"""What the shells (command line, Excel ribbon) do with a workbook: read it, run the rules,
write the results back. Each function here is a few lines of glue; the decisions are in
``authbook.rules`` and the cell handling in ``authbook.workbook``.

A *store* is anything with ``read_sheets(names) -> dict[str, SheetRead]``,
``apply(writes: dict[str, SheetWrite])`` and ``save()``: the workbook file adapter, or the
live-Excel adapter.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from authbook.models import Problem
from authbook.rules.refresh import Refreshed, refresh
from authbook.workbook import records, schema
from authbook.workbook.sheetdata import SheetRead, SheetWrite
from authbook.workbook.xlsxfile import RefreshLock, WorkbookFile


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


def compute(store, today: date, as_of: date | None = None) -> Computed:
    """Read every AuthBook sheet from ``store`` and run the refresh rules on it."""
    sheets = store.read_sheets([s.name for s in schema.SHEETS])
    raw, structure = records.raw_book(sheets)
    result = refresh(raw, today=today, as_of=as_of)
    return Computed(sheets, result, structure + result.problems)


def refresh_writes(computed: Computed, user: str, today: date) -> dict[str, SheetWrite]:
    """The cells a refresh writes: computed columns, new Auth #s, Alerts and Problems sheets."""
    sheets, result = computed.sheets, computed.result
    writes: dict[str, SheetWrite] = {}
    if schema.AUTHS.name in sheets:
        rows = records.auth_rows(result.auths, result.new_auth_numbers, user, today)
        writes[schema.AUTHS.name] = records.column_writes(
            schema.AUTHS, sheets[schema.AUTHS.name], rows
        )
    if schema.NOTES.name in sheets:
        writes[schema.NOTES.name] = records.column_writes(
            schema.NOTES, sheets[schema.NOTES.name], records.note_rows(result.notes)
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
    return writes


def billing_writes(computed: Computed) -> dict[str, SheetWrite]:
    """The generated sheets of the billing checks (issue 5): Checks."""
    from authbook.workbook import billingrows

    result, sheets = computed.result, computed.sheets
    return {
        schema.CHECKS.name: billingrows.generated_write(
            schema.CHECKS, billingrows.check_rows(result.findings, sheets)
        ),
    }


def refresh_store(store, today: date, as_of: date | None = None, user: str | None = None):
    """Refresh a store in place (read, compute, write, save). Returns the Computed."""
    computed = compute(store, today, as_of)
    store.apply(refresh_writes(computed, current_user(user), today))
    store.save()
    return computed


def refresh_file(path: Path | str, today: date, as_of: date | None = None, user=None):
    """Refresh a workbook file: atomic save, ``PATH.bak`` kept, concurrent runs refused."""
    path = Path(path)
    with RefreshLock(path):
        return refresh_store(WorkbookFile(path), today, as_of, user)


def compute_file(path: Path | str, today: date, as_of: date | None = None) -> Computed:
    """Read and compute a workbook file without writing anything."""
    return compute(WorkbookFile(path), today, as_of)
