"""run_checks runs on a note only the checks that can find something on its code
(``coding.CHECK_CODES``) and keeps only the same-day notes those checks look at: neither
shortcut may ever drop or change a finding (hypothesis, against running every check on
every note with the full same-day context)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.models import RawBook, RawRecord, Source
from authbook.rules import findings as context_rules
from authbook.rules.book import build_book
from authbook.rules.checks import CHECKS, _with_auth, build_context, run_checks
from authbook.rules.limits import period_excesses
from authbook.rules.units import apply_notes

BASE = date(2026, 3, 2)
#: Codes every coding check cares about, and some none of them do.
CODES = (
    "90832", "90834", "90837", "+90833", "99213", "+90785", "90791", "90792",
    "90839", "+90840", "90846", "H2019", "H0004", "97153", "90853",
)  # fmt: skip


def _rows(sheet: str, rows: list[dict]) -> tuple[RawRecord, ...]:
    return tuple(
        RawRecord(source=Source(sheet=sheet, row=i), values=values)
        for i, values in enumerate(rows, start=2)
    )


@st.composite
def workbooks(draw):
    notes = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "client_id": st.sampled_from(("C1", "C2")),
                    "service_date": st.integers(0, 3).map(lambda d: BASE + timedelta(days=d)),
                    "billing_code": st.sampled_from(CODES),
                    "units": st.integers(1, 5),
                    "minutes": st.one_of(st.none(), st.integers(0, 120)),
                    "status": st.sampled_from(("Draft", "Pending", "Released")),
                }
            ),
            max_size=30,
        )
    )
    auths = [
        {
            "client_id": client,
            "billing_code": code,
            "start_date": BASE,
            "end_date": BASE + timedelta(days=60),
            "allotted_units": draw(st.integers(0, 20)),
        }
        for client in ("C1", "C2")
        for code in CODES
    ]
    codes = [{"code": c, "unit_minutes": 15 if c == "97153" else None} for c in CODES]
    return RawBook(
        clients=_rows("Clients", [{"client_id": "C1"}, {"client_id": "C2"}]),
        auths=_rows("Auths", auths),
        notes=_rows("Notes", notes),
        billing_codes=_rows("BillingCodes", codes),
    )


def _every_check_on_every_note(draws, context):
    found = []
    for draw in sorted(draws, key=lambda d: d.note.source.row):
        if draw.note.draws_units:
            for check in CHECKS:
                found.extend(_with_auth(f, draw) for f in check(draw, context))
    return found


@settings(max_examples=150, deadline=None)
@given(workbooks())
def test_checks_skipped_by_code_never_drop_a_finding(raw):
    book, _ = build_book(raw)
    draws, ledger = apply_notes(book.auths, book.notes)
    excesses = period_excesses(book.auths, ledger)
    full_context = context_rules.build_context(book, draws, excesses)

    expected = _every_check_on_every_note(draws, full_context)

    assert run_checks(draws, build_context(book, draws, excesses)) == expected
