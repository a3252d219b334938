"""The claim rules on plain records (no files): matching lines to notes, the Auth # check,
remittance statuses and their invariants."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from authbook.rules import remits
from authbook.rules.claimlines import Adjustment, ClaimLine, RemitLine
from authbook.rules.claims import NoteIndex, ScrubContext, scrub
from tests.rules.ledger import run

AUTHS = """
auth_no | client_id | billing_code | start_date | end_date   | allotted_units | provider
AET-1   | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             |
AET-1   | C1        | 90837        | 2026-01-01 | 2026-06-30 | 10             |
B-2     | C2        | 90834        | 2026-01-01 | 2026-06-30 | 10             | Dr Birch
"""
NOTES = """
note_id | client_id | service_date | billing_code | units | status   | provider
N1      | C1        | 2026-02-02   | 90834        | 1     | Released | Dr Ash
N2      | C1        | 2026-02-09   | 90837        | 1     | Released | Dr Ash
N3      | C2        | 2026-02-10   | 90834        | 1     | Released | Dr Birch
"""


def claim_line(code, day, auth=None, control=None, member="M1", provider=None, units=1):
    return ClaimLine(
        file="t.837",
        position=1,
        claim_id="X",
        line_no=1,
        code=code,
        units=units,
        charge=100.0,
        service_date=day,
        member_id=member,
        provider=provider,
        claim_auth=auth,
        line_control=control,
    )


def scrubbed(*lines):
    result = run(AUTHS, NOTES, as_of=date(2026, 3, 1))
    index = NoteIndex(result.book.notes, {"M1": ["C1"], "M2": ["C2"]})
    context = ScrubContext.of(result.draws, result.findings, result.ledger, result.book.auths)
    return scrub(lines, index, context)


def test_one_approval_number_on_several_code_lines_fits_the_line_of_the_billed_code():
    matches, findings = scrubbed(claim_line("90837", date(2026, 2, 9), auth="AET-1"))
    assert matches[0].note.note_id == "N2"
    assert findings == []


def test_auth_number_for_one_provider_billed_by_another_is_carc_15():
    _, findings = scrubbed(
        claim_line(
            "90834", date(2026, 2, 10), auth="B-2", control="N3", member="M2", provider="Dr Ash"
        )
    )
    assert [(f.kind, f.carc) for f in findings] == [("AUTH # DOES NOT FIT", "15")]
    assert "Dr Birch only" in findings[0].message


def test_line_billing_more_units_than_its_note_must_fit_what_the_auth_has_left():
    _, findings = scrubbed(
        claim_line("90834", date(2026, 2, 2), auth="AET-1", control="N1", units=12)
    )
    assert [(f.kind, f.carc) for f in findings] == [("OVER UNITS", "198")]


def remit(paid, units_paid=1, units=1, status="1", adjustments=()):
    return RemitLine(
        file="e.835",
        position=1,
        payer="P",
        payer_id="P",
        check_no="C",
        check_date=None,
        claim_id="X",
        claim_status=status,
        payer_claim_no=None,
        member_id=None,
        line_control="N1",
        code="90834",
        units_billed=units,
        units_paid=units_paid,
        billed=100.0,
        paid=paid,
        service_date=None,
        adjustments=tuple(Adjustment(*a) for a in adjustments),
    )


def test_remit_status_paid_denied_partial_reversed():
    assert remits.remit_status(remit(80, adjustments=[("CO", "45", 20)])) == "Paid"
    assert remits.remit_status(remit(80, adjustments=[("PR", "2", 20)])) == "Paid"
    assert remits.remit_status(remit(0, 0, adjustments=[("CO", "197", 100)])) == "Denied"
    assert remits.remit_status(remit(50, 1, 2, adjustments=[("CO", "198", 50)])) == "Partial"
    assert remits.remit_status(remit(50, adjustments=[("CO", "119", 50)])) == "Partial"
    assert remits.remit_status(remit(-80, status="22")) == "Reversed"


ROW = st.fixed_dictionaries(
    {
        "check_no": st.sampled_from(["C1", "C2"]),
        "patient_control_no": st.sampled_from(["X1", "X2"]),
        "claim_status": st.sampled_from(["1", "22"]),
        "billing_code": st.just("90834"),
        "paid": st.sampled_from([0, 80.0, 80]),
        "note_id": st.sampled_from(["N1", "N2"]),
        "remit_status": st.sampled_from(list(remits.REMIT_STATUSES)),
    }
)


@given(st.lists(ROW, max_size=8), st.lists(ROW, max_size=8))
def test_importing_the_same_lines_again_adds_nothing(first, second):
    new, _ = remits.new_only(first, [])
    assert new == first  # nothing there yet: every line, repeats included
    again, repeated = remits.new_only(first, first)
    assert again == [] and repeated == len(first)
    both, _ = remits.new_only(first + second, first)
    assert len(both) == len(second)


@given(st.lists(ROW, min_size=1, max_size=10))
def test_a_notes_outcome_is_its_last_remittance_line(rows):
    outcomes = remits.outcomes(rows)
    for note in {r["note_id"] for r in rows}:
        last = [r for r in rows if r["note_id"] == note][-1]
        assert outcomes[note.casefold()].status == last["remit_status"]
