"""Bulk commands (seed 001, "Bulk Add or Update"): ``authbook bulk-add`` puts every code of a
billing-code group on many clients; ``authbook bulk-update`` changes the auths a filter lists,
only in the columns named. Both show what they will do and ask before writing (``--yes``
skips the question), log every changed input cell to the AuditLog sheet, stamp Last Edited
Date/By, and refresh the workbook in the same save.

Exit status: 0 done; 1 done, and the workbook has data problems (see the Problems sheet);
2 nothing written (a usage error, a value that cannot be used, or not confirmed).
"""

from __future__ import annotations

import sys
from pathlib import Path

from authbook.output import confirm, show

# What the commands run is in ``services.bulk`` (their input text is read by
# ``services.bulkinput``); both are imported inside the commands, not here: `authbook
# bulk-add --help` builds this parser and must load nothing heavy (tests/test_startup.py).
# ``_cli`` likewise, as cli imports this module by name.

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


def _cli():
    # cli loads this module to run one of its commands; looked up when used, not at import
    from authbook import cli

    return cli


def _show(value: object) -> str:
    return show(value, "(blank)")


def _edit(edit) -> str:
    """``End Date 03/31/2026 -> 06/30/2026`` for a preview. Of a text column only the new
    value is shown (the user's own --set): the cell's text may be a name (see
    ``workbook.privacy``)."""

    def shown(value: object, may: bool) -> str:
        return _show(value) if may else "(text)"

    if edit.only_new:
        return f"{edit.header} -> {_show(edit.new)}"
    return f"{edit.header} {shown(edit.old, edit.old_shown)} -> {shown(edit.new, edit.new_shown)}"


def capped(lines: list[str], limit: int = 10) -> str:
    """``lines`` joined with '; ', the first ``limit`` of them and how many more."""
    more = len(lines) - limit
    return "; ".join(lines[:limit]) + (f"; ... and {more} more" if more > 0 else "")


def _parsed(read, *args):
    """``read(*args)`` (a ``services.bulkinput`` reader); input it cannot use is a usage
    error."""
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.services.bulkinput import BulkInputError

    try:
        return read(*args)
    except BulkInputError as exc:
        raise _cli().UsageError(str(exc)) from None


def _asked(question: str, yes: bool) -> bool:
    return yes or confirm(question)


def _say_every_row_visible(result, sheet: str) -> None:
    """--visible on a sheet with nothing hidden takes every row: said before the question."""
    if result.every_row_visible is not None:
        print(
            f"--visible: no row of the {sheet} sheet is hidden (no filter is saved in the "
            f"file): every row is visible, so all {result.every_row_visible} are taken"
        )


def _stopped(result, sheet: str, how: str, what: str) -> int:
    """Say why ``result`` wrote nothing (exit 2), or what it wrote (exit 0, or 1 when the
    workbook has data problems)."""
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.services.bulk import Stop
    from authbook.services.report import summary

    cli = _cli()
    stop = result.stop
    if stop is None:
        cli.report_problems(result.computed)
        print(f"{what}; {result.cells} changed cells logged to the AuditLog sheet")
        print(summary(result.computed))
        return 1 if result.computed.problems else 0
    if stop is Stop.NOT_CONFIRMED:
        raise cli.UsageError("not confirmed; nothing was changed (--yes skips the question)")
    if stop is Stop.UNFILTERED:
        raise cli.UsageError(
            f"--visible: the {sheet} sheet has no saved filter and no hidden rows, so "
            "every row would be taken; filter it in Excel and save, or use --where"
        )
    if stop is Stop.UNREADABLE_WHERE:
        raise cli.UsageError("--where " + capped(result.where_errors))
    _say_every_row_visible(result, sheet)  # (a question asked has said it already)
    if stop is Stop.NOTHING_SELECTED:
        kind = "auth" if result.action == "bulk update" else "client"
        raise cli.UsageError(f"no {kind} is {how}; nothing was changed")
    if stop is Stop.REFUSED:
        return _refuse(result)
    if stop is Stop.NOTHING_TO_CHANGE:
        _update_head(result, how)
        print("nothing to change: every listed auth already holds these values")
        return 0
    raise AssertionError(stop)  # (HIDDEN_UNKNOWN: only a live workbook cannot tell)


def _refuse(result) -> int:
    """Print why a plan cannot be applied (once per distinct reason); nothing is written."""
    seen: set[str] = set()
    limit = _cli().MAX_PROBLEM_LINES
    for problem in result.problems:
        header = problem.column or problem.sheet
        if problem.on_input:
            line = f"{header}: {problem.message}"
        elif problem.new_row:
            line = f"new auths ({header}): {problem.message}"
        else:
            line = problem.described
        if line not in seen:
            seen.add(line)
            if len(seen) <= limit:
                print(f"authbook: {line}", file=sys.stderr)
    if len(seen) > limit:  # 15,000 unknown --clients are not 15,000 lines
        print(f"authbook: ... and {len(seen) - limit} more like these", file=sys.stderr)
    print("authbook: nothing was changed", file=sys.stderr)
    return 2


def _date_moves(result) -> list[str]:
    """``End Date: 143 rows later, 22 earlier`` for each date column a plan sets."""
    lines = []
    for header, counts in result.date_moves().items():
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
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.services import bulk, bulkinput

    cli = _cli()
    path = Path(args.path)
    if args.clients:
        selection, how = bulk.Listed(tuple(bulkinput.client_ids(args.clients))), "listed"
    elif args.where:
        wheres = _parsed(bulkinput.client_wheres, args.where)
        selection, how = bulk.Matching(tuple(wheres)), "matching --where"
    else:
        selection, how = bulk.Visible(unfiltered_ok=not args.yes), "visible"
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

    def ask(result) -> bool:
        _say_every_row_visible(result, "Clients")
        plan, count, clients = result.plan, result.added, result.added_clients
        print(
            f"{count} new auth{'s' if count != 1 else ''}: code group '{args.code_group}' "
            f"({count // max(clients, 1)} codes) for {clients} client"
            f"{'s' if clients != 1 else ''} ({how}), Auths rows {plan.rows[0]}-{plan.rows[-1]}"
        )
        for row in plan.rows[:SAMPLE_ROWS]:
            v = result.new_rows[row]
            print(
                f"  {v['auth_no']}  {v['client_id']}  {v['billing_code']}  "
                f"{_show(v.get('start_date'))}-{_show(v.get('end_date'))}  "
                f"{_show(v.get('allotted_units'))} units"
                + (f"  group {v['auth_group']}" if v.get("auth_group") else "")
            )
        if count > SAMPLE_ROWS:
            print(f"  ... and {count - SAMPLE_ROWS} more")
        return _asked(f"Add these {count} auths to {path.name}?", args.yes)

    result = bulk.bulk_add_file(
        path, selection, args.code_group, values, args.user, cli.today(), args.as_of, ask
    )
    return _stopped(result, "Clients", how, f"added {result.added} auths")


# --- bulk-update ------------------------------------------------------------------------------


def _update_head(result, how: str) -> None:
    rows = result.rows
    print(
        f"{len(rows)} auth{'s' if len(rows) != 1 else ''} {how}; setting "
        f"{', '.join(result.set_headers)} changes {len(result.changed_rows)} of them "
        f"({result.cells} cells)"
    )


def cmd_bulk_update(args) -> int:
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.services import bulk, bulkinput

    cli = _cli()
    path = Path(args.path)
    sets = _parsed(bulkinput.auth_sets, args.set)
    if args.where:
        wheres = _parsed(bulkinput.auth_wheres, args.where)
        selection, how = bulk.Matching(tuple(wheres)), "matching --where"
    else:
        selection, how = bulk.Visible(unfiltered_ok=not args.yes), "visible"

    def ask(result) -> bool:
        _say_every_row_visible(result, "Auths")
        _update_head(result, how)
        for line in _date_moves(result):
            print(line)
        changed = result.changed_rows
        for row in changed[:SAMPLE_ROWS]:
            edits = result.edits(row)
            first = edits[0]
            shown = "; ".join(_edit(e) for e in edits)
            print(f"  row {row}  {first.auth_no or ''}  {first.client_id or ''}  {shown}")
        if len(changed) > SAMPLE_ROWS:
            print(f"  ... and {len(changed) - SAMPLE_ROWS} more")
        return _asked(f"Update these {len(changed)} auths in {path.name}?", args.yes)

    result = bulk.bulk_update_file(path, selection, sets, args.user, cli.today(), args.as_of, ask)
    return _stopped(result, "Auths", how, f"updated {len(result.changed_rows)} auths")


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
