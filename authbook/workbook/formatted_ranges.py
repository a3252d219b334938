"""Conditional formats and data validations that follow a Table's rows when it grows or
shrinks, as Excel has them follow when the Table grows in Excel.

A practice highlights the auths running low with a conditional format over the Remaining
column of the Auths Table, or gives a column a drop-down list: Excel stores each as a
range, "L2:L1615". Rows AuthBook adds (bulk-add, renew, import) would be left outside it, and
the generated sheets (Alerts, Checks, ...) change length at every refresh. So a range that
covers a Table column's data rows exactly (its first data row to its last) is made to end
at the Table's new last row; every other range is left as it is. The same for the series of
a chart over such a range (Excel extends a chart over a Table's column as the Table grows).
"""

from __future__ import annotations

import html
import re
from typing import NamedTuple

from authbook.workbook.schema import column_letter
from authbook.workbook.sheetdata import refitted_data_end


class TableEnd(NamedTuple):
    """A Table's data rows before and after a write: columns ``min_col``-``max_col``, data
    from ``first_row`` to ``old_end`` before, to ``new_end`` after."""

    min_col: int
    max_col: int
    first_row: int
    old_end: int
    new_end: int


def table_end(ref: str, totals: int, last_row: int | None) -> TableEnd | None:
    """How the data rows of the Table at ``ref`` (with ``totals`` Total Row rows) move when
    it is re-fitted to end at ``last_row`` (as ``tablefit.refitted_table`` does); None when they
    stay (no re-fit, a Total Row keeps them, or the same end)."""
    if last_row is None or totals:
        return None
    min_col, min_row, max_col, max_row = range_bounds(ref)
    new_end = refitted_data_end(min_row, max_row, 0, last_row)
    if new_end == max_row:
        return None
    return TableEnd(min_col, max_col, min_row + 1, max_row, new_end)


_RANGE = re.compile(r"\$?([A-Za-z]{1,3})?\$?(\d+)?(?::\$?([A-Za-z]{1,3})?\$?(\d+)?)?")


def range_bounds(ref: str) -> tuple[int | None, int | None, int | None, int | None]:
    """(first column, first row, last column, last row) of a range as Excel writes it:
    ``B2:D9``, ``B2`` (one cell), ``B:D`` (whole columns: no rows), ``2:9`` (whole rows: no
    columns); ``$`` allowed. ValueError for anything else. (openpyxl's ``range_boundaries``
    gives the same, tests/workbook/test_formatted_ranges.py checks; openpyxl is not loaded
    for it: start-up time.)"""
    found = _RANGE.fullmatch(ref)
    first_col, first_row, last_col, last_row = found.groups() if found else (None,) * 4
    ends = [(first_col is None, first_row is None), (last_col is None, last_row is None)]
    if ":" not in ref:
        last_col, last_row = first_col, first_row
    elif ends[0] != ends[1] or ends[0] == (True, True):  # both ends cells, columns or rows
        found = None
    if not found:
        raise ValueError(f"{ref!r} is not a cell range")
    columns = [_column_number(c) if c else None for c in (first_col, last_col)]
    rows = [int(r) if r else None for r in (first_row, last_row)]
    return columns[0], rows[0], columns[1], rows[1]


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def moved_sqref(sqref: str, ends: list[TableEnd]) -> str:
    """``sqref`` (space-separated ranges) with each range that covers the data rows of one
    of ``ends``' Tables, within its columns, made to end at that Table's new end. The text
    is returned unchanged when no range moves."""
    ranges = sqref.split()
    moved = [_moved_range(r, ends) for r in ranges]
    return sqref if moved == ranges else " ".join(moved)


def _moved_range(text: str, ends: list[TableEnd]) -> str:
    try:
        min_col, min_row, max_col, max_row = range_bounds(text.replace("$", ""))
    except ValueError:
        return text
    if None in (min_col, min_row, max_col, max_row):
        return text  # whole columns or rows: they need no moving
    for end in ends:
        if (
            min_row == end.first_row
            and max_row == end.old_end
            and end.min_col <= min_col
            and max_col <= end.max_col
        ):
            first = f"{column_letter(min_col)}{min_row}"
            last = f"{column_letter(max_col)}{end.new_end}"
            return first if first == last else f"{first}:{last}"
    return text


_SQREF_ATTRIBUTE = re.compile(
    rb'(<(?:\w+:)?(?:conditionalFormatting|dataValidation)\b[^>]*?\ssqref=")([^"]*)"'
)
#: Excel's newer conditional formats and validations (those referring to another sheet)
#: live in the extension list, their ranges in ``<xm:sqref>`` elements.
_EXTENDED_BLOCK = re.compile(rb"<(\w+:|)(conditionalFormattings|dataValidations)\b.*?</\1\2>", re.S)
_SQREF_ELEMENT = re.compile(rb"(<(?:\w+:)?sqref>)([^<]*)<")


def with_ranges_moved(tail: bytes, ends: list[TableEnd]) -> bytes:
    """``tail`` (a worksheet's XML after its rows) with the ranges of its conditional formats
    and data validations moved by ``moved_sqref``; the same bytes when none moves."""
    if not ends or b"sqref" not in tail:
        return tail

    def attribute(m: re.Match) -> bytes:
        return m.group(1) + _moved(m.group(2)) + b'"'

    def element(m: re.Match) -> bytes:
        return m.group(1) + _moved(m.group(2)) + b"<"

    def block(m: re.Match) -> bytes:
        return _SQREF_ELEMENT.sub(element, m.group(0))

    def _moved(sqref: bytes) -> bytes:
        text = sqref.decode("ascii", "replace")
        moved = moved_sqref(text, ends)
        return sqref if moved == text else moved.encode("ascii")

    out = _SQREF_ATTRIBUTE.sub(attribute, tail)
    return _EXTENDED_BLOCK.sub(block, out) if b"sqref>" in out else out


#: A series' reference in a chart part with the cached values that follow it (which Excel
#: and LibreOffice work out again from the cells when there are none).
_SERIES_REF = re.compile(
    rb"(<(\w+:|)f>)([^<]*)(</\2f>)"
    rb"(\s*<\2(numCache|strCache|multiLvlStrCache)\b.*?</\2\6>)?",
    re.S,
)
#: A range on a named sheet in a formula: Auths!$G$2:$G$7, 'My Sheet'!G2:G7.
_SHEET_RANGE = re.compile(
    r"('(?:[^']|'')+'|[^\s!'(),:]+)!(\$?)([A-Z]{1,3})(\$?)(\d+):(\$?)([A-Z]{1,3})(\$?)(\d+)"
)


def with_chart_series_moved(chart: bytes, ends: dict[str, list[TableEnd]]) -> bytes:
    """``chart`` (a chart part) with each series range that covers the data rows of a Table
    column (``ends``: sheet name -> how its Table's rows move) made to end at the Table's new
    last row, and that series' cached values left out; the same bytes when none moves."""
    if not ends:
        return chart

    def series(m: re.Match) -> bytes:
        text = html.unescape(m.group(3).decode("utf-8"))
        moved = _SHEET_RANGE.sub(lambda r: _moved_sheet_range(r, ends), text)
        if moved == text:
            return m.group(0)
        escaped = moved.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return m.group(1) + escaped.encode("utf-8") + m.group(4)

    return _SERIES_REF.sub(series, chart)


def _moved_sheet_range(m: re.Match, ends: dict[str, list[TableEnd]]) -> str:
    sheet = m.group(1)
    if sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    found = ends.get(sheet)
    if not found:
        return m.group(0)
    text = f"{m.group(3)}{m.group(5)}:{m.group(7)}{m.group(9)}"
    moved = _moved_range(text, found)
    if moved == text:
        return m.group(0)
    last = moved.split(":")[-1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return m.group(0)[: m.start(9) - m.start(0)] + last
