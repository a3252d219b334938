"""Claim commands (issue 26): ``authbook scrub`` checks outgoing 837P claims against the
workbook before they are sent.

``scrub`` exits 1 when any service line would be denied, 2 when a file cannot be read (not
X12, another transaction, truncated): nothing is written to the workbook either way.
"""

from __future__ import annotations

import sys
from pathlib import Path

from authbook.output import print_rows

SCRUB_HEADER = ["File", "Claim", "Line", "Segment", "Note ID", "Check", "CARC", "Change", "Auth #"]
SCRUB_KEYS = [
    "file",
    "claim",
    "line",
    "segment",
    "note_id",
    "check",
    "carc",
    "change",
    "auth_no",
]


def _cli():
    # cli loads this module to run one of its commands; looked up when used, not at import
    from authbook import cli

    return cli


def scrub_rows(findings) -> list[list[object]]:
    """One row per finding, as SCRUB_HEADER lists them."""
    return [
        [
            f.line.file,
            f.line.claim_id,
            f.line.line_no,
            f.line.position,
            f.note_id,
            f.kind,
            f.carc,
            f.message,
            f.fill_auth or f.auth_no,
        ]
        for f in findings
    ]


def cmd_scrub(args) -> int:
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.claims.x12 import X12FileError
    from authbook.services.claims import scrub_files, write_filled

    cli = _cli()
    if args.write:
        if len(args.claims) != 1:
            raise cli.UsageError("--write takes one 837P file to scrub")
        if Path(args.write).resolve() == Path(args.claims[0]).resolve():
            raise cli.UsageError("--write must name a new file, not the 837P being scrubbed")
        if not Path(args.write).resolve().parent.is_dir():
            raise cli.UsageError(f"--write: folder {Path(args.write).parent} does not exist")
    try:
        scrubbed, _ = scrub_files(args.path, args.claims, cli.today(), args.as_of)
        filled = write_filled(args.claims[0], args.write, scrubbed) if args.write else {}
    except X12FileError as exc:
        raise cli.UsageError(f"{exc}. Nothing was checked; the workbook is untouched.") from None
    print_rows(SCRUB_HEADER, scrub_rows(scrubbed.findings), args.format, keys=SCRUB_KEYS)
    if args.write:
        said = sys.stdout if args.format == "table" else sys.stderr
        for claim, number in filled.values():
            print(f"claim {claim}: REF*G1*{number} added", file=said)
        print(f"wrote {args.write} ({len(filled)} REF*G1 added)", file=said)
        # the lines the added REF*G1 fixes are no longer denied for a missing number
        scrubbed.findings = [
            f
            for f in scrubbed.findings
            if not (f.kind == "MISSING AUTH #" and f.line.claim_position in filled)
        ]
    if args.format == "table":
        matched = sum(1 for m in scrubbed.matches if m.note is not None)
        claims = len({(line.file, line.claim_id, line.claim_position) for line in scrubbed.lines})
        print(
            f"{len(scrubbed.lines)} service lines in {claims} claims: {matched} matched a note, "
            f"{len(scrubbed.lines) - matched} did not; "
            f"{scrubbed.denied_lines} would be denied",
        )
    elif scrubbed.denied_lines:
        print(f"{scrubbed.denied_lines} service lines would be denied", file=sys.stderr)
    return 1 if scrubbed.denied_lines else 0


REMIT_PREVIEW = [
    "Check/EFT #",
    "Claim #",
    "Patient Control #",
    "Service Date",
    "Billing Code",
    "Units Paid",
    "Paid",
    "Denial CARC",
    "Remit Status",
    "Note ID",
    "Match",
]
PREVIEW_ROWS = 20


def print_remit_plan(plan) -> None:
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.rules.remits import REMIT_STATUSES
    from authbook.workbook import schema

    spec = schema.REMITTANCES
    fields = [c.field for c in spec.columns if c.header in REMIT_PREVIEW]
    body = [[row.get(f) for f in fields] for row in plan.rows[:PREVIEW_ROWS]]
    if body:
        print_rows([spec.by_field[f].header for f in fields], body, "table")
    if len(plan.rows) > PREVIEW_ROWS:
        print(f"... and {len(plan.rows) - PREVIEW_ROWS} more")
    counts = {s: sum(1 for r in plan.rows if r["remit_status"] == s) for s in REMIT_STATUSES}
    shown = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    print(
        f"{len(plan.lines)} remitted service lines: {len(plan.rows)} new ({shown or 'none'}), "
        f"{plan.repeated} already imported; {len(plan.unmatched)} new matched no note; "
        f"{len(plan.changes) // 3} notes get a new Remit Status"
    )


def cmd_remit(args) -> int:
    # here, not at the top: a command loads only what it uses (start-up: tests/test_startup.py)
    from authbook.claims.x12 import X12FileError
    from authbook.output import confirm
    from authbook.services.audit import current_user
    from authbook.services.claims import remit_file

    cli = _cli()

    def ask(plan) -> bool:
        print_remit_plan(plan)
        if args.yes:
            return True
        return confirm(f"add these to the Remittances sheet of {args.path}?")

    try:
        plan, computed = remit_file(
            args.path, args.eras, cli.today(), ask, user=current_user(args.user)
        )
    except X12FileError as exc:
        raise cli.UsageError(f"{exc}. Nothing was imported; the workbook is untouched.") from None
    if not plan.rows:
        print(f"{len(plan.lines)} remitted service lines, all already imported: nothing to change")
        return 0
    if computed is None:
        print("nothing written")
        return 0
    print(f"imported into {args.path} (previous version kept as {args.path}.bak)")
    cli.report_problems(computed)
    return 1 if plan.unmatched or computed.problems else 0


def register(sub) -> None:
    """Add ``scrub`` and ``remit`` to the ``authbook`` command."""
    cli = _cli()
    p = sub.add_parser(
        "scrub",
        help="check 837P claims before sending them (exit 1 if any line would be denied)",
        description="For each service line of the 837P files, find the note it bills (Note ID "
        "in REF*6R or CLM01, else Member ID + date + code + units) and check its prior "
        "authorization number (REF*G1) names an auth that fits the client, code, date and "
        "provider with the units available. Lists each finding with the claim (CLM01), the "
        "line, the Note ID, the CARC a payer would send and what to change. Writes nothing.",
    )
    p.add_argument("path", help="the AuthBook workbook")
    p.add_argument("claims", nargs="+", metavar="CLAIMS.837", help="837P (005010X222A1) files")
    p.add_argument("--as-of", type=cli.cli_date, help="check as of this date (default: Settings)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument(
        "--write",
        metavar="OUT.837",
        help="also write the 837P to OUT.837 with a REF*G1 added to each claim that has none, "
        "when all its lines matched notes drawing from one auth (every other byte kept, but "
        "the segment count)",
    )
    p.set_defaults(run=cmd_scrub)

    p = sub.add_parser(
        "remit",
        help="read 835 remittances into the Remittances sheet and the notes' Remit Status",
        description="Append one Remittances row per 835 service line (payer, check/EFT #, "
        "claim #, patient control #, service date, code, units and amounts billed/paid, "
        "adjustments, CARC/RARC, the Note ID it pays or why none matched) and set the Notes "
        "columns Remit Status, Paid Units and Remit CARC; then refresh, in one save. Shows "
        "what it will add and asks first. Lines already imported are skipped; a reversal or "
        "a later correction replaces a note's earlier outcome. Exit 1 when a line matched "
        "no note.",
    )
    p.add_argument("path", help="the AuthBook workbook")
    p.add_argument("eras", nargs="+", metavar="ERA.835", help="835 (005010X221A1) files")
    p.add_argument("--yes", action="store_true", help="write without asking")
    p.add_argument("--user", help="who imports (default $AUTHBOOK_USER)")
    p.set_defaults(run=cmd_remit)
