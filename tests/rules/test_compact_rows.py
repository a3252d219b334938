"""The refresh reads the Notes and Auths sheets as RawRows (one tuple per row) and builds
its records with trusted constructors; neither may change a single result (hypothesis,
against RawRecords and validated records)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.models import (
    Auth,
    Note,
    NoteStatus,
    NoteStatuses,
    RawBook,
    RawRows,
    Source,
    trusted_maker,
)
from authbook.rules.book import build_book
from authbook.rules.refresh import refresh
from tests.rules.test_properties import AS_OF, book_of, ledgers

#: Cells a person might type into a Notes row, good and bad.
messy_cells = st.fixed_dictionaries(
    {
        "note_id": st.sampled_from([None, "N1", " N2 ", 17]),
        "client_id": st.sampled_from([None, "C1", "c1 ", "C2", "C9"]),
        "service_date": st.sampled_from(
            [None, date(2026, 2, 2), "2/3/2026", "2/30/2026", "soon", 46054, ""]
        ),
        "billing_code": st.sampled_from([None, "90834", 90837, "+90785", "XYZ"]),
        "units": st.sampled_from([None, 1, 2, "2 units", -4, 1.5, ""]),
        "minutes": st.sampled_from([None, 45, "60", "a while"]),
        "status": st.sampled_from([None, "Pending", "released", "Draft", "Done"]),
        "auth_no": st.sampled_from([None, None, "P1"]),
    }
)


def _as_raw_rows(raw: RawBook) -> RawBook:
    fields = tuple(sorted({name for r in raw.notes for name in r.values}))
    compact = RawRows(
        "Notes",
        fields,
        [r.source.row for r in raw.notes],
        [tuple(r.values.get(f) for f in fields) for r in raw.notes],
    )
    return raw.model_copy(update={"notes": compact})


@settings(max_examples=100, deadline=None)
@given(ledgers, st.lists(messy_cells, max_size=12))
def test_notes_read_as_raw_rows_refresh_exactly_as_raw_records(ledger, messy):
    auths, notes = ledger
    raw = book_of(auths, notes + messy)
    expected = refresh(raw, today=AS_OF)
    got = refresh(_as_raw_rows(raw), today=AS_OF)
    assert got.notes == expected.notes
    assert got.auths == expected.auths
    assert got.alerts == expected.alerts
    assert got.problems == expected.problems
    assert got.findings == expected.findings


def test_raw_rows_read_as_the_raw_records_they_hold():
    rows = RawRows("Notes", ("client_id", "units"), [2, 5], [("C1", 1), ("C2", None)])
    assert len(rows) == 2
    assert rows[1].source == Source(sheet="Notes", row=5)
    assert rows[1].values == {"client_id": "C2", "units": None}
    assert list(rows) == [rows[0], rows[1]]
    assert rows.columns(["units", "minutes"]) == [(1, None), (None, None)]


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "note_id": st.one_of(st.none(), st.text(max_size=5)),
            "client_id": st.text(min_size=1, max_size=5),
            "service_date": st.dates(),
            "provider": st.one_of(st.none(), st.text(max_size=5)),
            "billing_code": st.text(min_size=1, max_size=5),
            "units": st.integers(0, 50),
            "minutes": st.one_of(st.none(), st.integers(0, 300)),
            "status": st.sampled_from(("Draft", "Pending", "Released")),
            "auth_no": st.one_of(st.none(), st.text(max_size=5)),
        }
    ),
    st.integers(2, 10**6),
)
def test_trusted_records_equal_validated_ones(values, row):
    source = Source(sheet="Notes", row=row)
    names = tuple(values)
    assert Note.trusted(source=source, **values) == Note(source=source, **values)
    assert trusted_maker(Note, names)(source, tuple(values.values())) == Note(
        source=source, **values
    )
    status = {"applied_auth_no": values["auth_no"], "payer": None, "charge": 12.5,
              "inpatient": False, "check": "OK"}  # fmt: skip
    assert trusted_maker(NoteStatus, tuple(status))(source, tuple(status.values())) == (
        NoteStatus(source=source, **status)
    )


def test_note_statuses_held_by_column_read_as_the_records_they_hold():
    statuses = [
        NoteStatus(source=Source(sheet="Notes", row=2), applied_auth_no="P1", payer="Aetna",
                   charge=99.5, inpatient=False, check="OK"),
        NoteStatus(source=Source(sheet="Notes", row=4), applied_auth_no=None, payer=None,
                   charge=None, inpatient=None, check="INPUT PROBLEM: see Problems"),
    ]  # fmt: skip
    held = NoteStatuses.of(statuses)
    assert held == statuses and list(held) == statuses and held[1] == statuses[1]
    assert len(held) == 2 and held[-1].source.row == 4 and held[0:1] == statuses[:1]
    assert held.rows == [2, 4]
    assert held.columns(["charge", "check"]) == [
        [99.5, None],
        ["OK", "INPUT PROBLEM: see Problems"],
    ]
    try:
        NoteStatuses([statuses[0].source], {"check": ["OK"]})
    except ValueError:
        pass
    else:
        raise AssertionError("a column missing from NoteStatuses was accepted")


def test_trusted_maker_refuses_fields_the_record_lacks():
    try:
        trusted_maker(Note, ("client_id", "colour"))
    except ValueError as exc:
        assert "colour" in str(exc)
    else:
        raise AssertionError("a field the record lacks was accepted")


def test_a_note_row_with_bad_cells_is_reported_and_the_good_rows_still_count():
    raw = book_of(
        [
            {
                "auth_no": "P1",
                "client_id": "C1",
                "billing_code": "90834",
                "start_date": date(2026, 1, 1),
                "end_date": date(2026, 1, 1) + timedelta(days=90),
                "allotted_units": 10,
            }
        ],  # fmt: skip
        [
            {
                "client_id": "C1",
                "service_date": "2/30/2026",
                "billing_code": "90834",
                "status": "Released",
            },
            {
                "client_id": "C1",
                "service_date": date(2026, 2, 2),
                "billing_code": "90834",
                "status": "Released",
                "units": -4,
            },
            {
                "client_id": "C1",
                "service_date": date(2026, 2, 3),
                "billing_code": "90834",
                "status": "Released",
                "units": 2,
            },
        ],  # fmt: skip
    )
    result = refresh(_as_raw_rows(raw), today=AS_OF)
    problems = {(p.source.row, p.field) for p in result.problems}
    assert (2, "service_date") in problems
    assert (3, "units") in problems
    assert [s.check.startswith("INPUT PROBLEM") for s in result.notes] == [True, True, False]
    assert result.auths[0].used_units == 2


def _notes_row_by_row(raw: RawBook):
    """The oracle: every note row parsed on its own with ``parse_row``, as AuthBook did before
    the column-wise builder (same required cells, same reference checks, same defaults)."""
    from authbook.rules.book import (
        NOTE_REFERENCES,
        _Known,
        _required,
        field_parsers,
        parse_row,
    )
    from authbook.rules.noterows import note_notices as _note_notices
    from authbook.rules.values import name_key, parse_text

    book, _ = build_book(raw.model_copy(update={"notes": ()}))
    known = _Known(book.clients, book.billing_codes, book.auth_groups, book.payers, book.providers)
    notes, problems = [], []
    rows_of_id: dict[str, list[int]] = {}
    for row in raw.notes:
        note_id, _ = parse_text(row.values.get("note_id"))
        if note_id:
            rows_of_id.setdefault(name_key(note_id), []).append(row.source.row)
    for row in raw.notes:
        values, found = parse_row(row, field_parsers("MDY")["notes"])
        unreadable = any(p.field == "billing_code" for p in found)
        if values["billing_code"] is None and not unreadable and values["service_date"]:
            # issue 23: a blank code is the client's Default auth's (covering the date)
            defaults = [
                a
                for a in book.auths
                if a.default
                and a.is_approved
                and not a.exclude_from_notes
                and name_key(a.client_id) == name_key(values["client_id"] or "")
                and a.covers(values["service_date"])
            ]
            if defaults:
                first = min(defaults, key=lambda a: (a.end_date, a.source.row))
                values["billing_code"] = first.billing_code
        entity = values["note_id"] or values["client_id"]
        problems.extend(p.model_copy(update={"entity": entity}) for p in found)
        usable = not any(p.field in ("units", "service_date", "status") for p in found)
        blank = _required(row, values, ("client_id", "billing_code", "service_date"), entity)
        problems.extend(blank)
        problems.extend(p for p in known.unknown(row, values, entity) if p.field in NOTE_REFERENCES)
        # Issue 25: a blank Status reads as Pending and is a problem; so is a repeated Note ID.
        no_status = values["status"] is None and not any(p.field == "status" for p in found)
        others = [r for r in rows_of_id.get(name_key(values["note_id"] or ""), ())]
        others = [r for r in others if r != row.source.row] if values["note_id"] else []
        problems.extend(_note_notices(row, values, no_status, others))
        if usable and not blank:
            values["units"] = 1 if values["units"] is None else values["units"]
            values["status"] = values["status"] or "Pending"
            notes.append(Note(source=row.source, **values))
    return notes, problems


@settings(max_examples=150, deadline=None)
@given(ledgers, st.lists(messy_cells, max_size=12))
def test_notes_parsed_by_column_equal_notes_parsed_row_by_row(ledger, messy):
    auths, notes = ledger
    raw = book_of(auths, notes + messy)
    expected_notes, expected_problems = _notes_row_by_row(raw)
    book, problems = build_book(_as_raw_rows(raw))
    assert list(book.notes) == expected_notes
    assert [p for p in problems if p.source.sheet == "Notes"] == expected_problems


messy_auth_cells = st.fixed_dictionaries(
    {
        "auth_no": st.sampled_from([None, "P1", " p1", 12]),
        "client_id": st.sampled_from([None, "C1", "C9"]),
        "billing_code": st.sampled_from([None, "90834", 90837.0]),
        "start_date": st.sampled_from([None, date(2026, 1, 1), "1/1/2026", "13/45/2026"]),
        "end_date": st.sampled_from([None, "6/30/2026", 46203, "never", "12/31/2025"]),
        "allotted_units": st.sampled_from([None, 20, "20 visits", -3, "lots"]),
        "max_units": st.sampled_from([None, 4, "four"]),
        "payer": st.sampled_from([None, "Nobody Mutual"]),
        "unmanaged": st.sampled_from([None, "Y", "n", "maybe"]),
        "sliding_scale_pct": st.sampled_from([None, 50, "50%", 0.5, 140]),
        "per": st.sampled_from([None, "Week", "fortnight"]),
        "request_status": st.sampled_from([None, "Approved", "pended", "lost", "Denied"]),
    }
)


#: A good auth row with at most one thing wrong with it (the messy rows above seldom have
#: only one).
_GOOD_AUTH = {
    "auth_no": "Q1", "client_id": "C1", "billing_code": "90834",
    "start_date": "1/1/2026", "end_date": "6/30/2026", "allotted_units": 10,
}  # fmt: skip
one_defect_auth_cells = st.sampled_from(
    [
        {},
        {"end_date": "12/31/2025"},
        {"per": "Week"},
        {"max_units": 4},
        {"max_units": 4, "per": "Month"},
        {"auth_no": "q1 "},
        {"auth_no": None},
        {"allotted_units": None},
        {"allotted_units": None, "request_status": "Requested"},
        {"allotted_units": None, "unmanaged": "Yes"},
        {"allotted_units": 12, "unmanaged": "Yes"},
        {"client_id": "C9"},
        {"payer": "Nobody Mutual"},
        {"billing_code": None},
        {"start_date": "2/30/2026"},
    ]
).map(lambda defect: {**_GOOD_AUTH, **defect})


def _auths_row_by_row(raw: RawBook):
    """The oracle: every auth row parsed on its own with ``parse_row`` and checked on its own
    with ``_checked_auth`` (the column-wise builder sends only some rows there)."""
    from authbook.rules.approvals import number_problems
    from authbook.rules.book import _checked_auth, _Known, field_parsers, parse_row

    book, _ = build_book(raw.model_copy(update={"auths": (), "notes": ()}))
    known = _Known(book.clients, book.billing_codes, book.auth_groups, book.payers, book.providers)
    auths, problems = [], []
    for row in raw.auths:
        values, found = parse_row(row, field_parsers("MDY")["auths"])
        values = _checked_auth(row, values, found, known, problems)
        if values is not None:
            auths.append(Auth(source=row.source, **values))
    # the lines of an ambiguous Auth # (approvals.number_problems) are told so, in row order
    problems = sorted(problems + number_problems(auths), key=lambda p: p.source.row)
    return auths, problems


@settings(max_examples=150, deadline=None)
@given(ledgers, st.lists(st.one_of(messy_auth_cells, one_defect_auth_cells), max_size=15))
def test_auths_built_by_column_equal_auths_built_row_by_row(ledger, messy):
    """Only the auth rows with something to report are looked at one by one: the rest take
    the defaults a column at a time. Either way the same auths, and the same problems in
    the same order (duplicate Auth #s, half period limits, unknown clients...)."""
    auths, notes = ledger
    raw = book_of(auths + messy, [])
    expected_auths, expected_problems = _auths_row_by_row(raw)
    for form in (raw, _auths_as_raw_rows(raw)):
        book, problems = build_book(form)
        assert list(book.auths) == expected_auths
        assert [p for p in problems if p.source.sheet == "Auths"] == expected_problems


def _auths_as_raw_rows(raw: RawBook) -> RawBook:
    fields = tuple(sorted({name for r in raw.auths for name in r.values}))
    compact = RawRows(
        "Auths",
        fields,
        [r.source.row for r in raw.auths],
        [tuple(r.values.get(f) for f in fields) for r in raw.auths],
    )
    return raw.model_copy(update={"auths": compact})


@settings(max_examples=150, deadline=None)
@given(ledgers, st.lists(messy_auth_cells, max_size=8))
def test_auths_read_as_raw_rows_refresh_exactly_as_raw_records(ledger, messy):
    """The Auths sheet is read as RawRows too: the same new Auth #s (blank ones get numbers),
    problems (naming the same cells), statuses, alerts and renewals as RawRecords give."""
    auths, notes = ledger
    raw = book_of(auths + messy, notes)
    expected = refresh(raw, today=AS_OF)
    got = refresh(_auths_as_raw_rows(raw), today=AS_OF)
    assert got.new_auth_numbers == expected.new_auth_numbers
    assert got.problems == expected.problems
    assert got.auths == expected.auths
    assert got.book.auths == expected.book.auths
    assert got.alerts == expected.alerts
    assert got.renewals == expected.renewals
    assert got.notes == expected.notes
