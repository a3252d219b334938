"""The audit trail: one entry per input cell AuthBook changes.

An ``AuditEntry`` says who changed which cell, when, by which action, and what the cell held
before and after. Entries are only ever appended to the log, so applying them in reverse
(``old`` back into each cell) restores what the workbook held before.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from authbook.models import RawRecord, Record, Source
from authbook.rules.values import parse_text

#: Actions written in the log's Action column.
BULK_ADD = "bulk add"
BULK_UPDATE = "bulk update"
NEW_AUTH_NO = "new Auth #"


class CellChange(Record):
    """One input cell to change: where (``source``: sheet and row), which ``field``, the value
    the cell holds now (``old``, as the file holds it; None when blank) and the value to write
    (``new``, a plain cell value: text, number, date, ``"Y"``/``"N"``; None clears the cell).

    ``auth_no`` and ``client_id`` are the row's keys, as a biller knows it.
    """

    source: Source
    field: str
    old: Any = None
    new: Any = None
    auth_no: str | None = None
    client_id: str | None = None


class AuditEntry(Record):
    """One row of the AuditLog sheet. ``timestamp`` is a date alone for the Auth #s a plain
    refresh fills in (so a refresh stays repeatable), the time of the action otherwise."""

    timestamp: datetime | date
    user: str
    action: str
    change: CellChange


def audit_entries(
    changes: list[CellChange] | tuple[CellChange, ...],
    action: str,
    user: str,
    now: datetime | date,
) -> list[AuditEntry]:
    """The log entries for ``changes``, in the order given, all stamped ``now`` by ``user``."""
    return [AuditEntry(timestamp=now, user=user, action=action, change=c) for c in changes]


def numbering_changes(
    raw_auths: tuple[RawRecord, ...], numbers: dict[int, str]
) -> list[CellChange]:
    """The Auth # cells a refresh fills in (``numbers``: sheet row -> new Auth #), from the
    Auths rows as read (for each cell's old value and the row's Client ID)."""
    changes = []
    for raw in raw_auths:
        number = numbers.get(raw.source.row)
        if number is None:
            continue
        client_id, _ = parse_text(raw.values.get("client_id"))
        changes.append(
            CellChange(
                source=raw.source,
                field="auth_no",
                old=raw.values.get("auth_no"),
                new=number,
                auth_no=number,
                client_id=client_id,
            )
        )
    return changes
