"""Period limits (Max Units per Day/Week/Month) and request status in eligibility."""

from __future__ import annotations

from datetime import date

from authbook.rules.eligibility import eligible_codes
from authbook.rules.limits import period_of
from tests.rules.billing_fixtures import run_book

AUTHS = """
auth_no | client_id | billing_code | start_date | end_date   | allotted_units | max_units | per   | request_status
A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 20             | 1         | Week  |
A2      | C1        | H0004        | 2026-01-01 | 2026-06-30 | 200            | 4         | Day   | Approved
A3      | C1        | 90837        | 2026-01-01 | 2026-06-30 | 20             |           |       | Requested
A4      | C1        | 90832        | 2026-01-01 | 2026-06-30 | 20             | 2         | Month | Partial
"""
NOTES = """
note_id | client_id | service_date | billing_code | units | minutes | status
N1      | C1        | 2026-02-03   | 90834        | 1     | 45      | Released
N2      | C1        | 2026-02-10   | H0004        | 4     | 60      | Pending
N3      | C1        | 2026-02-02   | 90832        | 1     | 30      | Released
N4      | C1        | 2026-02-20   | 90832        | 1     | 30      | Pending
"""


def eligible_on(day: date) -> list[str]:
    result = run_book(AUTHS, NOTES)
    return sorted(eligible_codes(result.book.auths, result.ledger, "C1", day))


def test_periods_are_calendar_day_sunday_week_and_calendar_month():
    assert period_of("Day", date(2026, 2, 4)) == (date(2026, 2, 4), date(2026, 2, 4))
    assert period_of("Week", date(2026, 2, 4)) == (date(2026, 2, 1), date(2026, 2, 7))
    assert period_of("Week", date(2026, 2, 1)) == (date(2026, 2, 1), date(2026, 2, 7))
    assert period_of("Week", date(2026, 2, 7)) == (date(2026, 2, 1), date(2026, 2, 7))
    assert period_of("Month", date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_of("Month", date(2024, 12, 31)) == (date(2024, 12, 1), date(2024, 12, 31))


def test_eligibility_leaves_out_an_auth_whose_weekly_limit_is_reached_that_week():
    assert "90834" not in eligible_on(date(2026, 2, 7))  # same Sunday-Saturday week as N1
    assert "90834" in eligible_on(date(2026, 2, 8))  # next week


def test_eligibility_leaves_out_an_auth_whose_daily_limit_is_reached_that_day():
    assert "H0004" not in eligible_on(date(2026, 2, 10))
    assert "H0004" in eligible_on(date(2026, 2, 11))


def test_eligibility_leaves_out_an_auth_whose_monthly_limit_is_reached_that_month():
    assert "90832" not in eligible_on(date(2026, 2, 27))
    assert "90832" in eligible_on(date(2026, 3, 2))


def test_eligibility_leaves_out_requests_not_approved_yet():
    assert "90837" not in eligible_on(date(2026, 3, 2))
    assert eligible_on(date(2026, 3, 2)) == ["90832", "90834", "H0004"]
