"""Reading what people type into cells: dates, unit counts, Y/N, percentages, money, codes.

Each parser takes a cell value as a file holds it (text, number, date, bool or None) and
returns ``(value, error)``: ``error`` is a short sentence for the Problems sheet, or None.
A blank cell gives ``(None, None)``. Nothing here changes what the user typed; it only reads it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

EXCEL_EPOCH = date(1899, 12, 30)
#: Serials outside this range are not plausible service dates (1900..2199).
SERIAL_RANGE = (1, 109574)

Parsed = tuple[object, str | None]


#: How much of a typed value a message quotes: enough to recognise it, and a generated cell
#: quoting a 32,767-character input stays far inside Excel's limit for a cell.
QUOTE_CHARS = 80


def short(value: object, limit: int = QUOTE_CHARS) -> str:
    """``value`` as text, cut to ``limit`` characters with an ellipsis when longer."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(value: object) -> str:
    """``'value'`` for a message, long values cut (see ``short``)."""
    return f"'{short(value)}'"


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def excel_serial_to_date(serial: float) -> date:
    """Excel's 1900 date system: 45658 -> 2025-01-01 (fractions of a day are dropped)."""
    return EXCEL_EPOCH + timedelta(days=int(serial))


def date_to_excel_serial(day: date) -> int:
    return (day - EXCEL_EPOCH).days


_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*\d{2,4}\b")
_DEFAULT_A = datetime(1904, 1, 1)
_DEFAULT_B = datetime(1908, 2, 2)


def parse_date(value: object, order: str = "MDY") -> tuple[date | None, str | None]:
    """A date from a date cell, an Excel serial number, or typed text.

    Text is read with python-dateutil; ``order`` (MDY, DMY or YMD) decides what 03/04/2026
    means. A date that does not exist (2/30/2026) or lacks a day, month or year is an error,
    never a guess.
    """
    kind = type(value)
    if kind is datetime:
        return value.date(), None
    if kind is date:
        return value, None
    if kind is str:
        return _parse_date_text(value, order)
    if value is None:
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, bool):
        return None, f"{value!r} is not a date"
    if isinstance(value, (int, float)):
        if not SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
            return None, f"{value} is not a date (as an Excel date number it is out of range)"
        return excel_serial_to_date(value), None
    return _parse_date_text(str(value), order)


@lru_cache(maxsize=4096)
def _parse_date_text(value: str, order: str) -> tuple[date | None, str | None]:
    """Typed date text (cached: a sheet repeats the same dates many times)."""
    text = value.strip()
    if not text:
        return None, None
    if _ISO.match(text):
        plain = _ISO_DAY.match(text)
        if plain:  # 2026-03-01, as typed on the command line: no need for dateutil
            try:
                return date(*map(int, plain.groups())), None
            except ValueError as exc:  # (the same words dateutil's error has)
                return None, f"{quoted(text)} is not a real date ({exc})"
        order = "YMD"
    from dateutil import parser as dateparser  # (only for dates typed as text: 5 ms to import)

    try:
        first = dateparser.parse(
            text, default=_DEFAULT_A, dayfirst=order == "DMY", yearfirst=order == "YMD"
        )
        second = dateparser.parse(
            text, default=_DEFAULT_B, dayfirst=order == "DMY", yearfirst=order == "YMD"
        )
    except (ValueError, OverflowError) as exc:
        reason = str(exc).split(":")[0]
        if "out of range" in reason or "must be in" in reason:
            return None, f"{quoted(text)} is not a real date ({reason})"
        return None, f"{quoted(text)} is not a date"
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None, f"{quoted(text)} is not a full date (day, month and year are needed)"
    numeric = _NUMERIC_DATE.match(text)
    if numeric and order in ("MDY", "DMY"):
        # dateutil swaps day and month when the first number is above 12 (13/4/2026 would be
        # April 13 in a month-first workbook): a date that does not fit the order is wrong.
        a, b = int(numeric.group(1)), int(numeric.group(2))
        month, day = (a, b) if order == "MDY" else (b, a)
        if (first.month, first.day) != (month, day):
            how = "month first (MDY)" if order == "MDY" else "day first (DMY)"
            return None, f"{quoted(text)} is not a date when written {how}, as Settings says"
    return first.date(), None


_UNITS = re.compile(
    r"^\s*([-+]?\d+(?:\.\d+)?)\s*(units?|visits?|sessions?|hours?|hrs?|u|v)?\s*$", re.I
)


#: A number whose commas group thousands (1,200 or 12,345.5): the only commas read as such.
#: Any other comma (12,0 from a European export) may be a decimal comma: never dropped.
_GROUPED = re.compile(r"^\s*[-+]?\$?\d{1,3}(,\d{3})+(\.\d+)?(\s*[a-z%]*)?\s*$", re.I)
_DECIMAL_COMMA = re.compile(r"\s*([-+]?)(\d{1,3}(?:\.\d{3})+|\d+),(\d+)\s*([^\d\s.,]*)\s*")


def from_decimal_comma(text: str) -> str:
    """A number written with a decimal comma as a number with a decimal point: '12,0' ->
    '12.0', '1.234,5' -> '1234.5', '6,0 visits' -> '6.0 visits'. Other text is unchanged.
    For sources that use the decimal comma (a semicolon-separated CSV from a European-locale
    spreadsheet)."""
    match = _DECIMAL_COMMA.fullmatch(text)
    if not match:
        return text
    sign, whole, fraction, unit = match.groups()
    return f"{sign}{whole.replace('.', '')}.{fraction}" + (f" {unit}" if unit else "")


#: The largest number of units, days or minutes a cell may hold. A practice's approvals are
#: tens of units; 100,000 leaves room for any real count while keeping 1e20 or 1e308 (a
#: stuck key, a pasted ID) out of the sums, the forecast and the saved file.
MAX_UNITS = 100_000
#: The largest amount of money a cell may hold (a rate per unit or a charge).
MAX_MONEY = 10_000_000


def parse_units(value: object) -> tuple[int | None, str | None]:
    """A whole number of units, 0 or more: 12, 12.0, "12", "12 visits", "12 units"."""
    if type(value) is int and 0 <= value <= MAX_UNITS:
        return value, None
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        return None, f"{value!r} is not a number of units"
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value)
        if "," in text and not _GROUPED.match(text):
            return None, f"{quoted(value)} has a comma that is not a thousands separator"
        match = _UNITS.match(text.replace(",", ""))
        if not match:
            return None, f"{quoted(value)} is not a number of units"
        number = float(match.group(1))
    if number != number:  # NaN
        return None, "NaN is not a number of units"
    if number < 0:
        return None, f"{_show_number(number)} is negative; units are 0 or more"
    if number > MAX_UNITS:
        return None, f"{_show_number(number)} is more than {MAX_UNITS:,}, the most AuthBook reads"
    if number != int(number):
        return None, f"{_show_number(number)} is not a whole number of units"
    return int(number), None


def parse_count(value: object) -> tuple[int | None, str | None]:
    """A whole number of days or minutes, 0 or more."""
    amount, error = parse_units(value)
    if error:
        error = error.replace("units", "a count").replace("a number of a count", "a number")
    return amount, error


_TRUE = {"y", "yes", "true", "x", "1", "t"}
_FALSE = {"n", "no", "false", "0", "f", ""}
_YES_NO = {"Y": True, "N": False, "y": True, "n": False}


def parse_yes_no(value: object) -> tuple[bool | None, str | None]:
    """Y/Yes/True/X/1 -> True; N/No/False/0 -> False; blank -> None (the caller's default)."""
    if value is None:
        return None, None
    if type(value) is str:
        known = _YES_NO.get(value)
        if known is not None:
            return known, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value), None
    text = str(value).strip().casefold()
    if not text:
        return None, None
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    return None, f"{quoted(value)} is not Y or N"


def parse_percent(value: object) -> tuple[float | None, str | None]:
    """A percentage from 0 to 100: 50, "50", "50%". A fraction such as 0.5 is refused
    (it is ambiguous: enter 50 for 50%)."""
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        return None, f"{value!r} is not a percentage"
    text = str(value).strip()
    had_sign = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip()) if not isinstance(value, (int, float)) else value
    except ValueError:
        return None, f"{quoted(value)} is not a percentage"
    if not had_sign and 0 < number < 1:
        return None, f"{number} looks like a fraction; enter the percentage (50 for 50%)"
    if not 0 <= number <= 100:
        return None, f"{_show_number(number)} is not between 0 and 100"
    return float(number), None


def parse_money(value: object) -> tuple[float | None, str | None]:
    """An amount of money, 0 or more: 120, 120.5, "$1,200.00"."""
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        return None, f"{value!r} is not an amount"
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value)
        if "," in text and not _GROUPED.match(text):
            return None, f"{quoted(value)} has a comma that is not a thousands separator"
        try:
            number = float(text.strip().replace("$", "").replace(",", ""))
        except ValueError:
            return None, f"{quoted(value)} is not an amount"
    if number != number:  # NaN
        return None, "NaN is not an amount"
    if number < 0:
        return None, f"{_show_number(number)} is negative"
    if number > MAX_MONEY:
        return None, f"{_show_number(number)} is more than {MAX_MONEY:,}, the most AuthBook reads"
    return number, None


def parse_text(value: object) -> tuple[str | None, str | None]:
    """Text with surrounding spaces removed; a whole number typed as a number (90834,
    90834.0) reads as its digits, so codes and IDs match however Excel stored them."""
    if type(value) is str:
        text = value.strip()
        return (text or None), None
    if value is None:
        return None, None
    if isinstance(value, bool):
        return ("Y" if value else "N"), None
    if isinstance(value, float) and value == int(value):
        return str(int(value)), None
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10], None
    return str(value).strip(), None


def parse_choice(value: object, choices: tuple[str, ...]) -> tuple[str | None, str | None]:
    """One of ``choices``, matched case-insensitively; returns the canonical spelling."""
    text, _ = parse_text(value)
    if text is None:
        return None, None
    for choice in choices:
        if text.casefold() == choice.casefold():
            return choice, None
    return None, f"{quoted(text)} is not one of {', '.join(choices)}"


@lru_cache(maxsize=65536)
def code_key(code: str | None) -> str:
    """How billing codes are compared: case and spaces ignored, a leading '+' of an add-on
    code dropped (+90785 and 90785 are the same code)."""
    return (code or "").strip().lstrip("+").upper()


@lru_cache(maxsize=65536)
def name_key(name: str | None) -> str:
    """How names (providers, payers, groups, IDs) are compared: case and spacing ignored."""
    return " ".join((name or "").split()).casefold()


def _show_number(number: float) -> str:
    """A number as typed for a message; a huge one in short form (1e+308, not 309 digits)."""
    if abs(number) >= 1e15 or number != number:
        return f"{number:g}"
    return str(int(number)) if number == int(number) else str(number)


#: The parsers of numbers (whose text a decimal-comma source writes as 12,5).
NUMBER_PARSERS = (parse_units, parse_count, parse_money, parse_percent)

PARSERS = {
    "text": parse_text,
    "date": parse_date,
    "int": parse_units,
    "count": parse_count,
    "yn": parse_yes_no,
    "percent": parse_percent,
    "money": parse_money,
}
