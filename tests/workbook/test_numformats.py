"""AuthBook's table of built-in number formats and its date-format test give what openpyxl's
give (the writer uses them without loading openpyxl)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.styles import numbers

from authbook.workbook.numformats import BUILTIN_FORMATS, BUILTIN_FORMATS_REVERSE, is_date_format

#: Pieces number formats are made of: date and time codes, literals, brackets, escapes.
PIECES = st.sampled_from(
    ["d", "dd", "mmm", "m", "yy", "yyyy", "h", "hh", "ss", "s", "AM/PM", "[h]", "[mm]", "[ss]",
     "[Red]", "[$-409]", "[>=100]", "[H]", "[hhh]", '"day "', '"', "\\d", "_m", "_)", "0", "#",
     ",", ".", "0.00", "%", "E+00", "@", ";", ":", "/", "-", " ", "*", "General", "x", "D", "Y"]
)  # fmt: skip


def test_the_built_in_formats_are_openpyxls():
    assert BUILTIN_FORMATS.keys() == numbers.BUILTIN_FORMATS.keys()
    for i, code in BUILTIN_FORMATS.items():
        if i != 44:  # openpyxl's 44 lacks the ';' between its sections: ECMA-376's has them
            assert code == numbers.BUILTIN_FORMATS[i], i
    assert numbers.BUILTIN_FORMATS[44] == BUILTIN_FORMATS[44].replace(");_(", ")_(")
    assert all(BUILTIN_FORMATS[i] == code for code, i in BUILTIN_FORMATS_REVERSE.items())


@settings(max_examples=600)
@given(st.lists(PIECES, max_size=8).map("".join) | st.text(max_size=10) | st.none())
def test_a_date_format_is_one_openpyxl_calls_a_date_format(code):
    assert is_date_format(code) == numbers.is_date_format(code)


def test_dates_times_and_numbers_are_told_apart():
    assert is_date_format("mm/dd/yyyy") and is_date_format("[h]:mm") and is_date_format("h AM/PM")
    assert not is_date_format("#,##0.00") and not is_date_format('"days" 0')
    assert not is_date_format("0_m") and not is_date_format("[Red]0;mm/dd")
