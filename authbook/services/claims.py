"""The claim loop's use cases (issue 26): ``scrub_files`` checks 837P claims against the
workbook before they are sent. Decisions are in ``authbook.rules.claims``; the X12 files are
read by ``authbook.claims.x12`` (pyx12), the workbook by ``services.refresh``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

from authbook.claims import examples, x12
from authbook.modelbase import dataclass
from authbook.parallel.collector import many_objects
from authbook.rules import remits
from authbook.rules.claimlines import ClaimLine
from authbook.rules.claims import (
    ClaimFinding,
    LineMatch,
    NoteIndex,
    ScrubContext,
    fills,
    match_line,
    scrub,
)
from authbook.rules.remits import key_text
from authbook.rules.values import is_blank
from authbook.services.refresh import apply_and_refresh, compute, compute_file
from authbook.workbook import importrows, rawbook, schema
from authbook.workbook.xlsxfile import FastWorkbookFile, RefreshLock


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
    for record in rawbook.raw_records(schema.CLIENTS, read):
        member, client = record.values.get("member_id"), record.values.get("client_id")
        if not is_blank(member) and not is_blank(client):
            found[str(member).strip()].append(str(client).strip())
    return found


def read_claim_files(paths: list[Path | str]) -> list[ClaimLine]:
    """The service lines of every 837P file, in order. Raises x12.X12FileError."""
    return [line for path in paths for line in x12.read_claims(path)]


def scrub_computed(computed, lines: list[ClaimLine]) -> Scrubbed:
    """Scrub ``lines`` against a computed workbook (``services.refresh.Computed``)."""
    result = computed.result
    index = NoteIndex(result.book.notes, member_ids(computed.sheets))
    context = ScrubContext.of(result.draws, result.findings, result.ledger, result.book.auths)
    matches, findings = scrub(lines, index, context)
    return Scrubbed(lines, matches, findings)


def scrub_files(book: Path | str, claim_files: list[Path | str], today: date, as_of=None):
    """Read the 837P files first (a bad one stops before the workbook is read), then the
    workbook, and scrub. Writes nothing. Returns (Scrubbed, Computed)."""

    lines = read_claim_files(claim_files)
    computed = compute_file(book, today, as_of)
    return scrub_computed(computed, lines), computed


def write_filled(claim_file: Path | str, out: Path | str, scrubbed: Scrubbed) -> dict[int, tuple]:
    """Write ``claim_file`` to ``out`` with a REF*G1 on each claim that lacks one and whose
    lines all matched notes drawing from the same auth (``rules.claims.fills``); every other
    byte kept but the transaction's segment count. Returns the CLM's segment number ->
    (CLM01, Auth # added)."""

    name = Path(claim_file).name
    mine = [f for f in scrubbed.findings if f.line.file == name]
    chosen = fills(mine)
    x12.add_claim_auths(claim_file, out, chosen)
    ids = {line.claim_position: line.claim_id for line in scrubbed.lines if line.file == name}
    return {position: (ids[position], number) for position, number in chosen.items()}


# --- remit ---------------------------------------------------------------------------------


@dataclass
class RemitPlan:
    """What importing 835 files would do: ``rows`` to append to Remittances (new lines
    only), how many lines were ``repeated`` (already imported), and ``changes`` to the
    Notes rows' Remit Status, Paid Units and Remit CARC ((row, field, value))."""

    lines: list
    rows: list[dict[str, object]]
    repeated: int
    changes: list[tuple[int, str, object]]

    @property
    def unmatched(self) -> list[dict[str, object]]:
        return [r for r in self.rows if not r.get("note_id")]


def read_remittance_files(paths: list[Path | str]) -> list:
    """The service lines of every 835 file, in order. Raises x12.X12FileError."""
    return [line for path in paths for line in x12.read_remittance(path)]


def _match_text(match) -> str:
    if match.note is not None:
        return f"by {match.how}"
    listed = f" ({', '.join(n.key for n in match.candidates)})" if match.candidates else ""
    return f"{match.why}{listed}"


def plan_remit(computed, remittances, lines) -> RemitPlan:
    """The rows and Notes changes importing ``lines`` (RemitLines) into a computed workbook
    whose Remittances sheet reads ``remittances`` (None when it has none) would make."""

    book = computed.result.book
    index = NoteIndex(book.notes, member_ids(computed.sheets))
    rows = []
    for line in lines:
        match = match_line(line, index)
        values = remits.line_values(line)
        values["note_id"] = match.note.key if match.note is not None else None
        values["match"] = _match_text(match)
        rows.append(values)
    existing = (
        [r.values for r in rawbook.raw_records(schema.REMITTANCES, remittances)]
        if remittances is not None
        else []
    )
    new, repeated = remits.new_only(rows, existing)
    changes: list[tuple[int, str, object]] = []
    if new:
        final = remits.outcomes([*existing, *new])
        now = _remit_cells(computed.sheets.get(schema.NOTES.name))
        for note in book.notes:
            outcome = final.get(remits.key_text(note.key))
            row = note.source.row
            if outcome is None:
                continue
            cells = (outcome.status, outcome.paid_units, outcome.carc)
            if tuple(map(remits.key_text, cells)) != now.get(row):  # only cells that change
                changes += list(zip((row,) * 3, REMIT_FIELDS, cells))
    return RemitPlan(lines, new, repeated, changes)


REMIT_FIELDS = ("remit_status", "paid_units", "remit_carc")


def _remit_cells(read) -> dict[int, tuple[str, ...]]:
    """Notes row -> its Remit Status, Paid Units and Remit CARC as they are now (compared as
    ``rules.remits.key_text``)."""
    if read is None:
        return {}
    raw = rawbook.raw_rows(schema.NOTES_READ, read)
    columns = raw.columns(REMIT_FIELDS)
    return {row: tuple(map(remits_key, cells)) for row, *cells in zip(raw.rows, *columns)}


def remits_key(value: object) -> str:

    return key_text(value)


def remit_file(book: Path | str, era_files: list[Path | str], today: date, ask, user=None):
    """Import 835 files into the workbook ``book``: read them all first (a bad one stops
    before the workbook is opened), plan, call ``ask(plan)`` and, when it returns True,
    append the rows, set the Notes columns and refresh, in one atomic save.

    Returns (plan, Computed after the save, or None when nothing was written)."""

    lines = read_remittance_files(era_files)
    with RefreshLock(Path(book)), many_objects():  # (no collector runs over the rows read)
        store = FastWorkbookFile(Path(book))
        computed = compute(store, today)
        remittances = store.read_sheets([schema.REMITTANCES.name]).get(schema.REMITTANCES.name)
        plan = plan_remit(computed, remittances, lines)
        if not plan.rows or not ask(plan):
            return plan, None
        sheets = dict(computed.sheets)
        writes = {
            schema.REMITTANCES.name: importrows.append_rows(
                schema.REMITTANCES, remittances, plan.rows
            )
        }
        if remittances is not None:
            sheets[schema.REMITTANCES.name] = remittances
        if plan.changes and schema.NOTES.name in sheets:
            writes[schema.NOTES.name] = importrows.append_rows(
                schema.NOTES_READ, sheets[schema.NOTES.name], [], plan.changes
            )
        return plan, apply_and_refresh(store, sheets, writes, today, user=user)


# --- demo ----------------------------------------------------------------------------------


def write_demo_examples(book: Path | str, computed) -> list[Path]:
    """The demo's ``examples/`` folder beside its workbook: an 837P of some of its notes and
    an 835 answering it (``authbook.claims.examples``). Returns the files written."""

    result = computed.result
    payer_of = dict(zip(result.notes.rows, result.notes.columns(["payer"])[0]))
    return examples.write_examples(Path(book).parent / "examples", result, payer_of)
