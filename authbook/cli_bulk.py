"""Bulk commands (seed 001, "Bulk Add or Update"): ``authbook bulk-add`` puts every code of a
billing-code group on many clients; ``authbook bulk-update`` changes the auths a filter lists,
only in the columns named. Both show what they will do and ask before writing (``--yes``
skips the question), log every changed input cell to the AuditLog sheet, stamp Last Edited
Date/By, and refresh the workbook in the same save.

Exit status: 0 done; 1 done, and the workbook has data problems (see the Problems sheet);
2 nothing written (a usage error, a value that cannot be used, or not confirmed).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from authbook.output import confirm, show

# The services, rules and workbook modules are imported inside the commands, not here:
# `authbook bulk-add --help` builds this parser and must load nothing heavy
# (tests/test_startup.py); ``_cli`` likewise, as cli imports this module by name.

SAMPLE_ROWS = 5

VISIBLE_HELP = (
    "the rows left visible by the AutoFilter saved in the file (filter in Excel, save, then "
    "run this). Rows hidden by hand count as hidden too: a file does not say why a row is "
    "hidden"
)
WHERE_HELP = (
    "COLUMN=VALUE: keep rows whose COLUMN holds VALUE; VALUE may be a comma list "
    "(Payer=Aetna,Cigna) or empty (a blank cell). COLUMN<VALUE, <=, >, >= compare dates "
    "and numbers ('End Date<=6/30/2026', 'Remaining Units<3'); COLUMN~TEXT keeps cells "
    "containing TEXT ('Alert~EXPIRING'). Repeat to narrow further (conditions are ANDed). "
    "Column names are matched ignoring case and spacing"
)
_CONDITION = re.compile(r"^([^<>=~]*?)\s*(<=|>=|<|>|~|=)(.*)$", re.S)


def _cli():
    from authbook import cli

    return cli


def _show(value: object) -> str:
    return show(value, "(blank)")


def _edit(column, change) -> str:
    """``End Date 03/31/2026 -> 06/30/2026`` for a preview. Of a text column only the new
    value is shown (the user's own --set): the cell's text may be a name (see
    ``workbook.privacy``)."""
    from authbook.workbook.privacy import may_show

    def shown(value: object) -> str:
        if may_show(column.kind, column.sensitive, value, column.choices):
            return _show(value)
        return "(text)"

    if column.kind == "text" and not column.sensitive:
        return f"{column.header} -> {_show(change.new)}"
    return f"{column.header} {shown(change.old)} -> {shown(change.new)}"


def capped(lines: list[str], limit: int = 10) -> str:
    """``lines`` joined with '; ', the first ``limit`` of them and how many more."""
    more = len(lines) - limit
    return "; ".join(lines[:limit]) + (f"; ... and {more} more" if more > 0 else "")


def split_assignment(text: str, option: str) -> tuple[str, str]:
    """``COLUMN=VALUE`` -> (column, value); a missing '=' is a usage error."""
    column, sep, value = text.partition("=")
    if not sep or not column.strip():
        raise _cli().UsageError(f"{option} {text!r}: write it as COLUMN=VALUE")
    return column.strip(), value.strip()


def _values(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",")) if text.strip() else ("",)


def split_condition(text: str) -> tuple[str, str, tuple[str, ...]]:
    """``COLUMN=VALUE`` (or ``<``, ``<=``, ``>``, ``>=``, ``~``) -> (column, operator,
    values): a comma list for ``=``, the one value otherwise."""
    found = _CONDITION.match(text)
    if not found or not found.group(1).strip():
        raise _cli().UsageError(
            f"--where {text!r}: write it as COLUMN=VALUE (or COLUMN<VALUE, <=, >, >=, COLUMN~TEXT)"
        )
    column, op, value = found.group(1).strip(), found.group(2), found.group(3).strip()
    return column, op, (_values(value) if op == "=" else (value,))


def auth_wheres(texts: list[str]):
    """``--where`` texts for Auths: Auths columns, or the client's Division, Client Group,
    Primary Therapist or Primary Payer."""
    from authbook.rules.bulk import CLIENT_FILTER_FIELDS, Where
    from authbook.workbook import changes, schema

    wheres = []
    for text in texts:
        name, op, values = split_condition(text)
        column = changes.find_column(schema.CLIENTS, name)
        if column is not None and column.field in CLIENT_FILTER_FIELDS:
            wheres.append(
                Where(field=column.field, values=values, on_client=True, label=name, op=op)
            )
            continue
        column = changes.find_column(schema.AUTHS, name)
        if column is None or column.sensitive:
            usable = [c.header for c in schema.AUTHS.columns if not c.sensitive] + [
                schema.CLIENTS.column(f).header for f in CLIENT_FILTER_FIELDS
            ]
            raise _cli().UsageError(
                f"--where: '{name}' is not a column auths can be filtered by; use one of: "
                + ", ".join(dict.fromkeys(usable))
            )
        wheres.append(Where(field=column.field, values=values, label=name, op=op))
    return wheres


def client_wheres(texts: list[str]):
    """``--where`` texts for Clients: any Clients column."""
    from authbook.rules.bulk import Where
    from authbook.workbook import changes, schema

    wheres = []
    for text in texts:
        name, op, values = split_condition(text)
        column = changes.find_column(schema.CLIENTS, name)
        if column is None:
            raise _cli().UsageError(
                f"--where: the Clients sheet has no column '{name}'; use one of: "
                + ", ".join(schema.CLIENTS.headers)
            )
        wheres.append(Where(field=column.field, values=values, label=name, op=op))
    return wheres


def _visible(sheets, spec, yes: bool):
    """The rows --visible takes. A sheet with no saved filter and no hidden rows has every
    row visible: said before the question; with --yes (no question) it is refused."""
    from authbook.workbook import changes

    read = sheets.get(spec.name)
    if read is None:
        raise _cli().UsageError(f"the workbook has no {spec.name} sheet")
    rows = changes.visible_rows(read)
    if not read.hidden_rows:
        if yes and read.filter_ref is None:
            raise _cli().UsageError(
                f"--visible: the {spec.name} sheet has no saved filter and no hidden rows, so "
                "every row would be taken; filter it in Excel and save, or use --where"
            )
        print(
            f"--visible: no row of the {spec.name} sheet is hidden (no filter is saved in the "
            f"file): every row is visible, so all {len(rows)} are taken"
        )
    return rows


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not confirm(question):
        raise _cli().UsageError("not confirmed; nothing was changed (--yes skips the question)")


def _refuse(plan, sheets) -> int:
    """Print why a plan cannot be applied (once per distinct reason); nothing is written."""
    from authbook.workbook import schema
    from authbook.workbook.records import describe_problem

    seen: set[str] = set()
    limit = _cli().MAX_PROBLEM_LINES
    for problem in plan.problems:
        spec = schema.BY_NAME.get(problem.source.sheet)
        column = spec.by_field.get(problem.field) if spec and problem.field else None
        header = column.header if column else (problem.field or problem.source.sheet)
        if problem.source.row == 1:  # an option's value, not a cell
            line = f"{header}: {problem.message}"
        elif plan.action == "bulk add" and problem.source.row in plan.rows:
            line = f"new auths ({header}): {problem.message}"
        else:
            line = describe_problem(problem, sheets)
        if line not in seen:
            seen.add(line)
            if len(seen) <= limit:
                print(f"authbook: {line}", file=sys.stderr)
    if len(seen) > limit:  # 15,000 unknown --clients are not 15,000 lines
        print(f"authbook: ... and {len(seen) - limit} more like these", file=sys.stderr)
    print("authbook: nothing was changed", file=sys.stderr)
    return 2


def _finish(store, sheets, plan, user: str, args, what: str) -> int:
    from authbook.services.bulk import apply_plan
    from authbook.services.report import summary

    cli = _cli()
    computed = apply_plan(store, sheets, plan, user, cli.today(), args.as_of)
    cli.report_problems(computed)
    print(f"{what}; {len(plan.changes)} changed cells logged to the AuditLog sheet")
    print(summary(computed))
    return 1 if computed.problems else 0


def _open(path: Path):
    from authbook.services.bulk import read_for_bulk
    from authbook.workbook import schema
    from authbook.workbook.xlsxfile import FastWorkbookFile

    store = FastWorkbookFile(path)
    # the input sheets (not those a refresh rebuilds)
    sheets, raw = read_for_bulk(store, [s.name for s in schema.INPUT_SHEETS])
    if schema.AUTHS.name not in sheets:
        raise _cli().UsageError(f"{path.name} has no {schema.AUTHS.name} sheet")
    return store, sheets, raw


def _date_moves(changes, spec) -> list[str]:
    """``End Date: 143 rows later, 22 earlier`` for each date column a plan sets: a date set
    on many rows may extend most of them and shorten some."""
    from authbook.rules.values import parse_date

    moves: dict[str, dict[str, int]] = {}
    for change in changes:
        column = spec.by_field.get(change.field)
        if column is None or column.kind != "date":
            continue
        old, _ = parse_date(change.old)
        new, _ = parse_date(change.new)
        if old is None or new is None:
            kind = "blank before" if old is None else "cleared"
        else:
            kind = "later" if new > old else "earlier"
        counts = moves.setdefault(column.header, {})
        counts[kind] = counts.get(kind, 0) + 1
    lines = []
    for header, counts in moves.items():
        parts = [
            f"{counts[k]} {k}"
            for k in ("later", "earlier", "blank before", "cleared")
            if k in counts
        ]
        lines.append(
            f"{header}: "
            + ", ".join(parts)
            + (" (check the earlier ones)" if "earlier" in counts else "")
        )
    return lines


# --- bulk-add ---------------------------------------------------------------------------------


def cmd_bulk_add(args) -> int:
    from authbook.parallel.collector import many_objects
    from authbook.rules import bulk
    from authbook.services.audit import current_user
    from authbook.services.bulk import plan_add
    from authbook.workbook import schema
    from authbook.workbook.xlsxfile import RefreshLock

    cli = _cli()
    path = Path(args.path)
    with RefreshLock(path), many_objects():  # (no collector runs over the rows read)
        store, sheets, raw = _open(path)
        if args.clients:
            ids = [c.strip() for c in args.clients.split(",") if c.strip()]
            how = "listed"
        elif args.where:
            ids, errors = bulk.select_client_ids(raw, client_wheres(args.where))
            if errors:
                raise cli.UsageError("--where " + capped(errors))
            how = "matching --where"
        else:
            rows = _visible(sheets, schema.CLIENTS, args.yes)
            ids = bulk.client_ids_of_rows(raw, rows)
            how = "visible"
        if not ids:
            raise cli.UsageError(f"no client is {how}; nothing was changed")
        values = {
            "start_date": args.start,
            "end_date": args.end,
            "allotted_units": args.allotted,
            "prior_units_used": args.prior,
            "unit_alert_level": args.unit_alert,
            "exp_alert_days": args.exp_alert_days,
            "auth_group": args.auth_group,
            "unmanaged": args.unmanaged,
            "payer": args.payer,
            "provider": args.provider,
        }
        user = current_user(args.user)
        plan = plan_add(sheets, raw, args.code_group, ids, values, user, cli.today())
        if not plan.ok:
            return _refuse(plan, sheets)
        clients = sorted({c.client_id for c in plan.changes}, key=ids.index)
        count = len(plan.rows)
        print(
            f"{count} new auth{'s' if count != 1 else ''}: code group '{args.code_group}' "
            f"({count // max(len(clients), 1)} codes) for {len(clients)} client"
            f"{'s' if len(clients) != 1 else ''} ({how}), Auths rows {plan.rows[0]}-{plan.rows[-1]}"
        )
        by_row: dict[int, dict[str, object]] = {}
        for change in plan.changes:
            by_row.setdefault(change.source.row, {})[change.field] = change.new
        for row in plan.rows[:SAMPLE_ROWS]:
            v = by_row[row]
            print(
                f"  {v['auth_no']}  {v['client_id']}  {v['billing_code']}  "
                f"{_show(v.get('start_date'))}-{_show(v.get('end_date'))}  "
                f"{_show(v.get('allotted_units'))} units"
                + (f"  group {v['auth_group']}" if v.get("auth_group") else "")
            )
        if count > SAMPLE_ROWS:
            print(f"  ... and {count - SAMPLE_ROWS} more")
        _confirm(f"Add these {count} auths to {path.name}?", args.yes)
        return _finish(store, sheets, plan, user, args, f"added {count} auths")


# --- bulk-update ------------------------------------------------------------------------------


def cmd_bulk_update(args) -> int:
    from authbook.parallel.collector import many_objects
    from authbook.rules import bulk
    from authbook.services.audit import current_user
    from authbook.services.bulk import plan_update
    from authbook.workbook import changes, schema
    from authbook.workbook.xlsxfile import RefreshLock

    cli = _cli()
    path = Path(args.path)
    sets: dict[str, str] = {}
    for text in args.set:
        name, value = split_assignment(text, "--set")
        column = changes.find_column(schema.AUTHS, name)
        if column is None:
            raise cli.UsageError(f"--set: the Auths sheet has no column '{name}'")
        if column.computed:
            raise cli.UsageError(
                f"--set: '{column.header}' is computed by AuthBook on every refresh; "
                "it cannot be set"
            )
        if column.field in sets:
            raise cli.UsageError(f"--set: '{column.header}' is given twice")
        sets[column.field] = value
    wheres = auth_wheres(args.where) if args.where else None
    with RefreshLock(path), many_objects():  # (no collector runs over the rows read)
        store, sheets, raw = _open(path)
        auth_rows = {r.source.row for r in raw.auths}
        if wheres is not None:
            rows, errors = bulk.select_auth_rows(raw, wheres)
            if errors:
                raise cli.UsageError("--where " + capped(errors))
            how = "matching --where"
        else:
            rows = [r for r in _visible(sheets, schema.AUTHS, args.yes) if r in auth_rows]
            how = "visible"
        if not rows:
            raise cli.UsageError(f"no auth is {how}; nothing was changed")
        user = current_user(args.user)
        plan = plan_update(raw, rows, sets, user, cli.today())
        if not plan.ok:
            return _refuse(plan, sheets)
        headers = ", ".join(schema.AUTHS.column(f).header for f in sets)
        changed = plan.changed_rows
        print(
            f"{len(rows)} auth{'s' if len(rows) != 1 else ''} {how}; setting {headers} "
            f"changes {len(changed)} of them ({len(plan.changes)} cells)"
        )
        if not changed:
            print("nothing to change: every listed auth already holds these values")
            return 0
        for line in _date_moves(plan.changes, schema.AUTHS):
            print(line)
        by_row: dict[int, list] = {}
        for change in plan.changes:
            by_row.setdefault(change.source.row, []).append(change)
        for row in changed[:SAMPLE_ROWS]:
            first = by_row[row][0]
            edits = "; ".join(_edit(schema.AUTHS.column(c.field), c) for c in by_row[row])
            print(f"  row {row}  {first.auth_no or ''}  {first.client_id or ''}  {edits}")
        if len(changed) > SAMPLE_ROWS:
            print(f"  ... and {len(changed) - SAMPLE_ROWS} more")
        _confirm(f"Update these {len(changed)} auths in {path.name}?", args.yes)
        return _finish(store, sheets, plan, user, args, f"updated {len(changed)} auths")


# --- parser -----------------------------------------------------------------------------------


def _common(p) -> None:
    cli = _cli()
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--user",
        help="name for Last Edited By and the AuditLog (default $AUTHBOOK_USER, "
        "else the login name)",
    )
    p.add_argument("--as-of", type=cli.cli_date, help="refresh as of this date (default: Settings)")


def register(sub) -> None:
    """Add ``bulk-add`` and ``bulk-update`` to the ``authbook`` command."""
    p = sub.add_parser(
        "bulk-add",
        help="add every code of a billing-code group to many clients",
        description="Add one auth per billing code of a CodeGroups group to each selected "
        "client, with new Auth #s. Values are checked like typed rows; on any problem nothing "
        "is written. Shows what it will add and asks first unless --yes. Every new cell is "
        "logged to the AuditLog sheet, and the workbook is refreshed.",
    )
    p.add_argument("path")
    p.add_argument("--code-group", required=True, metavar="NAME", help="CodeGroups group name")
    pick = p.add_mutually_exclusive_group(required=True)
    pick.add_argument("--clients", metavar="ID,ID...", help="Client IDs, comma-separated")
    pick.add_argument(
        "--where", action="append", metavar="COLUMN=VALUE", help=WHERE_HELP + " (Clients columns)"
    )
    pick.add_argument("--visible", action="store_true", help="Clients: " + VISIBLE_HELP)
    p.add_argument("--allotted", required=True, metavar="N", help="Allotted Units")
    p.add_argument("--prior", metavar="N", help="Prior Units Used")
    p.add_argument("--start", required=True, metavar="DATE", help="Start Date")
    p.add_argument("--end", required=True, metavar="DATE", help="End Date")
    p.add_argument("--unit-alert", metavar="N", help="Unit Alert Level")
    p.add_argument("--exp-alert-days", metavar="N", help="Exp Alert Days")
    p.add_argument("--auth-group", metavar="NAME", help="Auth Group (from the AuthGroups sheet)")
    p.add_argument("--unmanaged", action="store_true", help="Unmanaged = Y")
    p.add_argument("--payer", metavar="P", help="Payer (from the Payers sheet)")
    p.add_argument("--provider", metavar="P", help="Provider (from the Providers sheet)")
    _common(p)
    p.set_defaults(run=cmd_bulk_add)

    p = sub.add_parser(
        "bulk-update",
        help="change the auths a filter lists, only in the columns named",
        description="Set the --set columns on every Auths row the filter lists; other columns "
        "stay as they are. Values are checked like typed rows; on any problem nothing is "
        "written. Shows the count and a few rows and asks first unless --yes. Every changed "
        "cell is logged to the AuditLog sheet, Last Edited Date/By are set on the changed "
        "rows, and the workbook is refreshed.",
    )
    p.add_argument("path")
    pick = p.add_mutually_exclusive_group(required=True)
    pick.add_argument(
        "--where",
        action="append",
        metavar="COLUMN=VALUE",
        help=WHERE_HELP + " (Auths columns, or the client's Division, Client Group, Primary "
        "Therapist, Primary Payer)",
    )
    pick.add_argument("--visible", action="store_true", help="Auths: " + VISIBLE_HELP)
    p.add_argument(
        "--set",
        action="append",
        required=True,
        metavar="COLUMN=VALUE",
        help="a column to change and its new value (empty clears it); repeat for more columns. "
        "Computed columns cannot be set",
    )
    _common(p)
    p.set_defaults(run=cmd_bulk_update)
