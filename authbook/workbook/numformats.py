"""Excel's number formats as the writer needs them: the built-in formats (a cell's ``numFmtId``
below 164 names one without writing it in the styles part) and whether a format shows a date
or a time.

Here rather than taken from openpyxl, which gives the same (tests/workbook/test_numformats.py
compares them): a refresh that saves surgically then never loads openpyxl, whose import
takes longer than reading a practice's workbook (every command is a new process).
"""

from __future__ import annotations

import re

#: numFmtId -> format code of the formats every spreadsheet knows without a ``<numFmt>``
#: (ECMA-376 Part 1, 18.8.30; the ids not listed depend on the locale).
BUILTIN_FORMATS: dict[int, str] = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)',
    8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    37: "#,##0_);(#,##0)",
    38: "#,##0_);[Red](#,##0)",
    39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)",
    41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
    42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_);_("$"* \\(#,##0.00\\);_("$"* "-"??_);_(@_)',
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    48: "##0.0E+0",
    49: "@",
}
#: Format code -> its built-in numFmtId.
BUILTIN_FORMATS_REVERSE: dict[str, int] = {code: i for i, code in BUILTIN_FORMATS.items()}

#: What a format shows as it is, not as a date part: text in quotes, and bracketed parts
#: (a colour, a condition, a locale) other than elapsed hours, minutes or seconds ([h]:mm,
#: in lower case: an upper-case [H] is taken for a bracketed text, as openpyxl takes it).
_NOT_DATE_PARTS = re.compile(r'"[^"\n]*"|\[(?!(?:hh?|mm?|ss?)\])[^\]]*\]')
#: A day, month/minute, hour, year or second; ``_x`` (a space as wide as x) and ``\x`` (x
#: itself) are not.
_DATE_PART = re.compile(r"(?<![_\\])[dmhys]", re.I)


def is_date_format(code: str | None) -> bool:
    """Whether a cell with number format ``code`` shows a date or a time (judged by the
    format for positive numbers, its first section)."""
    if code is None:
        return False
    positive = code.split(";", 1)[0]
    return _DATE_PART.search(_NOT_DATE_PARTS.sub("", positive)) is not None
