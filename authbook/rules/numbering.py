"""Auth numbers: a blank Auth # gets the next number in the practice's series.

Numbers look like ``<prefix>000123``. A number typed by the user (a payer's number) is kept
as typed. The next number is one more than the highest number already in the series, so
numbers are never reused while the rows that carry them exist.
"""

from __future__ import annotations

import re
from dataclasses import replace

from authbook.models import Auth, RawRows
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


def assign_auth_numbers(
    rows: RawRows, prefix: str, unknown: frozenset[int] = frozenset()
) -> dict[int, str]:
    """Numbers for the raw Auths rows whose Auth # is blank: sheet row -> new Auth #.

    Only rows that hold an auth (a Client ID or a Billing Code) get a number, and not the
    rows of ``unknown``, whose Auth # reads as blank only because it is a formula not
    calculated yet.
    """
    numbers, clients, codes = rows.columns(("auth_no", "client_id", "billing_code"))
    taken = [parse_text(number)[0] for number in numbers]
    blank = [
        row
        for row, number, client, code in zip(rows.rows, taken, clients, codes, strict=False)
        if number is None and (client or code) and row not in unknown
    ]
    new = next_numbers(taken, prefix, len(blank))
    return dict(zip(blank, new, strict=False))


def with_numbers(auths: tuple[Auth, ...], numbers: dict[int, str]) -> tuple[Auth, ...]:
    """The auths with their newly assigned numbers filled in."""
    return tuple(
        replace(a, auth_no=numbers[a.source.row]) if a.source.row in numbers else a for a in auths
    )
