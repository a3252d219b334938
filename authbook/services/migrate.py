"""``authbook import`` and ``authbook export``: moving a practice's tracker in and its
tables out.

Import: read the source (``workbook.sources``) and the workbook's input sheets
(``read_target``) -> plan (``plan_import``: ``rules.importing`` matches columns, checks every
value, finds new and changed rows; every source row is accounted for) -> plan the writes
(``plan_writes``: new rows, changed cells, Import Rejects, one AuditLog row per cell via
``services.audit.audit_row``) -> the shell shows the plan and asks -> ``apply_import``
(``services.refresh.apply_and_refresh``: one refresh, one save).

Export: ``export_tables`` writes one CSV per sheet.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

from authbook.parallel.collector import many_objects
from authbook.rules import importing
from authbook.rules.cells import csv_text
from authbook.services.audit import audit_log_write, audit_row
from authbook.services.refresh import Computed, apply_and_refresh
from authbook.workbook import importrows, rawbook, schema
from authbook.workbook.records import cell_value
from authbook.workbook.sheetdata import SheetRead, SheetWrite, merge_writes
from authbook.workbook.xlsxfile import replace_atomically

#: The AuditLog's Action for the cells an import writes.
IMPORT_ACTION = "import"


def record_sheet(kind: str):
    """The sheet an import of ``kind`` (auths, clients, notes) adds rows to."""
    return {"auths": schema.AUTHS, "clients": schema.CLIENTS, "notes": schema.NOTES}[kind]


def layout_for(kind: str) -> importing.Layout:
    """The columns an import of ``kind`` may fill: the record sheet's and the Clients sheet's."""

    def targets(sheet) -> tuple[importing.Target, ...]:
        return tuple(importing.Target(c.field, c.header, c.computed) for c in sheet.columns)

    return importing.Layout(kind, targets(record_sheet(kind)), targets(schema.CLIENTS))


def uses_decimal_comma(source) -> bool:
    """A semicolon-separated CSV comes from a spreadsheet set to a locale whose list
    separator is ';' because its decimal separator is ',' (most of Europe)."""
    return bool(source.is_csv and source.delimiter == ";")


def read_target(store) -> tuple[dict[str, SheetRead], object]:
    """The sheets an import reads from the workbook (its inputs and Import Rejects, not the
    sheets a refresh rebuilds) and the raw book they make."""
    wanted = [*schema.INPUT_SHEETS, schema.IMPORT_REJECTS]
    sheets = store.read_sheets([s.name for s in wanted])
    raw, _ = rawbook.raw_book(sheets)
    return sheets, raw


def plan_import(source, layout: importing.Layout, raw, mapping: dict) -> importing.ImportPlan:
    """What importing ``source`` (a read spreadsheet or CSV) would do, with the options of a
    mapping file (``columns``, ``header_row``, ``date_order``; empty: AuthBook chooses)."""
    return importing.plan_import(
        source.rows,
        layout,
        raw,
        from_csv=source.is_csv,
        overrides=mapping.get("columns"),
        header_row=mapping.get("header_row"),
        date_order=mapping.get("date_order"),
        decimal_comma=uses_decimal_comma(source),
    )


def plan_writes(plan, sheets, source, user: str, now: datetime) -> tuple[dict, int]:
    """The SheetWrites of an import plan, and how many rows go to Import Rejects."""
    spec = record_sheet(plan.kind)
    writes: dict = {}

    def add(name: str, write) -> None:
        if write is None or not write.cells:
            return
        writes.update(merge_writes(writes, {name: write}))

    changes = [(ch.row, ch.field, ch.new) for ch in plan.changes]
    records = [values for _, values in plan.new_records]
    if plan.kind == "auths":  # Last Edited Date / By on every auth row the import writes
        stamp = {"last_edited_date": now.date(), "last_edited_by": user}
        records = [{**values, **stamp} for values in records]
        for row in sorted({ch.row for ch in plan.changes}):
            changes += [(row, name, value) for name, value in stamp.items()]
    if plan.kind == "clients":
        add(spec.name, importrows.append_rows(spec, sheets.get(spec.name), records, changes))
    else:
        clients = sheets.get(schema.CLIENTS.name)
        if plan.new_clients:
            add(
                schema.CLIENTS.name,
                importrows.append_rows(schema.CLIENTS, clients, plan.new_clients),
            )
        add(spec.name, importrows.append_rows(spec, sheets.get(spec.name), records, changes))
    for listing, names, key in (
        (schema.PAYERS, plan.new_payers, "payer"),
        (schema.PROVIDERS, plan.new_providers, "provider"),
    ):
        if names:
            rows = [{key: n, "active": True} for n in names]
            add(listing.name, importrows.append_rows(listing, sheets.get(listing.name), rows))
    rejects = [(r.row, r.reason, r.cells) for r in plan.rejects]
    reject_write, new_rejects = importrows.reject_writes(
        sheets.get(schema.IMPORT_REJECTS.name), source.file_name, rejects
    )
    if reject_write is not None:
        add(schema.IMPORT_REJECTS.name, reject_write)
    if importrows.has_audit_log():

        def entry(sheet, row, name, old, new, values) -> dict:
            header = sheet.by_field[name].header
            auth_no, client_id = cell_value(values.get("auth_no")), values.get("client_id")
            old, new = cell_value(old), cell_value(new)  # Y/N, as the cells show them
            return audit_row(
                now, user, IMPORT_ACTION, sheet.name, row, header, old, new, auth_no, client_id
            )

        # one entry per input cell of each new row (as bulk add logs), then per changed cell
        entries = []
        added = [(spec, [values for _, values in plan.new_records])]
        if plan.kind != "clients":
            added.insert(0, (schema.CLIENTS, plan.new_clients))
        for sheet, rows in added:
            first = importrows.first_new_row(sheets.get(sheet.name))
            for at, values in enumerate(rows, start=first):
                for name, value in values.items():
                    if value is not None and name in sheet.by_field:
                        entries.append(entry(sheet, at, name, None, value, values))
        for ch in plan.changes:
            values = {"auth_no": ch.auth_no, "client_id": ch.client_id}
            entries.append(entry(spec, ch.row, ch.field, ch.old, ch.new, values))
        if entries:
            add(schema.AUDIT_LOG.name, audit_log_write(sheets, entries))
    return writes, new_rejects


def apply_import(
    store, sheets: dict[str, SheetRead], writes: dict[str, SheetWrite], today: date, user: str
) -> Computed:
    """Write an accepted import's cells and refresh, in one save."""
    return apply_and_refresh(store, sheets, writes, today, user=user)


# --- export ------------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[object]]) -> None:
    """One CSV file, UTF-8 with its header row, every cell through ``csv_text`` (formula-
    looking text behind a single quote), written beside the target and moved into place."""

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            for row in rows:
                writer.writerow([csv_text(v) for v in row])

    replace_atomically(path, write, backup=False)


def export_tables(store, target: Path) -> list[tuple[str, int]]:
    """Every sheet of ``store`` as ``TABLE.csv`` in the folder ``target`` (made if missing):
    the files written and their data rows. Raises OSError when the folder cannot be written."""
    with many_objects():  # (no collector runs over the rows read)
        sheets = store.read_sheets([s.name for s in schema.SHEETS])
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in schema.SHEETS:
        read = sheets.get(spec.name)
        if read is None:
            continue
        rows = importrows.export_rows(read)
        name = f"{spec.table}.csv"
        write_csv(target / name, rows)
        written.append((name, len(rows) - 1))
    return written
