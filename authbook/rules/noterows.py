"""What a note row can get wrong and still be used: a blank Status, a Note ID on other rows.

Both are problems on the Problems sheet; neither drops the note (issue 25: never silent).
"""

from __future__ import annotations

import re
from collections import Counter

from authbook.models import Problem

#: A note whose Status is blank draws units as a Pending note does (seed 001: units on notes
#: not yet released are pending) and is checked; it is also a problem, so someone sets it.
BLANK_STATUS_READS_AS = "Pending"


def repeated_positions(ids: list) -> dict[int, list[int]]:
    """Position -> the other positions holding the same Note ID (case and spacing ignored)."""
    blanks = ids.count(None)
    if not blanks and _keys_as_typed(ids) and len(set(ids)) == len(ids):
        return {}  # (the usual sheet: no key worked out at all)
    # name_key of each str(value), with the loops in C (200,000 IDs: 0.15 -> 0.05 s)
    keys: list = list(map(str.casefold, map(" ".join, map(str.split, map(str, ids)))))
    if blanks:  # a blank Note ID has no key ("None" is not one)
        for position in [p for p, value in enumerate(ids) if value is None]:
            keys[position] = None
    # A Notes sheet usually has no repeated ID: told by a set (in C), and then no position
    # needs to be listed.
    if len(set(keys)) == len(keys) - blanks + bool(blanks):
        return {}
    repeated = {key for key, n in Counter(keys).items() if n > 1 and key is not None}
    if not repeated:
        return {}
    at: dict[str, list[int]] = {}
    for position, key in enumerate(keys):
        if key in repeated:
            at.setdefault(key, []).append(position)
    return {p: [q for q in same if q != p] for same in at.values() for p in same}


#: Whitespace as ``str.split`` finds it (``re``'s ``\s`` is the same class for text).
_SPACE = re.compile(r"\s")


def _keys_as_typed(ids: list) -> bool:
    """Whether IDs are equal exactly when their keys are (``name_key``): every ID is ASCII
    text without a space, and none holds a lower-case letter, or none an upper-case one.
    Then the IDs themselves are compared, with no key made (265,000 Note IDs: about half
    the time)."""
    try:
        joined = "\x00".join(ids)
    except TypeError:  # a number: its key is its text
        return False
    return (
        joined.isascii()
        and not _SPACE.search(joined)
        and (joined.upper() == joined or joined.lower() == joined)
    )


def note_notices(row, values, no_status: bool, others: list[int]) -> list[Problem]:
    """The problems of a note that is still used: a blank Status; a Note ID also on the rows
    ``others`` (each of the rows is told)."""
    entity = values["note_id"] or values["client_id"]
    found = []
    if no_status:
        found.append(
            Problem(
                source=row.source,
                field="status",
                message=f"Status is blank: counted as {BLANK_STATUS_READS_AS} until it is set "
                "(Draft, Pending or Released)",
                entity=entity,
            )
        )
    if others:
        listed = ", ".join(map(str, others[:5])) + (" and more" if len(others) > 5 else "")
        found.append(
            Problem(
                source=row.source,
                field="note_id",
                value=values["note_id"],
                message=f"Note ID is also on row {listed}; each note needs its own ID",
                entity=entity,
            )
        )
    return found
