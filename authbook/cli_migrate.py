"""Moving in and out: ``authbook import`` (a spreadsheet tracker into the workbook) and
``authbook export`` (every table of the workbook as CSV files).

Import reads an .xlsx/.xlsm or .csv tracker, finds its header row, maps its columns, converts
every cell with the workbook's own parsers, and — after showing what it will do and asking —
appends the new rows, updates changed cells of rows it imported before, copies every row it
cannot use to the Import Rejects sheet, saves atomically (``PATH.bak`` kept) and refreshes.
Every source row is accounted for: ``imported + rejected + skipped = rows read``.

No client name, date of birth or member number is printed: they go into the workbook only.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path

from authbook.output import confirm, show
from authbook.rules import importing
from authbook.services import migrate
from authbook.workbook.privacy import may_show

MAX_REJECT_LINES = 20
MAX_CHANGE_LINES = 40


def _cli():
    # cli loads this module to run one of its commands; looked up when used, not at import
    from authbook import cli

    return cli


# --- mapping files ------------------------------------------------------------------------------


def read_map(path: Path) -> dict:
    """A mapping file: ``kind``, ``sheet``, ``header_row``, ``date_order`` and a ``[columns]``
    table of "source header" = "field" ("" leaves a column out)."""
    try:
        # only a mapping file needs a TOML reader
        import tomllib
    except ModuleNotFoundError:
        # Python 3.10: the same reader, from PyPI
        import tomli as tomllib

    cli = _cli()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise cli.UsageError(f"mapping file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise cli.UsageError(f"mapping file {path.name} is not valid TOML: {exc}") from None
    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise cli.UsageError(
            f'mapping file {path.name}: [columns] must hold lines like "Header" = "field"'
        )
    order = data.get("date_order")
    if order is not None and order not in ("MDY", "DMY", "YMD"):
        raise cli.UsageError(f"mapping file {path.name}: date_order must be MDY, DMY or YMD")
    kind = data.get("kind")
    if kind is not None and kind not in importing.KINDS:
        raise cli.UsageError(f"mapping file {path.name}: kind must be auths, clients or notes")
    header_row = data.get("header_row")
    if header_row is not None and not (isinstance(header_row, int) and header_row >= 1):
        raise cli.UsageError(f"mapping file {path.name}: header_row must be a row number")
    return data


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def starter_map(plan: importing.ImportPlan, layout: importing.Layout, source) -> str:
    """The text of a mapping file that does what this import would do, to edit."""
    lines = [
        f"# How 'authbook import' reads {source.file_name}. Edit it, then import with",
        f"#   authbook import {source.file_name} --into PATH --map THIS_FILE",
        f"kind = {_toml_string(plan.kind)}",
    ]
    if source.sheet:
        lines.append(f"sheet = {_toml_string(source.sheet)}")
    if plan.header_row:
        lines.append(f"header_row = {plan.header_row}")
    lines += [
        f"date_order = {_toml_string(plan.date_order)}  # MDY (US), DMY (day first) or YMD",
        "",
        '# "Source header" = "AuthBook field"; "" leaves the column out. Fields:',
    ]
    names = layout.fields()
    for i in range(0, len(names), 6):
        lines.append("#   " + ", ".join(names[i : i + 6]))
    lines += ["", "[columns]"]
    for column in plan.columns:
        if column.field:
            lines.append(f"{_toml_string(column.header)} = {_toml_string(column.field)}")
        elif column.how == "computed by AuthBook":
            lines.append(f'{_toml_string(column.header)} = ""  # computed by AuthBook')
        else:
            note = "kept in Comments" if plan.kind == "auths" else "left out"
            lines.append(
                f'# {_toml_string(column.header)} = ""  # {column.how}: {note}; '
                "name a field to import it"
            )
    return "\n".join(lines) + "\n"


# --- printing -----------------------------------------------------------------------------------


def _redact(reason: str) -> str:
    """A reason without the quoted cell values (they may be names or dates of birth)."""
    return re.sub(r"'[^']*'", "a value", reason)


def print_mapping(plan: importing.ImportPlan, layout: importing.Layout, source) -> None:
    where = f"sheet '{source.sheet}' of {source.file_name}" if source.sheet else source.file_name
    if source.is_csv:
        delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}[source.delimiter]
        where += f" ({source.encoding}, {delimiter}-separated)"
    print(f"reading {where}")
    if plan.header_row is None:
        print("no header row found in the first rows: name the columns in a --map file")
        return
    titles = sum(1 for o in plan.outcomes if o.status == "title")
    extra = f" ({titles} title row{'s' if titles != 1 else ''} above it)" if titles else ""
    print(f"header: row {plan.header_row}{extra}; columns:")
    width = max((len(c.header) for c in plan.columns), default=0)
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.workbook.schema import column_letter

    for c in plan.columns:
        letter = column_letter(c.index + 1)
        if c.field:
            target = layout.header_of(c.field)
            print(f"  {letter:>2} {c.header:<{width}} -> {target} ({c.how})")
        elif c.how == "not recognised" and plan.kind == "auths":
            print(f"  {letter:>2} {c.header:<{width}} -> kept in Comments (not recognised)")
        else:
            print(f"  {letter:>2} {c.header:<{width}} -> not imported ({c.how})")
    print(f"dates read as {plan.date_order} ({plan.date_order_reason})")
    if migrate.uses_decimal_comma(source):
        print("numbers read with a decimal comma (12,5), as semicolon-separated files write them")


def print_plan(plan: importing.ImportPlan, spec, new_rejects: int) -> None:
    counts = plan.counts
    print(
        f"to write: {len(plan.new_records)} new {spec.name} row(s), "
        f"{len(plan.changes)} changed cell(s) in {counts['updated']} row(s), "
        f"{len(plan.new_clients)} new client(s), "
        f"{len(plan.new_payers)} new payer(s), {len(plan.new_providers)} new provider(s), "
        f"{new_rejects} row(s) to Import Rejects"
    )
    rejected = [o for o in plan.outcomes if o.status == "rejected"]
    for o in rejected[:MAX_REJECT_LINES]:
        print(f"  rejected row {o.row}: {_redact(o.reason or '')}")
    if len(rejected) > MAX_REJECT_LINES:
        print(f"  ... and {len(rejected) - MAX_REJECT_LINES} more (see Import Rejects)")


def accounting(plan: importing.ImportPlan) -> str:
    """The closing line: every source row accounted for."""
    c = plan.counts
    imported = ", ".join(f"{s} {c[s]}" for s in importing.IMPORTED if c[s])
    skipped = ", ".join(f"{s} {c[s]}" for s in importing.SKIPPED if c[s])
    return (
        f"rows read {plan.rows_read} = imported {plan.imported}"
        + (f" ({imported})" if imported else "")
        + f" + rejected {plan.rejected} + skipped {plan.skipped}"
        + (f" ({skipped})" if skipped else "")
    )


def print_changes(plan: importing.ImportPlan, spec, logged: bool) -> None:
    if not plan.changes:
        return
    if logged:
        print(f"{len(plan.changes)} changed cell(s) logged in the AuditLog sheet")
        return
    print("changed cells:")
    for ch in plan.changes[:MAX_CHANGE_LINES]:
        column = spec.by_field[ch.field]
        if column.kind == "text" or column.sensitive:
            what = "changed"  # text may be a name (see workbook.privacy)
        else:
            what = " -> ".join(
                _show(v) if may_show(column.kind, False, v, column.choices) else "(text)"
                for v in (ch.old, ch.new)
            )
        print(f"  {spec.name} row {ch.row} [{ch.key}] {column.header}: {what}")
    if len(plan.changes) > MAX_CHANGE_LINES:
        print(f"  ... and {len(plan.changes) - MAX_CHANGE_LINES} more")


def _show(value: object) -> str:
    return show(value, "(blank)")


# --- import -------------------------------------------------------------------------------------


def cmd_import(args) -> int:
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.parallel.collector import many_objects
    from authbook.services.audit import current_user
    from authbook.services.report import summary
    from authbook.workbook import importrows, sources
    from authbook.workbook.xlsxfile import FastWorkbookFile, RefreshLock

    cli = _cli()
    src, into = Path(args.src), Path(args.into)
    mapping = read_map(Path(args.map)) if args.map and Path(args.map).exists() else {}
    if args.map and not mapping and not args.dry_run:
        raise cli.UsageError(
            f"mapping file {args.map} does not exist (--dry-run writes a starter one)"
        )
    kind = args.kind or mapping.get("kind") or "auths"
    try:
        source = sources.read_source(src, args.sheet or mapping.get("sheet"))
    except sources.SourceError as exc:
        raise cli.UsageError(str(exc)) from None
    if not into.exists():
        raise cli.UsageError(f"{into} does not exist; create it first with 'authbook new {into}'")
    layout = migrate.layout_for(kind)
    spec = migrate.record_sheet(kind)
    wrong = importing.check_map(
        source.rows, layout, mapping.get("columns"), mapping.get("header_row")
    )
    if wrong:
        raise cli.UsageError(f"mapping file {Path(args.map).name}: {wrong}")
    user = current_user(args.user)
    with RefreshLock(into), many_objects():  # (no collector runs over the rows read)
        store = FastWorkbookFile(into)
        sheets, raw = migrate.read_target(store)
        plan = migrate.plan_import(source, layout, raw, mapping)
        print_mapping(plan, layout, source)
        writes, new_rejects = migrate.plan_writes(plan, sheets, source, user, datetime.now())
        print_plan(plan, spec, new_rejects)
        if args.dry_run:
            _write_starter_map(args, src, plan, layout, source)
            print("dry run: nothing written")
            print(accounting(plan))
            return 0
        if not writes:
            print(f"nothing to change in {into.name}")
            print(accounting(plan))
            return 1 if plan.rejected else 0
        if not args.yes and not confirm(f"write these changes to {into.name}?"):
            print("nothing written")
            return 0
        computed = migrate.apply_import(store, sheets, writes, cli.today(), user)
    print(f"imported into {into} (previous version kept as {into.name}.bak)")
    print_changes(plan, spec, logged=importrows.has_audit_log())
    print(summary(computed))
    print(accounting(plan))
    return 1 if plan.rejected or computed.problems else 0


def _write_starter_map(args, src: Path, plan, layout, source) -> None:
    target = Path(args.map) if args.map else src.with_name(src.stem + ".map.toml")
    if target.exists():
        print(f"mapping file {target} exists: kept as it is")
        return
    try:
        target.write_text(starter_map(plan, layout, source), encoding="utf-8")
    except OSError as exc:
        raise _cli().UsageError(
            f"nothing was imported, and the mapping file {target} could not be written "
            f"({exc.strerror or exc}): give --map a path in a folder you can write"
        ) from None
    print(f"wrote the mapping it chose to {target}: edit it and import with --map {target}")


# --- export -------------------------------------------------------------------------------------


def cmd_export(args) -> int:
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.services.migrate import export_tables
    from authbook.workbook.xlsxfile import FastWorkbookFile

    cli = _cli()
    store = FastWorkbookFile(Path(args.path))
    target = Path(args.to)
    if target.exists() and not target.is_dir():
        raise cli.UsageError(f"{target} is a file; --to needs a folder")
    try:
        written = [f"{name} ({rows})" for name, rows in export_tables(store, target)]
    except OSError as exc:
        raise cli.UsageError(f"could not write to {target}: {exc.strerror or exc}") from None
    print(f"exported {len(written)} tables to {target}: " + ", ".join(written))
    return 0


def register(sub) -> None:
    """Add ``import`` and ``export`` to the ``authbook`` command."""
    p = sub.add_parser(
        "import",
        help="import a spreadsheet tracker (.xlsx, .csv) into the workbook",
        description="Import an existing tracker: finds the header row (even below title rows), "
        "maps the columns by name and common synonyms, converts dates and units like the "
        "workbook does, creates missing clients, payers and providers, and copies rows it "
        "cannot use to the Import Rejects sheet. Importing the same file again changes "
        "nothing; a newer version updates the changed cells. Shows what it will do and asks "
        "first unless --yes; saves atomically (PATH.bak kept), then refreshes.",
    )
    p.add_argument("src", help="the tracker: .xlsx, .xlsm or .csv (any common encoding)")
    p.add_argument("--into", required=True, metavar="PATH", help="the AuthBook workbook")
    p.add_argument(
        "--kind",
        choices=importing.KINDS,
        help="what each row is: an auth (default), a client or a note (session)",
    )
    p.add_argument("--sheet", help="which sheet of an .xlsx tracker (default: the first)")
    p.add_argument(
        "--map",
        metavar="MAP.toml",
        help="a mapping file (source header = field) that overrides the detected mapping",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would happen and write a starter mapping file (SRC.map.toml, or "
        "--map's path when it does not exist yet); the workbook is not changed",
    )
    p.add_argument("--yes", action="store_true", help="write without asking")
    p.add_argument("--user", help="name recorded for changes (default $AUTHBOOK_USER)")
    p.set_defaults(run=cmd_import)

    p = sub.add_parser(
        "export",
        help="write every table of the workbook as CSV files (UTF-8, with header)",
        description="Write each sheet (Clients, Auths, Notes, ...) to DIR/<Table>.csv, UTF-8 "
        "with a header row; dates as YYYY-MM-DD. Text starting with = + - @, a tab or a "
        "carriage return gets a leading single quote so no spreadsheet runs it as a formula "
        "(text starting with a quote gets one more); 'authbook import' removes that quote.",
    )
    p.add_argument("path")
    p.add_argument("--to", required=True, metavar="DIR", help="folder for the CSV files")
    p.set_defaults(run=cmd_export)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_cli().main())
