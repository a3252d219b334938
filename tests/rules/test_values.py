"""Reading what people type into cells."""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authbook.rules import values
from authbook.rules.values import (
    parse_date,
    parse_percent,
    parse_text,
    parse_units,
    parse_yes_no,
)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("3/31/2026", date(2026, 3, 31)),
        ("03-31-26", date(2026, 3, 31)),
        ("2026-03-31", date(2026, 3, 31)),
        ("March 31, 2026", date(2026, 3, 31)),
        (46112, date(2026, 3, 31)),
        (46112.75, date(2026, 3, 31)),
        (datetime(2026, 3, 31, 0, 0), date(2026, 3, 31)),
    ],
)
def test_dates_are_read_from_text_serials_and_date_cells(typed, expected):
    assert parse_date(typed) == (expected, None)


@pytest.mark.parametrize("typed", ["2/30/2026", "13/13/2026", "March 2026", "soon", True, -5])
def test_impossible_or_partial_dates_are_errors_not_guesses(typed):
    value, error = parse_date(typed)
    assert value is None and error


def test_day_first_order_reads_the_day_first():
    assert parse_date("04/03/2026", "DMY") == (date(2026, 3, 4), None)
    assert parse_date("04/03/2026", "MDY") == (date(2026, 4, 3), None)


@pytest.mark.parametrize(
    "typed, expected", [(12, 12), (12.0, 12), ("12", 12), ("12 visits", 12), ("1 unit", 1)]
)
def test_units_accept_numbers_and_counted_text(typed, expected):
    assert parse_units(typed) == (expected, None)


@pytest.mark.parametrize("typed", [-1, "-3", 2.5, "a dozen"])
def test_negative_fractional_or_wordy_units_are_errors(typed):
    value, error = parse_units(typed)
    assert value is None and error


def test_yes_no_accepts_the_usual_spellings():
    assert [parse_yes_no(v)[0] for v in ("Y", "yes", "TRUE", "x", 1, "N", "no", 0)] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert parse_yes_no("maybe")[1]


def test_a_fraction_in_a_percent_column_is_refused_as_ambiguous():
    assert parse_percent(50) == (50.0, None)
    assert parse_percent("50%") == (50.0, None)
    assert parse_percent(0.5)[1]
    assert parse_percent(150)[1]


def test_codes_typed_as_numbers_read_as_their_digits():
    assert parse_text(90834.0) == ("90834", None)
    assert parse_text(" H0004 ") == ("H0004", None)


@given(
    year=st.integers(0, 9999),
    month=st.integers(0, 13),
    day=st.integers(0, 32),
    pad=st.booleans(),
)
def test_an_iso_date_is_read_without_dateutil_as_dateutil_reads_it(year, month, day, pad):
    """2026-03-01 (the command line's dates) is read directly; what it gives, a date or a
    "not a real date" error, is what python-dateutil gives for the same text."""
    from dateutil import parser as dateparser

    text = f"{year:04d}-{month:02d}-{day:02d}" if pad else f"{year:04d}-{month}-{day}"
    found, error = values._parse_date_text.__wrapped__(text, "MDY")
    try:
        expected = dateparser.parse(text, yearfirst=True).date()
    except (ValueError, OverflowError):
        expected = None
    assert found == expected
    assert (error is None) == (expected is not None)
    if error:
        assert "is not a real date" in error or "is not a date" in error
