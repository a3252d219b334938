"""One client's notes built and drawn alone (``refresh.client_rows``: what ``authbook
eligible`` computes) give that client's units, and so its eligible codes, exactly as the
whole book does."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.rules.eligibility import eligible_codes, provider_limited
from authbook.rules.refresh import client_rows, draw_notes, prepare_base, with_notes
from authbook.rules.values import name_key
from tests.rules.test_notes_in_parts import AS_OF, BASE, CLIENTS, books


@settings(max_examples=150, deadline=None)
@given(books, st.sampled_from([*CLIENTS, "C9", "c1"]), st.integers(0, 200))
def test_a_clients_notes_drawn_alone_give_its_units_and_codes_as_the_whole_book(
    raw, client, offset
):
    base = prepare_base(raw, AS_OF)
    rows = client_rows(base, client)
    alone = with_notes(base, rows)
    whole = with_notes(base)
    # the rows picked are the client's, however its ID is typed on them
    picked = {n.source.row for n in alone.book.notes}
    assert picked == {
        n.source.row for n in whole.book.notes if name_key(n.client_id) == name_key(client)
    }
    mine, every = draw_notes(alone).ledger, draw_notes(whole).ledger
    for auth in whole.book.auths:
        if name_key(auth.client_id) == name_key(client):
            row = auth.source.row
            for name in ("used", "pending", "counted"):
                assert getattr(mine, name).get(row, 0) == getattr(every, name).get(row, 0)
    day = BASE + timedelta(days=offset)
    for provider in (None, "Dr Ash"):
        assert eligible_codes(alone.book.auths, mine, client, day, provider) == eligible_codes(
            whole.book.auths, every, client, day, provider
        )
    assert provider_limited(alone.book.auths, mine, client, day) == provider_limited(
        whole.book.auths, every, client, day
    )
