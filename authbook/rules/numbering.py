"""Auth numbers: a blank Auth # gets the next number in the practice's series.

Numbers look like ``<prefix>000123``. A number typed by the user (a payer's number) is kept
as typed. The next number is one more than the highest number already in the series, so
numbers are never reused while the rows that carry them exist.
"""

from __future__ import annotations

import re
from dataclasses import replace

from authbook.models import Auth, RawRecord
from authbook.rules.values import parse_text

WIDTH = 6


def format_auth_no(prefix: str, number: int) -> str:
    return f"{prefix}{number:0{WIDTH}d}"


def next_numbers(taken: list[str | None], prefix: str, count: int) -> list[str]:
    """``count`` new numbers after the highest ``<prefix><digits>`` among ``taken``."""
    series = re.compile(rf"^{re.escape(prefix)}(\d+)$", re.I)
    highest = 0
    for number in taken:
        match = series.match((number or "").strip())
        if match:
            highest = max(highest, int(match.group(1)))
    return [format_auth_no(prefix, highest + i) for i in range(1, count + 1)]


def assign_auth_numbers(rows: tuple[RawRecord, ...], prefix: str) -> dict[int, str]:
    """Numbers for the Auths rows whose Auth # is blank: sheet row -> new Auth #.

    Only rows that hold an auth (a Client ID or a Billing Code) get a number.
    """
    taken = [parse_text(r.values.get("auth_no"))[0] for r in rows]
    blank = [
        r
        for r, number in zip(rows, taken, strict=False)
        if number is None and (r.values.get("client_id") or r.values.get("billing_code"))
    ]
    new = next_numbers(taken, prefix, len(blank))
    return {r.source.row: number for r, number in zip(blank, new, strict=False)}


def with_numbers(auths: tuple[Auth, ...], numbers: dict[int, str]) -> tuple[Auth, ...]:
    """The auths with their newly assigned numbers filled in."""
    return tuple(
        replace(a, auth_no=numbers[a.source.row]) if a.source.row in numbers else a for a in auths
    )
