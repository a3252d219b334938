"""Billing commands: ``authbook check`` (note checks before claims go out), ``authbook report``
(the Dashboard's figures in the terminal) and ``authbook renew`` (copy auths forward as
renewal requests).

``check`` exits 1 when any note would be denied, so a billing script can stop there.
"""

from __future__ import annotations

import json

from authbook.output import print_rows


def _cli():
    # cli loads this module to run one of its commands; looked up when used, not at import
    from authbook import cli

    return cli


# --- check ---------------------------------------------------------------------------------


def cmd_check(args) -> int:
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.services import refresh
    from authbook.workbook import billingrows

    cli = _cli()
    computed = refresh.compute_file(args.path, cli.today(), args.as_of)
    findings = computed.result.findings
    rows = billingrows.check_rows(findings, computed.sheets)
    print_rows(rows[0], rows[1:], args.format)
    denied = {f.source.row for f in findings if f.denies}
    if args.format == "table":
        checked = sum(1 for n in computed.result.book.notes if n.draws_units)
        print(
            f"as of {computed.result.as_of:%m/%d/%Y}: {checked} Pending/Released notes checked, "
            f"{len(findings)} finding{'s' if len(findings) != 1 else ''}, "
            f"{len(denied)} note{'s' if len(denied) != 1 else ''} would be denied"
        )
    return 1 if denied else 0


# --- report --------------------------------------------------------------------------------


def _figure(value: object, code: str | None) -> object:
    if value is None:
        return "-"
    if code == "0.0%":
        return f"{value:.1%}"
    if code == "#,##0.00":
        return f"${value:,.2f}"
    return value


def cmd_report(args) -> int:
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.services import billing, refresh

    cli = _cli()
    computed = refresh.compute_file(args.path, cli.today(), args.as_of)
    heading, panels = billing.dashboard_panels(computed)
    if args.format == "json":
        out = {p.title: [dict(zip(p.shape.headers, row)) for row in p.rows] for p in panels}
        print(json.dumps({"as_of": computed.result.as_of.isoformat(), "panels": out}, indent=2))
        return 0
    print(heading[1].split(".")[0])
    for panel in panels:
        print()
        print(panel.title)
        body = [
            [_figure(v, panel.shape.formats.get(i)) for i, v in enumerate(row, start=1)]
            for row in panel.rows
        ]
        if body:
            print_rows(list(panel.shape.headers), body, "table")
        else:
            print("  (none)")
    return 0


# --- renew ---------------------------------------------------------------------------------


def cmd_renew(args) -> int:
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.services import renew
    from authbook.services.audit import current_user

    cli = _cli()
    if args.units is not None and args.units < 0:
        raise cli.UsageError("--units must be 0 or more")
    try:
        numbers, computed = renew.renew_file(
            args.path,
            args.auth_numbers,
            cli.today(),
            start=args.start,
            units=args.units,
            user=current_user(args.user),
            force=args.force,
        )
    except renew.RenewError as exc:
        raise cli.UsageError(str(exc)) from None
    lines_of: dict[str, list] = {}
    for auth in computed.result.book.auths:
        lines_of.setdefault(auth.auth_no, []).append(auth)
    for old, new in zip(args.auth_numbers, numbers):
        lines = lines_of.get(new, [])
        auth = lines[0] if lines else None
        span = f" {auth.start_date:%m/%d/%Y}-{auth.end_date:%m/%d/%Y}" if auth else ""
        codes = f" ({len(lines)} lines: {', '.join(a.billing_code for a in lines)})"
        print(f"{old} -> {new}{span} Requested" + (codes if len(lines) > 1 else ""))
    cli.report_problems(computed)
    return 1 if computed.problems else 0


def register(sub) -> None:
    """Add ``check``, ``report`` and ``renew`` to the ``authbook`` command."""
    cli = _cli()
    p = sub.add_parser(
        "check",
        help="check Pending and Released notes before billing (exit 1 if any would be denied)",
        description="List every finding on Pending and Released notes with the denial reason "
        "code (CARC) a payer would send. Nothing is written; 'authbook refresh' writes the same "
        "findings to the Notes Check column and the Checks sheet.",
    )
    p.add_argument("path")
    p.add_argument("--as-of", type=cli.cli_date, help="check as of this date (default: Settings)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser(
        "report",
        help="print the Dashboard's figures: alerts, expiring auths, units, notes at risk, "
        "approval rates",
    )
    p.add_argument("path")
    p.add_argument("--as-of", type=cli.cli_date, help="report as of this date (default: Settings)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser(
        "renew",
        help="copy approvals forward into the next period as Requested auths",
        description="Renew each AUTH#: every line of that approval becomes a line of one new "
        "Requested approval (one new number, the Auth Group kept, so the pool is kept); a line "
        "reference (Auths!12) renews that line alone. Each new line has the same client, code, "
        "group, provider and payer; Start Date the day after the old End Date (or --start), "
        "as many days; "
        "Requested Units = the old Allotted Units (or --units); Date Requested today, "
        "Follow-up Date in two weeks. Logged in the AuditLog sheet when the workbook has one; "
        "the workbook is then refreshed.",
    )
    p.add_argument("path")
    p.add_argument(
        "auth_numbers", nargs="+", metavar="AUTH#", help="an Auth #, or a line: Auths!12"
    )
    p.add_argument("--start", type=cli.cli_date, help="Start Date of the new auths")
    p.add_argument("--units", type=int, help="Requested Units (default: old Allotted Units)")
    p.add_argument("--user", help="who makes the request (default $AUTHBOOK_USER)")
    p.add_argument("--force", action="store_true", help="even if a renewal is already on file")
    p.set_defaults(run=cmd_renew)
