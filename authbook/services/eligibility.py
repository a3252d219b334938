"""Which billing codes a session may use: ``authbook eligible`` (a client and a date) and the
ribbon's Eligible Codes (the selected Notes row).

Read and compute (``services.refresh.compute`` / ``compute_file``, done by the caller) ->
ask the rules (``rules.eligibility``). Nothing is written.
"""

from __future__ import annotations

from datetime import date

from authbook.rules.eligibility import eligible_codes, provider_limited
from authbook.rules.units import apply_notes
from authbook.rules.values import parse_date, parse_text
from authbook.services.refresh import Computed
from authbook.workbook import records, schema


def codes_for_client(
    computed: Computed,
    client: str,
    day: date,
    provider: str | None = None,
    auth_no: str | None = None,
) -> list[str]:
    """The codes an auth covers for ``client`` on ``day`` (with ``provider`` / on the auth
    ``auth_no``, if given), with units left after every note on file."""
    book = computed.result.book
    return eligible_codes(book.auths, computed.result.ledger, client, day, provider, auth_no)


def provider_limited_codes(computed: Computed, client: str, day: date):
    """(code, auth) for codes left out without a provider: their auth is for one provider."""
    book = computed.result.book
    return provider_limited(book.auths, computed.result.ledger, client, day)


def note_row_facts(computed: Computed, row: int):
    """(client, service date, provider, Auth #) typed on a Notes row, or None if it lacks
    a client or a date."""
    read = computed.sheets.get(schema.NOTES.name)
    raws = records.raw_records(schema.NOTES, read) if read else []
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
