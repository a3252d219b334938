"""Invariants of the units engine, over generated ledgers (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.models import RawBook, RawRecord, Source
from authbook.rules.refresh import refresh
from authbook.rules.values import name_key

BASE = date(2026, 1, 1)
CLIENTS = ("C1", "C2")
CODES = ("90832", "90834", "90837")


@st.composite
def auth_rows(draw):
    start = BASE + timedelta(days=draw(st.integers(0, 60)))
    return {
        "auth_no": draw(st.one_of(st.none(), st.sampled_from(["P1", "P2", "AB000007"]))),
        "client_id": draw(st.sampled_from(CLIENTS)),
        "billing_code": draw(st.sampled_from(CODES)),
        "start_date": start,
        "end_date": start + timedelta(days=draw(st.integers(0, 90))),
        "allotted_units": draw(st.integers(0, 6)),
        "prior_units_used": draw(st.integers(0, 2)),
        "auth_group": draw(st.sampled_from([None, None, "G1", "G2"])),
        "unmanaged": draw(st.sampled_from([None, None, None, "Y"])),
        "default": draw(st.sampled_from([None, None, "Y"])),
        "provider": draw(st.sampled_from([None, None, "Dr Ash"])),
        "exclude_from_notes": draw(st.sampled_from([None, None, None, "Y"])),
    }


@st.composite
def note_rows(draw):
    return {
        "client_id": draw(st.sampled_from(CLIENTS)),
        "service_date": BASE + timedelta(days=draw(st.integers(0, 160))),
        "billing_code": draw(st.sampled_from(CODES)),
        "status": draw(st.sampled_from(["Draft", "Pending", "Released", "Released"])),
        "units": draw(st.integers(1, 3)),
        "provider": draw(st.sampled_from([None, "Dr Ash", "Dr Birch"])),
        "auth_no": draw(st.sampled_from([None, None, None, None, "P1", "AB000007"])),
    }


def records(sheet: str, rows: list[dict]) -> tuple[RawRecord, ...]:
    return tuple(
        RawRecord(source=Source(sheet=sheet, row=i), values=row)
        for i, row in enumerate(rows, start=2)
    )


ledgers = st.tuples(st.lists(auth_rows(), max_size=8), st.lists(note_rows(), max_size=25))


def book_of(auths: list[dict], notes: list[dict]) -> RawBook:
    clients = [{"client_id": c, "active": "Y"} for c in CLIENTS]
    groups = [{"group_name": g} for g in ("G1", "G2")]
    return RawBook(
        clients=records("Clients", clients),
        auths=records("Auths", auths),
        notes=records("Notes", notes),
        auth_groups=records("AuthGroups", groups),
    )


AS_OF = date(2026, 3, 15)


def _approvals(auths) -> dict[int, frozenset[int]]:
    """The oracle of issue 23's approvals, worked out the slow way: sets of lines merged
    while two of them hold lines of one client sharing an Auth #, or sharing Start Date,
    End Date and an Auth Group. Row -> the rows of its approval."""
    sets = [{a.source.row} for a in auths]
    by_row = {a.source.row: a for a in auths}

    def linked(a, b) -> bool:
        if name_key(a.client_id) != name_key(b.client_id):
            return False
        if a.auth_no and b.auth_no and name_key(a.auth_no) == name_key(b.auth_no):
            return True
        return bool(
            a.auth_group
            and b.auth_group
            and name_key(a.auth_group) == name_key(b.auth_group)
            and (a.start_date, a.end_date) == (b.start_date, b.end_date)
        )

    merged = True
    while merged:
        merged = False
        pairs = [(i, j) for i in range(len(sets)) for j in range(i + 1, len(sets))]
        for one, other in pairs:
            if any(linked(by_row[x], by_row[y]) for x in sets[one] for y in sets[other]):
                sets[one] |= sets.pop(other)
                merged = True
                break
    return {row: frozenset(s) for s in sets for row in s}


@settings(max_examples=150, deadline=None)
@given(ledgers)
def test_used_plus_pending_equals_the_units_of_the_notes_counted_against_each_auth(ledger):
    result = refresh(book_of(*ledger), today=AS_OF)
    auths = result.book.auths
    approval = _approvals(auths)
    expected = {a.source.row: 0 for a in auths}
    for d in result.draws:
        if d.auth is None:
            continue
        for b in auths:
            # a pool: the lines of one approval sharing an Auth Group (issue 23)
            same_pool = b is d.auth or (
                d.auth.auth_group
                and name_key(b.auth_group) == name_key(d.auth.auth_group)
                and b.source.row in approval[d.auth.source.row]
                and b.covers(d.note.service_date)
            )
            if same_pool:
                expected[b.source.row] += d.note.units
    for status in result.auths:
        if status.used_units is not None:
            assert status.used_units + status.pending_units == expected[status.source.row]


@settings(max_examples=150, deadline=None)
@given(ledgers)
def test_units_are_never_created_or_lost(ledger):
    """Every unit of a Pending or Released note that drew is drawn once from exactly one auth,
    and a remaining count is exactly allotted - prior - used."""
    result = refresh(book_of(*ledger), today=AS_OF)
    drawing = [d for d in result.draws if d.auth is not None]
    assert all(d.note.draws_units for d in drawing)
    assert sum(d.note.units for d in drawing) == sum(
        d.note.units for d in result.draws if d.note.draws_units and d.reason in ("ok", "over")
    )
    by_row = {a.source.row: a for a in result.book.auths}
    for status in result.auths:
        auth = by_row.get(status.source.row)
        if auth is not None and not auth.unmanaged:
            assert status.remaining_units == (
                auth.allotted_units - auth.prior_units_used - status.used_units
            )
            assert status.available_units == status.remaining_units - status.pending_units


@settings(max_examples=100, deadline=None)
@given(ledgers)
def test_refreshing_twice_changes_nothing(ledger):
    raw = book_of(*ledger)
    first = refresh(raw, today=AS_OF)
    # Feed the numbers the first refresh wrote back in, as the file would hold them.
    numbered = [
        dict(row, auth_no=first.new_auth_numbers.get(i, row["auth_no"]))
        for i, row in enumerate(ledger[0], start=2)
    ]
    second = refresh(book_of(numbered, ledger[1]), today=AS_OF)
    assert second.new_auth_numbers == {}
    assert second.auths == first.auths
    assert second.notes == first.notes
    assert second.alerts == first.alerts


@settings(max_examples=100, deadline=None)
@given(ledgers, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_how_the_notes_sheet_is_sorted(ledger, rng):
    auths, notes = ledger
    raw = book_of(auths, notes)
    shuffled = list(raw.notes)
    rng.shuffle(shuffled)
    result = refresh(raw, today=AS_OF)
    reordered = refresh(raw.model_copy(update={"notes": tuple(shuffled)}), today=AS_OF)
    assert result.auths == reordered.auths
    assert sorted(result.notes, key=lambda n: n.source.row) == sorted(
        reordered.notes, key=lambda n: n.source.row
    )
