"""Units follow the payer (Settings: Denied Notes Use Units) and the Check compared with the
payer's answers, per payer, on the Dashboard and in `authbook report` (issue 26)."""

from __future__ import annotations

import json
from datetime import date

from openpyxl import load_workbook

from authbook.claims.build import Claim
from authbook.rules.remits import PayerOutcomes, prediction_vs_outcome
from tests.claims.claim_fixtures import claims_file, line, remit_file, write_book
from tests.claims.test_remit import FIRST_ERA, _notes_with_two_units
from tests.rules.billing_fixtures import run_book
from tests.rules.ledger import auth_status

AUTH = """
auth_no | client_id | billing_code | start_date | end_date   | allotted_units
A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 3
"""
NOTES = """
note_id | client_id | service_date | billing_code | units | status   | remit_status
N1      | C1        | 2026-02-02   | 90834        | 1     | Released | Paid
N2      | C1        | 2026-02-09   | 90834        | 1     | Released | Denied
N3      | C1        | 2026-02-16   | 90834        | 1     | Released |
N4      | C1        | 2026-02-23   | 90834        | 1     | Released |
"""


def test_denied_note_still_uses_units_by_default():
    result = run_book(AUTH, NOTES)
    assert auth_status(result, "A1").used_units == 4
    assert [d.reason for d in result.draws] == ["ok", "ok", "ok", "over"]


def test_denied_note_stops_using_units_when_settings_say_no_and_still_shows_its_auth():
    result = run_book(AUTH, NOTES, denied_notes_use_units="No")
    assert auth_status(result, "A1").used_units == 3
    assert auth_status(result, "A1").remaining_units == 0
    assert [d.reason for d in result.draws] == ["ok", "ok", "ok", "ok"]  # N4 fits now
    assert result.draws[1].auth.auth_no == "A1"  # the denied note still names its auth


def test_prediction_vs_outcome_counts_each_payers_answers_against_the_check():
    rows = [
        ("Summit", True, "Denied", "197"),  # predicted and denied
        ("Summit", False, "Denied", "15"),  # missed: an auth reason
        ("Summit", False, "Denied", "16"),  # denied for another reason: not AuthBook's
        ("Summit", True, "Paid", None),  # paid despite the check
        ("Summit", True, "Partial", "198"),  # paid in part despite the check
        ("Summit", False, "Reversed", None),  # no final answer
        ("Evergreen", False, "Paid", None),
    ]
    assert prediction_vs_outcome(rows) == [
        PayerOutcomes("Evergreen", 1, 0, 0, 0),
        PayerOutcomes("Summit", 5, 1, 1, 2),
    ]


def test_round_trip_scrub_remit_and_the_check_vs_payer_table_checked_by_hand(tmp_path, run_cli):
    book = write_book(tmp_path / "book.xlsx", notes=_notes_with_two_units())
    claims = claims_file(
        tmp_path / "out.837",
        [
            Claim("N1", "MEM001", (line("90834", date(2026, 3, 2), control="N1"),), auth="SUM-100"),
            Claim("CL2", "MEM001", (line("90837", date(2026, 3, 9)),), auth="SUM-101"),
            Claim(
                "CL3",
                "MEM002",
                (
                    line("90837", date(2026, 3, 3)),
                    line("90837", date(2026, 3, 10), units=2, charge=300),
                ),
                auth="EVG-7",
            ),
        ],
    )
    scrubbed = run_cli("scrub", str(book), str(claims), "--format", "json")
    # N4's 2 units on a 2-unit auth already drawn by N3: the only line AuthBook expects denied
    assert [(r["note_id"], r["carc"]) for r in json.loads(scrubbed.stdout)] == [("N4", "198")]
    era = remit_file(tmp_path / "in.835", FIRST_ERA)
    assert run_cli("remit", str(book), str(era), "--yes").returncode == 1  # 2 lines for no note
    # By hand: Summit Care remitted N1 (paid) and N2 (denied 197, Check OK: missed);
    # Evergreen HMO remitted N3 (paid) and N4 (partial, Check said 198: paid despite check).
    expected = [["Evergreen HMO", 2, 0, 0, 1], ["Summit Care", 2, 0, 1, 0]]
    report = json.loads(run_cli("report", str(book), "--format", "json").stdout)
    panel = report["panels"]["Check vs payer (remitted notes)"]
    assert [list(row.values()) for row in panel] == expected
    ws = load_workbook(book)["Dashboard"]
    cells = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    title = next(i for i, row in enumerate(cells) if row[0] == "Check vs payer (remitted notes)")
    assert cells[title + 1][:5] == [
        "Payer",
        "Remitted",
        "Denied as Predicted",
        "Missed: Auth Denial",
        "Paid Despite Check",
    ]
    assert [list(r[:5]) for r in cells[title + 2 : title + 4]] == expected


def test_report_without_remittances_has_no_check_vs_payer_panel(tmp_path, run_cli):
    book = write_book(tmp_path / "book.xlsx")
    report = json.loads(run_cli("report", str(book), "--format", "json").stdout)
    assert "Check vs payer (remitted notes)" not in report["panels"]


def test_settings_no_in_the_workbook_frees_the_units_of_a_denied_note(tmp_path, run_cli):
    book = write_book(tmp_path / "book.xlsx", settings={"Denied Notes Use Units": "No"})
    era = remit_file(tmp_path / "in.835", FIRST_ERA[:1])  # N2 denied CO-197 on SUM-101
    assert run_cli("remit", str(book), str(era), "--yes").returncode == 0
    auths = {r[0].value: r for r in load_workbook(book)["Auths"].iter_rows(min_row=2)}
    header = [c.value for c in load_workbook(book)["Auths"][1]]
    used = header.index("Used Units")
    assert auths["SUM-101"][used].value == 0  # N2 no longer counts
    assert auths["SUM-100"][used].value == 1  # N1 (paid) still does
