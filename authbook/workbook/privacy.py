"""What a message printed outside the workbook may show of a cell.

The rule (issue 25): stdout, stderr and logs name cells (``Auths!F12``) and IDs, never the
contents of a cell: a client's name or date of birth typed into the wrong column would
otherwise be printed on a shared screen or kept in a log. The workbook itself (its Problems
and Import Rejects sheets) may quote the value: it already holds it, behind the same access.

* ``scrubbed`` takes a message written for the Problems sheet and removes what it quotes of
  the cell (every ``'…'`` span, every date, and the cell's text wherever it appears).
* ``is_id_like`` says whether a row's key may be shown as an ID: it has a digit and no
  space, and is not a date.
"""

from __future__ import annotations

import re
from datetime import date

#: ``'…'`` as the rules quote a typed value ("'Morgan Elsworth' is not on the Payers sheet").
_QUOTED = re.compile(r"'[^']*'")
_DATE_LIKE = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,4}")
#: Shorter cell texts (Y, 12) are not worth hiding and would blank ordinary words.
_MIN_HIDDEN = 3


def scrubbed(message: str, value: object = None) -> str:
    """``message`` without the cell contents it quotes: quoted spans read "the value"."""
    text = _QUOTED.sub("the value", message)
    text = _DATE_LIKE.sub("", text)  # a date from a cell may be a date of birth
    if isinstance(value, (str, date)) or value is None:
        typed = str(value).strip() if value is not None else ""
        if len(typed) >= _MIN_HIDDEN and typed in text:
            text = text.replace(typed, "the value")
    return " ".join(text.split())


def is_id_like(text: object) -> bool:
    """True for keys such as C0012, AB000123, AET-7788 or N17: a digit, no space, no date."""
    shown = str(text or "").strip()
    return (
        bool(shown)
        and any(ch.isdigit() for ch in shown)
        and not any(ch.isspace() for ch in shown)
        and not _DATE_LIKE.search(shown)
    )


def may_show(kind: str, sensitive: bool, value: object, choices: tuple[str, ...] = ()) -> bool:
    """Whether a preview may print a cell's value: blanks, dates in date columns, numbers in
    number columns, Y/N and listed choices; never text, which may be anyone's name."""
    if value is None or value == "":
        return True
    if sensitive:
        return False
    if kind == "date":
        return isinstance(value, date)
    if kind in ("int", "count", "number", "money", "percent"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "yn":
        return isinstance(value, bool) or str(value).strip().upper() in ("Y", "N")
    if kind == "choice":
        return str(value).strip().casefold() in {c.casefold() for c in choices}
    return False
