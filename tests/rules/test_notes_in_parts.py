"""Notes drawn in parts (each client's notes in one part, as two processes draw them) give
exactly what drawing them all at once gives: the same draws, units, findings and statuses."""

from __future__ import annotations

import pickle
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.models import NOTE_STATUS_FIELDS, RawBook, RawRecord, Source
from authbook.rules.parts import (
    as_part_of,
    join_built,
    join_packed,
    merge_drawn,
    merge_statuses,
    pack_built,
    pack_drawn,
    pack_statuses,
    split_notes,
    split_rows,
    unpack_drawn,
)
from authbook.rules.refresh import (
    apply_part,
    check_texts,
    checked_part,
    draw_notes,
    notes_refreshed,
    part_statuses,
    prepare_base,
    prepare_notes,
    refresh_notes,
    unchecked_statuses,
    with_check_texts,
    with_notes,
)

BASE = date(2026, 1, 1)
CLIENTS = ("C1", "C2", "C3", "C4", "c3 ")  # "c3 " is C3 as a user may type it
CODES = ("90832", "90834", "90837", "90791")
AS_OF = date(2026, 3, 15)


@st.composite
def auth_rows(draw):
    start = BASE + timedelta(days=draw(st.integers(0, 60)))
    return {
        "auth_no": draw(st.one_of(st.none(), st.sampled_from(["P1", "P2", "P3"]))),
        "client_id": draw(st.sampled_from(CLIENTS[:4])),
        "billing_code": draw(st.sampled_from(CODES)),
        "start_date": start,
        "end_date": start + timedelta(days=draw(st.integers(0, 90))),
        "allotted_units": draw(st.integers(0, 6)),
        "auth_group": draw(st.sampled_from([None, None, "G1"])),
        "max_units": draw(st.sampled_from([None, None, 1, 2])),
        "per": "Week",
        "default": draw(st.sampled_from([None, None, "Y"])),
        "provider": draw(st.sampled_from([None, None, "Dr Ash"])),
    }


@st.composite
def note_rows(draw):
    day = BASE + timedelta(days=draw(st.integers(0, 160)))
    return {
        # None, an unknown client and an unreadable date make rows no note is read from
        "client_id": draw(st.sampled_from([*CLIENTS, "C9", None])),
        "service_date": draw(st.sampled_from([day, day, day, "2/30/2026"])),
        "billing_code": draw(st.sampled_from(CODES)),
        "status": draw(st.sampled_from(["Draft", "Pending", "Released", "Released"])),
        "units": draw(st.integers(1, 3)),
        "minutes": draw(st.sampled_from([None, 30, 53, 60])),
        "provider": draw(st.sampled_from([None, "Dr Ash", "Dr Birch"])),
        "auth_no": draw(st.sampled_from([None, None, None, "P1", "P3", "P9"])),
    }


def _records(sheet: str, rows: list[dict]) -> tuple[RawRecord, ...]:
    return tuple(
        RawRecord(source=Source(sheet=sheet, row=i), values=row)
        for i, row in enumerate(rows, start=2)
    )


def _book(auths: list[dict], notes: list[dict]) -> RawBook:
    return RawBook(
        clients=_records("Clients", [{"client_id": c, "active": "Y"} for c in CLIENTS[:4]]),
        auths=_records("Auths", auths),
        notes=_records("Notes", notes),
        auth_groups=_records("AuthGroups", [{"group_name": "G1"}]),
        billing_codes=_records("BillingCodes", [{"code": c, "rate": 75.5} for c in CODES]),
        providers=_records("Providers", [{"provider": p} for p in ("Dr Ash", "Dr Birch")]),
    )


books = st.builds(_book, st.lists(auth_rows(), max_size=10), st.lists(note_rows(), max_size=40))


def _assert_same_statuses(parted, whole):
    assert parted.sources == whole.sources
    assert parted.columns(NOTE_STATUS_FIELDS) == whole.columns(NOTE_STATUS_FIELDS)


def _assert_same(parted, whole):
    assert parted.draws == whole.draws
    for name in ("used", "pending", "counted"):  # an auth at 0 units, no notes, may be left out
        held = getattr(whole.ledger, name)
        assert {r: v for r, v in getattr(parted.ledger, name).items() if v} == {
            r: v for r, v in held.items() if v
        }
        assert all(getattr(parted.ledger, name)[row] == held[row] for row in held)
    assert parted.checked == whole.checked
    assert parted.unreadable == whole.unreadable
    assert parted.charges == whole.charges


@settings(max_examples=150, deadline=None)
@given(books, st.integers(1, 3))
def test_notes_drawn_in_parts_by_client_are_drawn_as_all_at_once(raw, count):
    prepared = prepare_notes(raw, today=AS_OF)
    parts = split_notes(prepared, (1,) * count)
    drawn = [draw_notes(prepared, part) for part in parts]
    whole = draw_notes(prepared)
    _assert_same(merge_drawn(drawn), whole)
    statuses = [part_statuses(prepared, d) for d in drawn]
    _assert_same_statuses(
        merge_statuses(prepared, [p.rows for p in parts], statuses), part_statuses(prepared, whole)
    )


def _two_parts(prepared):
    """The notes split in two by client, as the two processes draw them (the second part
    empty when every note is one client's)."""
    parts = split_notes(prepared)
    if len(parts) == 1:
        parts.append(type(parts[0])([], []))
    return parts


@settings(max_examples=150, deadline=None)
@given(books)
def test_a_part_drawn_in_another_process_comes_back_as_drawn(raw):
    """Packed, pickled (as through the pipe from the other process) and unpacked, a part
    holds the same draws, units and findings, on the receiver's own records; the statuses
    of the other part, shipped the other way, merge into the statuses of every row."""
    prepared = prepare_notes(raw, today=AS_OF)
    first, second = _two_parts(prepared)
    theirs = draw_notes(prepared, second)
    shipped = pickle.loads(pickle.dumps(pack_drawn(theirs)))
    back = unpack_drawn(prepared, second, shipped)
    mine = draw_notes(prepared, first)
    merged = merge_drawn([mine, back])
    _assert_same(merged, draw_notes(prepared))
    ours = {id(n) for n in prepared.book.notes}
    assert all(id(d.note) in ours for d in back.draws)
    refreshed = notes_refreshed(prepared, merged)
    serial = refresh_notes(raw, today=AS_OF)
    assert refreshed.findings == serial.findings
    assert refreshed.draws == serial.draws
    shipped_statuses = pickle.loads(pickle.dumps(pack_statuses(part_statuses(prepared, mine))))
    statuses = merge_statuses(
        prepared, [first.rows, second.rows], [shipped_statuses, part_statuses(prepared, theirs)]
    )
    _assert_same_statuses(statuses, serial.notes)


@settings(max_examples=150, deadline=None)
@given(books)
def test_a_parts_statuses_shipped_before_and_after_its_checks_merge_into_every_rows(raw):
    """As the parent sends them to the child writing the Notes sheet: its part's statuses
    as the draws tell them (``unchecked_statuses``, sent before its checks run), merged
    there with the other part's, then the Checks its checks found (``check_texts``) put in
    at that part's rows: every row's status, as drawing every note at once gives it."""
    prepared = prepare_notes(raw, today=AS_OF)
    first, second = _two_parts(prepared)
    applied = apply_part(prepared, first)
    unchecked = pickle.loads(pickle.dumps(pack_statuses(unchecked_statuses(prepared, applied))))
    mine = checked_part(prepared, applied)
    assert mine == draw_notes(prepared, first)
    texts = pickle.loads(pickle.dumps(check_texts(prepared, mine)))
    theirs = part_statuses(prepared, draw_notes(prepared, second))
    merged = merge_statuses(prepared, [first.rows, second.rows], [unchecked, theirs])
    statuses = with_check_texts(merged, texts, first.rows)
    _assert_same_statuses(statuses, refresh_notes(raw, today=AS_OF).notes)


@settings(max_examples=150, deadline=None)
@given(books, st.integers(1, 3))
def test_the_notes_of_each_part_built_apart_make_the_book_built_at_once(raw, count):
    """Two processes each build the notes of their clients' rows only; put together, the
    book, its problems and the parts are those of the book built at once, and each part's
    notes drawn on its own book give what that part of the whole book gives."""
    whole = prepare_notes(raw, today=AS_OF)
    base = prepare_base(raw, today=AS_OF)
    rows = split_rows(base, (1,) * count)
    built = [with_notes(base, r) for r in rows]
    joined, parts = join_built(base, built, rows)
    assert joined.book == whole.book
    assert joined.problems == whole.problems
    assert joined.first_problem == whole.first_problem
    assert parts == split_notes(whole, (1,) * count)
    alone = [draw_notes(b) for b in built]
    drawn = [as_part_of(d, p) for d, p in zip(alone, parts)]
    _assert_same(merge_drawn(drawn), draw_notes(whole))
    ours = {id(n) for n in joined.book.notes}
    assert all(id(d.note) in ours for d in drawn[-1].draws)
    statuses = [part_statuses(b, d) for b, d in zip(built, alone)]
    _assert_same_statuses(
        merge_statuses(joined, rows, statuses), part_statuses(whole, draw_notes(whole))
    )
    # a part drawn on its own book in another process comes back onto the joined book
    shipped = pickle.loads(pickle.dumps(pack_drawn(alone[-1])))
    back = unpack_drawn(joined, parts[-1], shipped)
    # (merge_drawn adds the parts onto the first's ledger: the others are drawn afresh)
    others = [as_part_of(draw_notes(b), p) for b, p in zip(built[:-1], parts[:-1])]
    _assert_same(merge_drawn([*others, back]), draw_notes(whole))


def test_each_clients_notes_stay_in_one_part_and_the_parts_are_about_even():
    notes = [
        {"client_id": c, "service_date": BASE, "billing_code": "90834", "status": "Released"}
        for c in ["C1"] * 5 + ["C2"] * 4 + ["C3"] * 3 + ["c3 "] * 1 + ["C4"] * 2
    ]
    prepared = prepare_notes(_book([], notes), today=AS_OF)
    parts = split_notes(prepared)
    clients = [
        {prepared.book.notes[i].client_id.strip().upper() for i in part.notes} for part in parts
    ]
    assert not clients[0] & clients[1]  # C3 typed two ways is one client, in one part
    assert sorted(len(p.notes) for p in parts) == [7, 8]
    assert sorted(r for p in parts for r in p.rows) == list(range(len(notes)))


def _check_that_looks_across_clients(draw, context):
    """What no registered check may do: look at other clients' notes (here, whether any
    other client has a note at all)."""
    from authbook.rules.findings import finding

    clients = {client for client, _ in context.same_day}
    if len(clients) > 1:
        return [finding(draw.note, "SEES OTHER CLIENTS", None, "looked across clients")]
    return []


def test_a_check_looking_across_clients_is_caught_by_the_parts_oracle(monkeypatch):
    """The one-client-per-part invariant (``rules.checks.CHECKS``) is what lets two processes
    draw the notes: a check added there that looks at another client's notes would give
    different findings once a workbook is large enough to split. The hypothesis oracle
    above runs every registered check split and unsplit; this shows it fails for such a
    check, on a book of two clients, split one client per part."""
    from authbook.rules import checks

    auths = [
        {"client_id": c, "billing_code": "90791", "start_date": BASE, "allotted_units": 5}
        | {"end_date": BASE + timedelta(days=90)}
        for c in ("C1", "C2")
    ]
    notes = [
        {"client_id": c, "service_date": BASE + timedelta(days=3), "billing_code": "90791"}
        | {"status": "Released", "units": 1, "provider": "Dr Ash"}
        for c in ("C1", "C2")
    ]
    # 90791: a code whose checks look at the client's other notes that day (once a day), so
    # the context holds those days' notes
    raw = _book(auths, notes)
    registered = checks.run_checks.__defaults__
    monkeypatch.setattr(
        checks.run_checks,
        "__defaults__",
        (checks.CHECKS + (_check_that_looks_across_clients,),),
    )
    prepared = prepare_notes(raw, today=AS_OF)
    parts = split_notes(prepared, (1, 1))
    assert len([p for p in parts if p.notes]) == 2  # one client in each part
    whole = draw_notes(prepared)
    parted = merge_drawn([draw_notes(prepared, part) for part in parts])
    assert any(f.kind == "SEES OTHER CLIENTS" for f in whole.checked)
    try:
        _assert_same(parted, whole)
    except AssertionError:
        pass
    else:  # the oracle would have let a cross-client check through
        raise AssertionError("drawing in parts hid a check that looks across clients")
    monkeypatch.setattr(checks.run_checks, "__defaults__", registered)
    _assert_same(merge_drawn([draw_notes(prepared, p) for p in parts]), draw_notes(prepared))


@settings(max_examples=150, deadline=None)
@given(books, st.integers(0, 200), st.integers(0, 60))
def test_a_part_built_and_drawn_elsewhere_is_joined_without_building_its_notes(raw, offset, span):
    """As a refresh's two processes do: the second part built and drawn in the other
    process comes back packed (``pack_built``, ``pack_drawn``) and is joined here
    (``join_packed``) without its notes being built. The whole refresh finished on it is
    the serial refresh; the notes are built only when read, and then they are the book's."""
    from authbook.rules.refresh import finish_refresh, refresh
    from authbook.rules.units import CountedElsewhere

    base = prepare_base(raw, today=AS_OF)
    rows = split_rows(base)
    if len(rows) == 1:
        rows.append([])
    built = [with_notes(base, r) for r in rows]
    drawn = [draw_notes(b) for b in built]
    shipped = pickle.loads(pickle.dumps((pack_built(base, built[1]), pack_drawn(drawn[1]))))
    joined, parts = join_packed(base, built[0], rows, shipped[0])
    back = unpack_drawn(joined, parts[1], shipped[1])
    merged = merge_drawn([as_part_of(drawn[0], parts[0]), back])
    whole = prepare_notes(raw, today=AS_OF)
    serial = refresh(raw, today=AS_OF)

    # burn rates and period limits read the other part's units without its notes
    start = BASE + timedelta(days=offset)
    for auth in whole.book.auths:
        assert merged.ledger.units_between(auth, start, start + timedelta(days=span)) == (
            serial.ledger.units_between(auth, start, start + timedelta(days=span))
        )
    finished = finish_refresh(notes_refreshed(joined, merged))
    assert joined.book.notes._list is None  # not built by the refresh
    assert len(joined.book.notes) == len(whole.book.notes)
    assert finished.auths == serial.auths
    assert finished.alerts == serial.alerts
    assert finished.renewals == serial.renewals
    assert finished.problems == serial.problems
    assert finished.findings == serial.findings
    assert joined.first_problem == whole.first_problem
    assert parts == split_notes(whole)
    # read at last, the notes are built: the book, the ledger's and the draws are the whole's
    assert joined.book == whole.book
    _assert_same(merged, draw_notes(whole))
    elsewhere = [held for held in merged.ledger.counted.values() if type(held) is CountedElsewhere]
    ours = {id(n) for n in joined.book.notes}
    assert all(id(n) in ours for held in elsewhere for n in held)
    assert all(id(d.note) in ours for d in merged.draws)


def test_merged_statuses_give_their_rows_and_cells_without_making_their_sources():
    """The writer child takes the Notes rows' numbers and cells of the merged statuses
    (``NoteStatusesLater`` of ``merge_statuses``): 500,000 sources are not made for it."""
    from authbook.models import NoteStatusesLater

    notes = [
        {"client_id": c, "service_date": BASE, "billing_code": "90834", "status": "Released"}
        for c in ["C1", "C2", "C3", "C1", "C4", "C2"]
    ]
    prepared = prepare_notes(_book([], notes), today=AS_OF)
    parts = split_notes(prepared)
    statuses = [part_statuses(prepared, draw_notes(prepared, part)) for part in parts]
    shipped = pickle.loads(pickle.dumps(pack_statuses(statuses[0])))
    merged = merge_statuses(prepared, [p.rows for p in parts], [shipped, *statuses[1:]])
    made = []
    make_sources = merged._make_sources
    merged._make_sources = lambda: made.append(1) or make_sources()
    later = NoteStatusesLater(lambda: merged)
    whole = part_statuses(prepared, draw_notes(prepared))
    assert len(later) == len(whole)
    assert later.rows == whole.rows
    assert later.columns(NOTE_STATUS_FIELDS) == whole.columns(NOTE_STATUS_FIELDS)
    assert not made
    assert later.sources == whole.sources  # made when asked for
    assert made == [1]
