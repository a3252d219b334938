"""The claim loop's use cases (issue 26): ``scrub_files`` checks 837P claims against the
workbook before they are sent. Decisions are in ``authbook.rules.claims``; the X12 files are
read by ``authbook.claims.x12`` (pyx12), the workbook by ``authbook.app``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from authbook.claims import x12
from authbook.rules.claimlines import ClaimLine
from authbook.rules.claims import ClaimFinding, LineMatch, NoteIndex, ScrubContext, scrub
from authbook.rules.values import is_blank
from authbook.workbook import records, schema


@dataclass
class Scrubbed:
    """Every claim line read, how each matched a note, and the findings."""

    lines: list[ClaimLine]
    matches: list[LineMatch]
    findings: list[ClaimFinding]

    @property
    def denied_lines(self) -> int:
        return len({(f.line.file, f.line.position) for f in self.findings if f.denies})


def member_ids(sheets) -> dict[str, list[str]]:
    """Member ID -> the Client IDs carrying it, from the Clients sheet (blank IDs left out)."""
    read = sheets.get(schema.CLIENTS.name)
    found: dict[str, list[str]] = defaultdict(list)
    if read is None:
        return found
    for record in records.raw_records(schema.CLIENTS, read):
        member, client = record.values.get("member_id"), record.values.get("client_id")
        if not is_blank(member) and not is_blank(client):
            found[str(member).strip()].append(str(client).strip())
    return found


def read_claim_files(paths: list[Path | str]) -> list[ClaimLine]:
    """The service lines of every 837P file, in order. Raises x12.X12FileError."""
    return [line for path in paths for line in x12.read_claims(path)]


def scrub_computed(computed, lines: list[ClaimLine]) -> Scrubbed:
    """Scrub ``lines`` against a computed workbook (``authbook.app.Computed``)."""
    result = computed.result
    index = NoteIndex(result.book.notes, member_ids(computed.sheets))
    context = ScrubContext.of(result.draws, result.findings, result.ledger, result.book.auths)
    matches, findings = scrub(lines, index, context)
    return Scrubbed(lines, matches, findings)


def scrub_files(book: Path | str, claim_files: list[Path | str], today: date, as_of=None):
    """Read the 837P files first (a bad one stops before the workbook is read), then the
    workbook, and scrub. Writes nothing. Returns (Scrubbed, Computed)."""
    from authbook import app

    lines = read_claim_files(claim_files)
    computed = app.compute_file(book, today, as_of)
    return scrub_computed(computed, lines), computed
