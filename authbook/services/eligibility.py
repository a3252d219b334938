"""Which billing codes a session may use: ``authbook eligible`` (a client and a date) and the
ribbon's Eligible Codes (the selected Notes row).

``authbook eligible``: read -> the client's units (``client_units``: the book built, only
that client's notes applied) -> ask the rules (``rules.eligibility``). The ribbon: read and
compute the whole book (``services.refresh.compute``, done by the caller) -> ask the rules.
Nothing is written.
"""

from __future__ import annotations

from datetime import date

from authbook.modelbase import dataclass
from authbook.models import Book
from authbook.parallel.collector import many_objects
from authbook.rules.eligibility import eligible_codes, provider_limited
from authbook.rules.refresh import client_rows, draw_notes, prepare_base, with_notes
from authbook.rules.units import Ledger, apply_notes
from authbook.rules.values import name_key, parse_date, parse_text
from authbook.services.refresh import Computed
from authbook.workbook import rawbook, schema

#: What eligibility reads: the input sheets but the AuditLog (nothing in it counts).
SHEETS = tuple(s.name for s in schema.INPUT_SHEETS if s is not schema.AUDIT_LOG)


@dataclass(frozen=True)
class ClientUnits:
    """A client's auths and the units their notes have used."""

    #: The workbook's book: every auth, but the notes of the client alone.
    book: Book
    #: The units the client's notes used, by auth and pool.
    ledger: Ledger
    #: Whether the client is on the Clients sheet.
    known: bool


def client_units(store, client: str, today: date, as_of: date | None = None) -> ClientUnits:
    """``client``'s units as a refresh of ``store`` on ``today`` (as of ``as_of``) counts
    them. Only the client's notes are built and applied: clients never share units
    (``rules.parts``), so the figures are the whole book's, in a fraction of the time on a
    practice's workbook. Raises what reading the store raises (not an AuthBook workbook, a
    sheet missing)."""
    with many_objects():  # (a large workbook: no collection pauses while it is read)
        raw, _ = rawbook.raw_book(store.read_sheets(SHEETS))
        base = prepare_base(raw, today, as_of)
        prepared = with_notes(base, client_rows(base, client))
        ledger = draw_notes(prepared).ledger
    return ClientUnits(prepared.book, ledger, name_key(client) in base.clients)


def codes_for_client(
    units: ClientUnits,
    client: str,
    day: date,
    provider: str | None = None,
    auth_no: str | None = None,
) -> list[str]:
    """The codes an auth covers for ``client`` on ``day`` (with ``provider`` / on the auth
    ``auth_no``, if given), with units left after every note on file."""
    return eligible_codes(units.book.auths, units.ledger, client, day, provider, auth_no)


def provider_limited_codes(units: ClientUnits, client: str, day: date):
    """(code, auth) for codes left out without a provider: their auth is for one provider."""
    return provider_limited(units.book.auths, units.ledger, client, day)


def note_row_facts(computed: Computed, row: int):
    """(client, service date, provider, Auth #) typed on a Notes row, or None if it lacks
    a client or a date."""
    read = computed.sheets.get(schema.NOTES.name)
    raws = rawbook.raw_records(schema.NOTES, read) if read else []
    raw = next((r for r in raws if r.source.row == row), None)
    if raw is None:
        return None
    client, _ = parse_text(raw.values.get("client_id"))
    order = computed.result.book.settings.date_order
    day, _ = parse_date(raw.values.get("service_date"), order)
    provider, _ = parse_text(raw.values.get("provider"))
    auth_no, _ = parse_text(raw.values.get("auth_no"))
    if client is None or day is None:
        return None
    return client, day, provider, auth_no


def codes_for_note_row(computed: Computed, row: int, facts) -> list[str]:
    """The codes authorized for the session typed on Notes ``row`` (its ``note_row_facts``),
    the row's own units not counted against its auth."""
    client, day, provider, auth_no = facts
    book = computed.result.book
    others = [n for n in book.notes if n.source.row != row]
    _, ledger = apply_notes(book.auths, others)
    return eligible_codes(book.auths, ledger, client, day, provider, auth_no=auth_no)
