"""Input cells typed by hand in the Auths sheet since AuthBook last saved the workbook.

AuthBook keeps, with the workbook, the Auths input cells as it last saved them (the
"memory": ``authbook.workbook.memory``). Comparing the sheet with it tells which cells a
person changed in Excel or LibreOffice since; each becomes an AuditLog entry (old -> new) and
its row gets Last Edited Date/By, as seed 001 says of any edit.

Rows are paired by sheet row when the Auth # there is the one remembered (or both are
blank); a row whose Auth # moved (the sheet was sorted) is paired by its Auth # when only
one remembered row has it; what is left at the same row is the same row with its Auth #
edited. A row nobody remembers is new (old values blank); a remembered row no longer
there was deleted (new values blank, logged at the row it had).
"""

from __future__ import annotations

from datetime import date, datetime

from authbook.models import Source
from authbook.rules.audit import CellChange
from authbook.rules.values import name_key

#: The AuditLog Action of a change found this way.
BY_HAND = "edit by hand"
DELETED_BY_HAND = "row deleted by hand"

#: A row's cells by field: anything whose ``get(field)`` gives the cell (a dict; the
#: workbook's memory holds tuples that read so).
Row = dict[str, object]


def same_cell(a: object, b: object) -> bool:
    """Whether two cell values read the same: a date and a midnight datetime of that day,
    12 and 12.0, text with or without surrounding spaces, None and ''."""
    # Equal values read the same; only the rest need normalizing (most cells are unchanged).
    return a == b or _norm(a) == _norm(b)


def _norm(value: object) -> object:
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _key(values: Row) -> str:
    return name_key(str(_norm(values.get("auth_no")) or ""))


def pair_rows(before: dict[int, Row], now: dict[int, Row]) -> tuple[dict[int, int], list[int]]:
    """now row -> remembered row for the rows that are the same auth, and the remembered
    rows paired with none (deleted)."""
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    by_key: dict[str, list[int]] = {}
    for row, values in before.items():
        by_key.setdefault(_key(values), []).append(row)
    for row, values in now.items():  # same row, same Auth #
        if row in before and _key(before[row]) == _key(values):
            pairs[row] = row
            taken.add(row)
    for row, values in now.items():  # moved: the one remembered row with its Auth #
        if row in pairs or not _key(values):
            continue
        free = [r for r in by_key.get(_key(values), ()) if r not in taken]
        if len(free) == 1:
            pairs[row] = free[0]
            taken.add(free[0])
    for row in now:  # left at the same row: its Auth # was edited
        if row not in pairs and row in before and row not in taken:
            pairs[row] = row
            taken.add(row)
    return pairs, [r for r in before if r not in taken]


def hand_edits(
    sheet: str, before: dict[int, Row], now: dict[int, Row], fields: tuple[str, ...]
) -> tuple[list[CellChange], list[CellChange]]:
    """(cells changed on rows still there, cells of rows deleted) between the remembered
    rows ``before`` and the sheet's rows ``now`` (sheet row -> field -> cell)."""
    if before == now:  # every row as remembered, value for value (most saves): told in C
        return [], []
    pairs, gone = pair_rows(before, now)
    changed: list[CellChange] = []
    for row in sorted(now):
        values = now[row]
        old = before.get(pairs[row], {}) if row in pairs else {}
        if old == values:  # the whole row as remembered: nothing typed (most rows)
            continue
        for field in fields:
            if not same_cell(old.get(field), values.get(field)):
                changed.append(
                    _change(sheet, row, field, old.get(field), values.get(field), values)
                )
    deleted = [
        _change(sheet, row, field, before[row].get(field), None, before[row])
        for row in sorted(gone)
        for field in fields
        if _norm(before[row].get(field)) is not None
    ]
    return changed, deleted


def _change(sheet: str, row: int, field: str, old, new, keys: Row) -> CellChange:
    return CellChange(
        source=Source(sheet=sheet, row=row),
        field=field,
        old=_norm(old),
        new=_norm(new),
        auth_no=_text(keys.get("auth_no")),
        client_id=_text(keys.get("client_id")),
    )


def _text(value: object) -> str | None:
    value = _norm(value)
    if value is None:
        return None
    return str(value) if not isinstance(value, date) else value.isoformat()
