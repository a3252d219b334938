"""Claim commands (issue 26): ``authbook scrub`` checks outgoing 837P claims against the
workbook before they are sent.

``scrub`` exits 1 when any service line would be denied, 2 when a file cannot be read (not
X12, another transaction, truncated): nothing is written to the workbook either way.
"""

from __future__ import annotations

import sys

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
    from authbook import app_claims
    from authbook.claims.x12 import X12FileError

    cli = _cli()
    try:
        scrubbed, _ = app_claims.scrub_files(args.path, args.claims, cli.today(), args.as_of)
    except X12FileError as exc:
        raise cli.UsageError(f"{exc}. Nothing was checked; the workbook is untouched.") from None
    print_rows(SCRUB_HEADER, scrub_rows(scrubbed.findings), args.format, keys=SCRUB_KEYS)
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


def register(sub) -> None:
    """Add ``scrub`` to the ``authbook`` command."""
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
    p.set_defaults(run=cmd_scrub)
