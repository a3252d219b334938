"""Every note check, each with a note that passes it and one that fails it.

Notes are Pending (they draw units and are checked). Rows: the first data line is row 2.
"""

from __future__ import annotations

from pathlib import Path

from authbook.rules.checks import CHECKS
from authbook.rules.coding import units_for_minutes
from tests.rules.billing_fixtures import findings_on, kinds_on, run_book

HEAD = "note_id | client_id | service_date | billing_code | units | minutes | status | auth_no"


def notes(*lines: str) -> str:
    return HEAD + "\n" + "\n".join(lines)


def test_every_check_in_the_list_has_tests_here():
    text = Path(__file__).read_text()
    for check in CHECKS:
        assert f"test_{check.__name__}" in text, check.__name__


# --- check_auth ----------------------------------------------------------------------------


def test_check_auth_note_with_a_fitting_auth_passes_and_one_without_is_denied_197():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | 90834 | 1 | 45 | Pending |",
            "N2 | C2 | 2026-02-02 | 90834 | 1 | 45 | Pending |",
        )
    )
    assert kinds_on(result, 2) == []
    assert kinds_on(result, 3) == [("NO AUTH", "197")]
    assert result.notes[0].check == "OK"
    assert result.notes[1].check.startswith("NO AUTH (CARC 197)")


def test_check_auth_units_beyond_the_auth_are_denied_198():
    auths = """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units
    A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 1
    """
    result = run_book(
        auths,
        notes(
            "N1 | C1 | 2026-02-02 | 90834 | 1 | 45 | Released |",
            "N2 | C1 | 2026-02-09 | 90834 | 1 | 45 | Pending |",
        ),
    )
    assert kinds_on(result, 2) == []
    assert kinds_on(result, 3) == [("OVER UNITS", "198")]


def test_check_auth_a_pinned_auth_number_for_another_code_is_denied_15():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | 90834 | 1 | 45 | Pending | A90834",
            "N2 | C1 | 2026-02-02 | 90837 | 1 | 55 | Pending | A90834",
        )
    )
    assert kinds_on(result, 2) == []
    assert kinds_on(result, 3) == [("AUTH # DOES NOT FIT", "15")]


def test_check_auth_only_approved_partial_or_blank_status_auths_serve_notes():
    auths = """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units | request_status
    A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | Partial
    A2      | C1        | 90837        | 2026-01-01 | 2026-06-30 |                | Submitted
    A3      | C1        | 90832        | 2026-01-01 | 2026-06-30 |                | Denied
    """
    result = run_book(
        auths,
        notes(
            "N1 | C1 | 2026-02-02 | 90834 | 1 | 45 | Pending |",
            "N2 | C1 | 2026-02-02 | 90837 | 1 | 55 | Pending |",
            "N3 | C1 | 2026-02-03 | 90832 | 1 | 30 | Pending |",
        ),
    )
    assert kinds_on(result, 2) == []
    assert kinds_on(result, 3) == [("NOT APPROVED", "197")]
    assert kinds_on(result, 4) == [("REQUEST DENIED", "39")]
    assert result.problems == []  # a request without Allotted Units yet is not a problem


# --- check_period_limit ----------------------------------------------------------------------


def test_check_period_limit_second_session_in_a_week_limited_to_one_is_denied_119():
    auths = """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units | max_units | per
    A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 20             | 1         | Week
    """
    # 2026-02-01 is a Sunday: 02-01 and 02-07 are one week, 02-08 starts the next.
    result = run_book(
        auths,
        notes(
            "N1 | C1 | 2026-02-01 | 90834 | 1 | 45 | Released |",
            "N2 | C1 | 2026-02-08 | 90834 | 1 | 45 | Released |",
            "N3 | C1 | 2026-02-07 | 90834 | 1 | 45 | Pending |",
        ),
    )
    assert kinds_on(result, 2) == []
    assert kinds_on(result, 3) == []
    assert kinds_on(result, 4) == [("PERIOD LIMIT", "119")]
    assert "02/01/2026-02/07/2026" in findings_on(result, 4)[0].message


def test_check_period_limit_per_day_and_per_month():
    auths = """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units | max_units | per
    A1      | C1        | H0004        | 2026-01-01 | 2026-06-30 | 200            | 4         | Day
    A2      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 20             | 2         | Month
    """
    result = run_book(
        auths,
        notes(
            "N1 | C1 | 2026-02-02 | H0004 | 4 | 60 | Pending |",
            "N2 | C1 | 2026-02-03 | H0004 | 4 | 60 | Pending |",
            "N3 | C1 | 2026-02-03 | H0004 | 1 | 15 | Pending |",
            "N4 | C1 | 2026-02-02 | 90834 | 1 | 45 | Pending |",
            "N5 | C1 | 2026-02-27 | 90834 | 1 | 45 | Pending |",
            "N6 | C1 | 2026-03-02 | 90834 | 1 | 45 | Pending |",
            "N7 | C1 | 2026-02-28 | 90834 | 1 | 45 | Pending |",
        ),
    )
    assert [r for r in range(2, 9) if kinds_on(result, r)] == [4, 8]
    assert kinds_on(result, 8) == [("PERIOD LIMIT", "119")]


def test_a_limit_with_max_units_but_no_period_is_a_problem_and_not_applied():
    auths = """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units | max_units
    A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 20             | 1
    """
    result = run_book(
        auths,
        notes(
            "N1 | C1 | 2026-02-02 | 90834 | 1 | 45 | Pending |",
            "N2 | C1 | 2026-02-02 | 90834 | 1 | 45 | Pending |",
        ),
    )
    assert [(p.source.row, p.field) for p in result.problems] == [(2, "per")]
    assert result.findings == []


# --- coding checks ---------------------------------------------------------------------------


def test_check_psychotherapy_minutes_code_must_fit_the_session_length():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | 90834 | 1 | 45 | Pending |",
            "N2 | C1 | 2026-02-03 | 90837 | 1 | 45 | Pending |",
            "N3 | C1 | 2026-02-04 | 90832 | 1 | 12 | Pending |",
            "N4 | C1 | 2026-02-05 | 90837 | 1 | 53 | Pending |",
            "N5 | C1 | 2026-02-06 | 90837 | 1 |    | Pending |",
        )
    )
    assert kinds_on(result, 2) == []
    assert kinds_on(result, 3) == [("TIME DOES NOT FIT CODE", "150")]
    assert findings_on(result, 3)[0].message.endswith("bill 90834")
    assert kinds_on(result, 4) == [("TIME DOES NOT FIT CODE", "150")]
    assert kinds_on(result, 5) == []  # 53 minutes is 90837's first minute
    assert kinds_on(result, 6) == []  # no Minutes recorded: nothing to check against


def test_check_psychotherapy_minutes_add_on_ranges_apply_to_add_ons():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | 99213 | 1 |    | Pending |",
            "N2 | C1 | 2026-02-02 | 90836 | 1 | 40 | Pending |",
            "N3 | C1 | 2026-02-03 | 99213 | 1 |    | Pending |",
            "N4 | C1 | 2026-02-03 | 90836 | 1 | 30 | Pending |",
        )
    )
    assert kinds_on(result, 3) == []
    assert kinds_on(result, 5) == [("TIME DOES NOT FIT CODE", "150")]
    assert findings_on(result, 5)[0].message.endswith("bill 90833")


def test_check_add_on_has_primary_psychotherapy_add_on_needs_an_em_visit_that_day():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | 99213 | 1 |    | Pending |",
            "N2 | C1 | 2026-02-02 | 90833 | 1 | 20 | Pending |",
            "N3 | C1 | 2026-02-09 | 90833 | 1 | 20 | Pending |",
            "N4 | C1 | 2026-02-10 | 99213 | 1 |    | Draft   |",
            "N5 | C1 | 2026-02-10 | 90833 | 1 | 20 | Pending |",
        )
    )
    assert kinds_on(result, 3) == []
    assert kinds_on(result, 4) == [("ADD-ON WITHOUT PRIMARY", "B15")]
    assert kinds_on(result, 6) == [("ADD-ON WITHOUT PRIMARY", "B15")]  # a Draft is not billed


def test_check_add_on_has_primary_psychotherapy_add_on_never_with_standalone_psychotherapy():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | 99213 | 1 |    | Pending |",
            "N2 | C1 | 2026-02-02 | 90834 | 1 | 45 | Pending |",
            "N3 | C1 | 2026-02-02 | 90833 | 1 | 20 | Pending |",
        )
    )
    assert kinds_on(result, 4) == [("CODES DO NOT GO TOGETHER", "236")]


def test_check_add_on_has_primary_crisis_and_interactive_complexity_add_ons():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | 90839 | 1 | 60 | Pending |",
            "N2 | C1 | 2026-02-02 | 90840 | 1 | 30 | Pending |",
            "N3 | C1 | 2026-02-03 | 90840 | 1 | 30 | Pending |",
            "N4 | C1 | 2026-02-04 | 90834 | 1 | 45 | Pending |",
            "N5 | C1 | 2026-02-04 | 90785 | 1 |    | Pending |",
            "N6 | C1 | 2026-02-05 | 90785 | 1 |    | Pending |",
        )
    )
    assert kinds_on(result, 3) == []
    assert kinds_on(result, 4) == [("ADD-ON WITHOUT PRIMARY", "B15")]
    assert kinds_on(result, 6) == []
    assert kinds_on(result, 7) == [("ADD-ON WITHOUT PRIMARY", "B15")]


def test_check_add_on_has_primary_counts_only_the_same_clients_notes():
    result = run_book(
        auths="""
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        A1      | C1        | 90785        | 2026-01-01 | 2026-06-30 | 10
        A2      | C2        | 90834        | 2026-01-01 | 2026-06-30 | 10
        """,
        notes=notes(
            "N1 | C2 | 2026-02-04 | 90834 | 1 | 45 | Pending |",
            "N2 | C1 | 2026-02-04 | 90785 | 1 |    | Pending |",
        ),
    )
    assert kinds_on(result, 3) == [("ADD-ON WITHOUT PRIMARY", "B15")]


def test_check_interactive_complexity_not_with_family_therapy_or_crisis():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | 90832 | 1 | 30 | Pending |",
            "N2 | C1 | 2026-02-02 | 90785 | 1 |    | Pending |",
            "N3 | C1 | 2026-02-03 | 90847 | 1 | 50 | Pending |",
            "N4 | C1 | 2026-02-03 | 90853 | 1 | 60 | Pending |",
            "N5 | C1 | 2026-02-03 | 90785 | 1 |    | Pending |",
        )
    )
    assert kinds_on(result, 3) == []
    assert kinds_on(result, 6) == [("CODES DO NOT GO TOGETHER", "236")]
    assert "90847" in findings_on(result, 6)[0].message


def test_check_once_a_day_diagnostic_evaluation_billed_twice_the_same_day():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | 90791 | 1 | 60 | Pending |",
            "N2 | C1 | 2026-02-03 | 90791 | 1 | 60 | Pending |",
            "N3 | C1 | 2026-02-03 | 90792 | 1 | 60 | Pending |",
            "N4 | C1 | 2026-02-04 | 90791 | 2 | 90 | Pending |",
        )
    )
    assert kinds_on(result, 2) == []
    assert kinds_on(result, 3) == []  # the first of the day passes
    assert kinds_on(result, 4) == [("ONCE A DAY", "151")]
    assert kinds_on(result, 5) == [("ONCE A DAY", "151")]


def test_check_timed_units_8_minute_rule():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | H0004 | 3 | 50 | Pending |",
            "N2 | C1 | 2026-02-03 | H0004 | 4 | 50 | Pending |",
            "N3 | C1 | 2026-02-04 | H2019 | 1 | 8  | Pending |",
            "N4 | C1 | 2026-02-05 | H2019 | 1 | 7  | Pending |",
        ),
        timed_unit_rule="8 Minutes",
    )
    assert kinds_on(result, 2) == []
    assert kinds_on(result, 3) == [("UNITS EXCEED MINUTES", "151")]
    assert kinds_on(result, 4) == []
    assert kinds_on(result, 5) == [("UNITS EXCEED MINUTES", "151")]


def test_check_timed_units_rule_comes_from_settings_and_fewer_units_only_warns():
    lines = notes(
        "N1 | C1 | 2026-02-02 | H0004 | 4 | 50 | Pending |",
        "N2 | C1 | 2026-02-03 | H0004 | 3 | 50 | Pending |",
    )
    any_minute = run_book(notes=lines, timed_unit_rule="any minute")
    assert kinds_on(any_minute, 2) == []
    assert kinds_on(any_minute, 3) == [("UNITS BELOW MINUTES", None)]
    assert not findings_on(any_minute, 3)[0].denies
    eight = run_book(notes=lines)  # default: 8 Minutes
    assert kinds_on(eight, 2) == [("UNITS EXCEED MINUTES", "151")]
    assert kinds_on(eight, 3) == []


def test_timed_unit_rules_by_hand():
    assert [units_for_minutes(m, "8 Minutes") for m in (7, 8, 22, 23, 37, 38)] == [0, 1, 1, 2, 2, 3]
    assert [units_for_minutes(m, "Any Minute") for m in (1, 15, 16, 30, 31)] == [1, 1, 2, 2, 3]
    assert [units_for_minutes(m, "Full 15") for m in (14, 15, 29, 30)] == [0, 1, 1, 2]


def test_an_unknown_timed_unit_rule_is_a_settings_problem_and_the_default_applies():
    result = run_book(
        notes=notes("N1 | C1 | 2026-02-02 | H0004 | 3 | 50 | Pending |"),
        timed_unit_rule="round up",
    )
    assert [(p.source.sheet, p.field) for p in result.problems] == [("Settings", "value")]
    assert kinds_on(result, 2) == []


def test_draft_notes_are_not_checked_and_a_note_lists_every_finding():
    result = run_book(
        notes=notes(
            "N1 | C1 | 2026-02-02 | 90837 | 1 | 20 | Draft   |",
            "N2 | C2 | 2026-02-02 | 90837 | 1 | 20 | Pending |",
        )
    )
    assert kinds_on(result, 2) == []
    assert result.notes[0].check.startswith("DRAFT")
    assert kinds_on(result, 3) == [("NO AUTH", "197"), ("TIME DOES NOT FIT CODE", "150")]
    assert result.notes[1].check == "; ".join(f.text for f in findings_on(result, 3))
