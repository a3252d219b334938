"""Reading what people type into cells."""

from datetime import date, datetime

import pytest

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
