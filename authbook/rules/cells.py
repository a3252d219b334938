"""Text that a spreadsheet would run as a formula, and how AuthBook keeps it text.

A cell typed as ``=HYPERLINK("http://…")``, ``+1 555 0100``, ``-2`` or ``@SUM(A1)`` is a
formula (or a number) to Excel and LibreOffice when it is *typed*, and a CSV file is read as if
typed. AuthBook never turns text into a formula:

- in ``.xlsx`` files every text is written as a text cell (never a formula cell), whatever it
  starts with;
- in CSV files it writes, text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a single quote in front (``'=HYPERLINK(…)``), which spreadsheets show as the text
  itself. Text that already starts with a single quote gets one more, so the rule can be undone
  exactly: reading an AuthBook CSV back, one leading quote is removed when the next character
  is one of those or another quote (:func:`from_csv_text`).
"""

from __future__ import annotations

from datetime import date, datetime

#: First characters that make typed text a formula (or a signed number) in a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


#: The most characters an Excel cell holds; Excel cuts or refuses a longer one.
EXCEL_CELL_CHARS = 32_767


def fitted(text: str, limit: int = EXCEL_CELL_CHARS) -> str:
    """``text`` cut to fit in one cell (the end replaced by an ellipsis) when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_formula_like(value: object) -> bool:
    """True for text that a spreadsheet would run as a formula if it were typed."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def cell_text(value: object, yes: str = "TRUE", no: str = "FALSE") -> str:
    """A cell value as plain text: blank for None, ISO dates (``2026-03-31``, with the time
    only when there is one), whole numbers without ``.0``, booleans as ``yes``/``no``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_text(value: object) -> str:
    """A cell value as one CSV field: :func:`cell_text` with Y/N for booleans, and
    formula-looking text behind a single quote."""
    if isinstance(value, str):
        return QUOTE + value if is_formula_like(value) or value.startswith(QUOTE) else value
    return cell_text(value, "Y", "N")


def from_csv_text(text: object) -> object:
    """Undo :func:`csv_text`'s quote: ``'=A1`` -> ``=A1``, ``''x`` -> ``'x``; other values as is."""
    if isinstance(text, str) and text.startswith(QUOTE) and len(text) > 1:
        if text[1] == QUOTE or text[1:].startswith(FORMULA_STARTS):
            return text[1:]
    return text
