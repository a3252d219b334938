"""The ``authbook`` command.

Exit status: 0 all good; 1 data problems found (the workbook is still saved, the Problems
sheet lists them); 2 a usage or file error (nothing written). No traceback reaches the user:
set AUTHBOOK_DEBUG=1 to see one.
"""

from __future__ import annotations

import os
import sys

try:  # Ctrl-C while Python loads AuthBook: a message, not a traceback
    import argparse
    import contextlib
    import importlib
    import threading
    from datetime import date
    from pathlib import Path
    from typing import TYPE_CHECKING

    from authbook.output import escaping_output, print_rows  # csv: cheap; json when asked
except KeyboardInterrupt:
    os.write(2, b"authbook: interrupted while starting; nothing was read or written\n")
    os._exit(2)

# The rest of AuthBook is imported by the command that needs it, not here: every command and
# every ribbon click starts a new Python process, and `authbook --help` should not load the
# rules, the records or a spreadsheet library (see tests/test_startup.py).
if TYPE_CHECKING:
    from authbook.services.refresh import Computed

MAX_PROBLEM_LINES = 40
NEVER_HALF_WRITTEN = (
    "The workbook is as it was, or as AuthBook last saved it whole; never half-written."
)
#: Like other command-line tools when the program reading their output stops (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141

#: Modules that add their own subcommands: each has ``register(subparsers)`` which adds
#: parsers whose ``run`` default takes the parsed args and returns the exit status.
#: Errors for the user are raised as UsageError / WorkbookError.
FEATURE_COMMANDS: tuple[str, ...] = (
    "authbook.functions.addin",
    "authbook.cli_billing",
    "authbook.cli_claims",
    "authbook.cli_bulk",
    "authbook.cli_migrate",
)

#: The commands each FEATURE_COMMANDS module adds, with their help line: the command line is
#: parsed with only the module of the command being run imported (start-up time). A module
#: not listed here is imported to register its commands (correct, only slower to start);
#: tests/test_startup.py checks these lines against what each module registers.
FEATURE_HELP: dict[str, dict[str, str]] = {
    "authbook.functions.addin": {
        "addin": "build or install the AuthBook Excel add-in (ribbon tab and AB_ functions)",
        "doctor": "check what the Excel add-in needs (Python, xlwings, AuthBook.xlam)",
    },
    "authbook.cli_billing": {
        "check": "check Pending and Released notes before billing (exit 1 if any would be denied)",
        "report": "print the Dashboard's figures: alerts, expiring auths, units, notes at risk, "
        "approval rates",
        "renew": "copy approvals forward into the next period as Requested auths",
    },
    "authbook.cli_bulk": {
        "bulk-add": "add every code of a billing-code group to many clients",
        "bulk-update": "change the auths a filter lists, only in the columns named",
    },
    "authbook.cli_claims": {
        "scrub": "check 837P claims before sending them (exit 1 if any line would be denied)",
        "remit": "read 835 remittances into the Remittances sheet and the notes' Remit Status",
    },
    "authbook.cli_migrate": {
        "import": "import a spreadsheet tracker (.xlsx, .csv) into the workbook",
        "export": "write every table of the workbook as CSV files (UTF-8, with header)",
    },
}


class UsageError(Exception):
    """A command-line argument that cannot be used; the message is for the user."""


def cli_date(text: str) -> date:
    """A date given on the command line: 2026-03-31, 3/31/2026, an Excel serial, 'March 31 2026'."""
    from authbook.rules.values import parse_date  # here, not at the top: start-up time

    if not text.strip():
        raise argparse.ArgumentTypeError("a date is needed here, such as 3/31/2026")
    value: object = text
    if text.strip().isdigit() and len(text.strip()) == 5:
        value = int(text)
    day, error = parse_date(value)
    if error:
        raise argparse.ArgumentTypeError(error)
    return day


def today() -> date:
    return date.today()


# --- commands -----------------------------------------------------------------------------


def check_new_file(path: Path, force: bool, what: str = "it") -> None:
    """Refuse to write a new workbook at ``path`` unless it can be written there, and, when a
    file is there already, unless ``force`` (``what``: what replaces it, for the message)."""
    from authbook.workbook.paths import check_can_write, real_path  # here: start-up time

    check_can_write(real_path(path))
    if path.exists() and not force:
        raise UsageError(
            f"{path} already exists; use --force to replace {what} "
            f"(the file there now is kept as {path.name}.bak)"
        )


def cmd_new(args) -> int:
    from authbook.workbook import template  # here, not at the top: start-up time

    path = Path(args.path)
    check_new_file(path, args.force)
    template.write_new(path)
    print(f"created {path}")
    return 0


def cmd_template(args) -> int:
    from authbook.workbook import template  # here, not at the top: start-up time

    path = Path(args.path)
    check_new_file(path, args.force)
    template.write_new(path)
    print(f"wrote the AuthBook template to {args.path}")
    return 0


def report_problems(computed: Computed) -> None:
    from authbook.workbook.records import describe_problem  # here: start-up time

    for problem in computed.problems[:MAX_PROBLEM_LINES]:
        print(describe_problem(problem, computed.sheets), file=sys.stderr)
    extra = len(computed.problems) - MAX_PROBLEM_LINES
    if extra > 0:
        print(f"... and {extra} more; see the Problems sheet", file=sys.stderr)


#: Results kept until the process ends when ``run`` is the entry point (see ``run``).
_KEPT_UNTIL_EXIT: list[object] | None = None


def _keep_until_exit(result: object) -> None:
    if _KEPT_UNTIL_EXIT is not None:
        _KEPT_UNTIL_EXIT.append(result)


def cmd_refresh(args) -> int:
    from authbook.services.readahead import read_ahead  # (light: the parse begins at once)

    ahead = read_ahead(args.path)  # parsed while the modules below are imported
    from authbook.services import refresh  # here, not at the top: start-up time
    from authbook.services.report import summary

    computed = refresh.refresh_file(args.path, today(), args.as_of, args.user, ahead)
    _keep_until_exit(computed)
    report_problems(computed)
    print(f"refreshed {args.path}")
    print(summary(computed))
    return 1 if computed.problems else 0


def cmd_demo(args) -> int:
    from authbook.services import claims  # these here, not at the top: start-up time
    from authbook.services.demo import build_demo
    from authbook.services.report import summary

    path = Path(args.path)
    check_new_file(path, args.force, "it with the demo")
    computed = build_demo(path, today(), args.as_of or today(), args.clients)
    _keep_until_exit(computed)
    report_problems(computed)
    print(f"demo workbook: {path} (synthetic practice, no real people)")
    print(summary(computed))
    for example in claims.write_demo_examples(path, computed):
        print(f"example: {example}")
    return 1 if computed.problems else 0


def cmd_eligible(args) -> int:
    from authbook.services.readahead import read_ahead  # (light: the parse begins at once)

    ahead = read_ahead(args.path)  # parsed while the modules below are imported
    from authbook.services import eligibility  # here, not at the top: start-up time
    from authbook.workbook.xlsxfile import FastWorkbookFile

    store = FastWorkbookFile(args.path, ahead)
    units = eligibility.client_units(store, args.client, today(), args.date)
    if not units.known:
        raise UsageError(f"client {args.client} is not on the Clients sheet")
    codes = eligibility.codes_for_client(units, args.client, args.date, args.provider, args.auth_no)
    for code in codes:
        print(code)
    if not args.provider:  # said on stderr: stdout stays one code per line
        limited = eligibility.provider_limited_codes(units, args.client, args.date)
        for code, auth in limited:
            print(
                f"{code}: not listed, auth {auth.key} ({auth.source.sheet} row "
                f"{auth.source.row}) is for one provider only; add --provider to check theirs",
                file=sys.stderr,
            )
    if not codes:  # said on stderr, so a script reading one code per line gets none
        who = f" for {args.provider}" if args.provider else ""
        print(
            f"no eligible codes for client {args.client} on {args.date:%m/%d/%Y}{who}: "
            "no auth covers that day with units left (see `authbook alerts`)",
            file=sys.stderr,
        )
    return 0


ALERT_FIELDS = (
    "kind",
    "message",
    "auth_no",
    "client_id",
    "billing_code",
    "end_date",
    "remaining_units",
    "provider",
    "payer",
    "cell",
)


def cmd_alerts(args) -> int:
    from authbook.services import refresh  # these here, not at the top: start-up time
    from authbook.workbook import records

    computed = refresh.compute_file(args.path, today(), args.as_of)
    rows = records.alert_rows(computed.result.alerts, computed.sheets)
    header, body = rows[0], rows[1:]
    print_rows(header, body, args.format, keys=list(ALERT_FIELDS))
    if args.format == "table":
        print(f"{len(body)} alert{'s' if len(body) != 1 else ''}")
    return 0


# --- parser -------------------------------------------------------------------------------


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The ``authbook`` parser. Given the command line ``argv``, the feature modules of
    commands other than the one it runs are not imported (``FEATURE_HELP``): their commands
    are listed with their help line only."""
    parser = argparse.ArgumentParser(
        prog="authbook",
        description="Insurance-authorization tracking in an Excel workbook.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("new", help="create an empty AuthBook workbook")
    p.add_argument("path")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(run=cmd_new)

    p = sub.add_parser("template", help="write the workbook template (workbook_template.xlsx)")
    p.add_argument("path")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(run=cmd_template)

    p = sub.add_parser("demo", help="build and refresh a synthetic practice's workbook")
    p.add_argument("path", nargs="?", default="authbook-demo.xlsx")
    p.add_argument("--as-of", type=cli_date, help="date the demo is built around (default today)")
    p.add_argument("--clients", type=int, default=300, help="how many clients (default 300)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("refresh", help="recompute units, Active, alerts, checks and problems")
    p.add_argument("path")
    p.add_argument("--as-of", type=cli_date, help="compute as of this date (default: Settings)")
    p.add_argument("--user", help="name recorded in Last Edited By (default $AUTHBOOK_USER)")
    p.set_defaults(run=cmd_refresh)

    p = sub.add_parser("eligible", help="billing codes a client may be billed for on a date")
    p.add_argument("path")
    p.add_argument("--client", required=True, help="Client ID")
    p.add_argument("--date", required=True, type=cli_date, help="service date")
    p.add_argument("--provider", help="the clinician (auths for another provider are left out)")
    p.add_argument("--auth-no", help="the Auth # on the note: only the lines of that number")
    p.set_defaults(run=cmd_eligible)

    p = sub.add_parser("alerts", help="list unit and expiration alerts")
    p.add_argument("path")
    p.add_argument("--as-of", type=cli_date)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=cmd_alerts)

    command = _command_of(argv)
    for name in FEATURE_COMMANDS:
        listed = FEATURE_HELP.get(name)
        if argv is not None and listed is not None and command not in listed:
            for other, text in listed.items():  # listed for --help; never the one run
                sub.add_parser(other, help=text, add_help=False)
        else:
            importlib.import_module(name).register(sub)
    return parser


def _command_of(argv: list[str] | None) -> str | None:
    """The command ``argv`` runs: its first argument that is not an option (the ``authbook``
    command itself takes no option but --help)."""
    return next((a for a in argv or () if not a.startswith("-")), None)


def _user_errors() -> tuple[type[BaseException], ...]:
    """The errors whose message is for the user (exit 2). Imported when a command has failed,
    not at start-up: by then the command has loaded the modules that raise them."""
    # (start-up: see the docstring)
    from authbook.output import NoAnswer
    from authbook.workbook.rawbook import NotAnAuthBook
    from authbook.workbook.xlsxfile import WorkbookError

    return (UsageError, WorkbookError, NotAnAuthBook, NoAnswer)


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        print("authbook: interrupted while starting; nothing was read or written", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    with escaping_output():  # every line may carry a cell's text (see output.escaped)
        return _run(args)


def _run(args) -> int:
    try:
        return args.run(args)
    except _user_errors() as exc:  # evaluated only once a command has raised
        print(f"authbook: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"authbook: interrupted. {NEVER_HALF_WRITTEN}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of our output went away (`authbook alerts … | head`): not an error of
        # ours; stay quiet like other command-line tools, and keep Python from complaining
        # again when it flushes stdout at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # a bug: say so plainly, keep the traceback for AUTHBOOK_DEBUG
        if os.environ.get("AUTHBOOK_DEBUG"):
            import traceback  # (only for a bug, asked for: start-up time)

            traceback.print_exc()
        print(
            f"authbook: internal error ({type(exc).__name__}). {NEVER_HALF_WRITTEN} "
            "Run again with AUTHBOOK_DEBUG=1 for details and report it.",
            file=sys.stderr,
        )
        return 3


def _quiet(*args) -> None:
    """Say nothing of an error Python meets while cleaning up after one already reported."""


def run() -> None:
    """The ``authbook`` command: ``main`` with the command line, then the process ends.

    A refresh of a large workbook leaves millions of objects (500,000 notes: about 0.9 s to
    free them one by one, measured); the saved workbook is already on disk, so the command
    keeps them and ends the process without freeing them, once its output is flushed.

    Errors Python can only print (an object's clean-up failing as it is freed, a thread's
    error once its outcome was handed on: a full disk leaves a few) are kept quiet: the
    error that matters was reported by ``main``. AUTHBOOK_DEBUG=1 shows them.
    """
    global _KEPT_UNTIL_EXIT
    _KEPT_UNTIL_EXIT = []
    if not os.environ.get("AUTHBOOK_DEBUG"):
        sys.unraisablehook = _quiet
        threading.excepthook = _quiet
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`authbook alerts … | head`)
        code = EXIT_BROKEN_PIPE
    except (OSError, ValueError):  # stdout closed or unwritable: nothing more to say
        pass
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    # Run the package's module, not this __main__ copy, so the errors feature modules raise
    # (authbook.cli.UsageError) are the ones main() catches under `python -m authbook.cli`.
    from authbook.cli import run as package_run

    package_run()
