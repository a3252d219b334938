"""Bulk add and bulk update of auths (seed 001, "Bulk Add or Update"), as plans.

Nothing here writes: each function takes the workbook as read (a ``RawBook``) and returns a
``BulkPlan``, the input cells to change plus the problems that stop it. A plan with problems
has no changes; a shell applies a plan only when ``plan.ok``.

- ``select_auth_rows`` / ``select_client_ids``: the rows a filter (``Where`` conditions, ANDed;
  each holds one or more accepted values) lists.
- ``plan_bulk_update``: set the given fields on the selected Auths rows, only the fields given
  ("add only the data you are changing"). Computed columns cannot be set.
- ``plan_bulk_add``: one new auth per billing code of a CodeGroups group for each client, with
  new Auth #s, appended from ``first_row``.

Every plan is validated like typed rows: the changed workbook is parsed and checked again, and
any problem it has that the workbook did not have before (End Date before Start Date, a payer
not on the Payers sheet, a duplicate Auth #...) stops the plan.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import fields, replace
from datetime import date
from functools import partial

from authbook.models import AuthStatus, Problem, RawBook, RawRecord, RawRows, Record, Source
from authbook.rules.audit import CellChange
from authbook.rules.book import build_book, field_parsers
from authbook.rules.cells import EXCEL_CELL_CHARS
from authbook.rules.numbering import next_numbers
from authbook.rules.refresh import number_new_auths
from authbook.rules.values import (
    code_key,
    name_key,
    parse_date,
    parse_text,
    parse_units,
    parse_yes_no,
    quoted,
)

#: Auths fields AuthBook computes: a bulk update may not set them.
COMPUTED_AUTH_FIELDS = (frozenset(f.name for f in fields(AuthStatus)) - {"source", "auth_no"}) | {
    "last_edited_date",
    "last_edited_by",
}
#: The client's fields an Auths filter may use.
CLIENT_FILTER_FIELDS = ("division", "client_group", "primary_therapist", "primary_payer")
#: The fields a bulk add fills in from its options.
ADD_FIELDS = (
    "start_date",
    "end_date",
    "allotted_units",
    "prior_units_used",
    "unit_alert_level",
    "exp_alert_days",
    "provider",
    "payer",
    "auth_group",
    "unmanaged",
)


#: How a condition compares a cell with its value: equal to one of a list, ordered (dates and
#: numbers), or contains (text, case ignored).
WHERE_OPERATORS = ("<=", ">=", "<", ">", "~", "=")
_ORDERED = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class Where(Record):
    """One filter condition: ``field`` must hold one of ``values`` (as typed; ``""`` = blank).

    ``op`` other than ``=``: the cell must be less than (``<``, ``<=``) or more than (``>``,
    ``>=``) the one value (a date or a number; a blank or unreadable cell never is), or
    contain it (``~``, text, case and spacing ignored). ``on_client`` reads the field from
    the auth's client (Clients row) instead of the row itself. ``label`` is the column as
    the user named it, for messages.
    """

    field: str
    values: tuple[str, ...]
    on_client: bool = False
    label: str = ""
    op: str = "="


class BulkPlan(Record):
    """What a bulk action would do.

    ``rows``: the sheet rows the action is about (selected or added). ``changes``: one entry per
    input cell that changes (these go to the AuditLog). ``stamps``: Last Edited Date and By of
    each changed row. ``problems``: why the action cannot be done (then ``changes`` is empty).
    """

    action: str
    rows: tuple[int, ...] = ()
    changes: tuple[CellChange, ...] = ()
    stamps: tuple[CellChange, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed_rows(self) -> list[int]:
        """The rows with at least one changed cell, in order."""
        return sorted({c.source.row for c in self.changes})


# --- reading values the way the sheets are read --------------------------------------------


def date_order(raw: RawBook) -> str:
    """The workbook's Date Order setting (how typed dates are read)."""
    book, _ = build_book(RawBook(settings=raw.settings))
    return book.settings.date_order


def _parsers(order: str, kind: str) -> dict:
    parsers = dict(field_parsers(order)[kind])
    if kind == "auths":
        day = partial(parse_date, order=order)
        parsers.update(
            {
                "used_units": parse_units,
                "pending_units": parse_units,
                "remaining_units": parse_units,
                "available_units": parse_units,
                "active": parse_yes_no,
                "dob": day,
                "last_edited_date": day,
            }
        )
    return parsers


def _parser(parsers: dict, field: str):
    return parsers.get(field, parse_text)


def _key(field: str, value: object) -> object:
    """How filter values compare: names ignore case and spacing, codes a leading '+'."""
    if isinstance(value, str):
        return code_key(value) if field == "billing_code" else name_key(value)
    return value


def _cell_key(field: str, cell: object, parse) -> object:
    value, error = parse(cell)
    if error:  # an unreadable cell still matches its own text
        return name_key(str(cell))
    return _key(field, value)


def _as_cell(value: object) -> object:
    """A parsed value as it is written to a cell: Y/N for yes/no, the value otherwise."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    return value


# --- selecting rows ---------------------------------------------------------------------------


def _wanted(wheres, auth_parsers, client_parsers) -> tuple[list, list[str]]:
    wanted, errors = [], []
    for where in wheres:
        parse = _parser(client_parsers if where.on_client else auth_parsers, where.field)
        if where.op != "=":
            key, error = _bound(where, parse)
            if error:
                errors.append(f"{where.label or where.field}: {error}")
            wanted.append((where, parse, key))
            continue
        keys = set()
        for text in where.values:
            if not str(text).strip():
                keys.add(None)
                continue
            value, error = parse(text)
            if error:
                errors.append(f"{where.label or where.field}: {error}")
            else:
                keys.add(_key(where.field, value))
        wanted.append((where, parse, keys))
    return wanted, errors


def _bound(where: Where, parse) -> tuple[object, str | None]:
    """The one value a ``<``/``>``/``~`` condition compares with, or why it cannot be."""
    text = ",".join(where.values).strip()
    if where.op == "~":
        return (name_key(text), None) if text else (None, "~ needs some text to look for")
    value, error = parse(text)
    if error or value is None:
        return None, error or f"{where.op} needs a value"
    if isinstance(value, bool) or not isinstance(value, (int, float, date)):
        return None, f"{where.op} compares dates or numbers; use = or ~ for text"
    return value, None


def _accepts(where: Where, parse, wanted, cell: object) -> bool:
    """Whether ``cell`` meets the condition (``wanted``: its keys, or its one value)."""
    if where.op == "=":
        return _cell_key(where.field, cell, parse) in wanted
    if where.op == "~":
        return cell is not None and wanted in name_key(str(cell))
    value, error = parse(cell)
    if error or value is None or isinstance(value, bool):
        return False
    if isinstance(value, date) != isinstance(wanted, date):
        return False
    return _ORDERED[where.op](value, wanted)


def _clients_by_id(raw: RawBook) -> dict[str, RawRecord]:
    clients: dict[str, RawRecord] = {}
    for row in raw.clients:
        client_id, _ = parse_text(row.values.get("client_id"))
        if client_id:
            clients.setdefault(name_key(client_id), row)
    return clients


def select_auth_rows(raw: RawBook, wheres: list[Where]) -> tuple[list[int], list[str]]:
    """The Auths rows every condition accepts, in sheet order, and the condition values that
    could not be read (then no row is selected).

    A condition with ``on_client`` looks at the row's client on the Clients sheet (an auth
    whose client is not listed has blank client fields).
    """
    order = date_order(raw)
    wanted, errors = _wanted(wheres, _parsers(order, "auths"), _parsers(order, "clients"))
    if errors:
        return [], errors
    clients = _clients_by_id(raw)
    rows = []
    for row in raw.auths:
        client_id, _ = parse_text(row.values.get("client_id"))
        client = clients.get(name_key(client_id))
        if all(
            _accepts(
                where,
                parse,
                keys,
                (client.values.get(where.field) if client else None)
                if where.on_client
                else row.values.get(where.field),
            )
            for where, parse, keys in wanted
        ):
            rows.append(row.source.row)
    return rows, []


def select_client_ids(raw: RawBook, wheres: list[Where]) -> tuple[list[str], list[str]]:
    """The Client IDs of the Clients rows every condition accepts, in sheet order, and the
    condition values that could not be read (then no client is selected)."""
    parsers = _parsers(date_order(raw), "clients")
    wanted, errors = _wanted(wheres, parsers, parsers)
    if errors:
        return [], errors
    ids = []
    for row in raw.clients:
        client_id, _ = parse_text(row.values.get("client_id"))
        if client_id and all(
            _accepts(where, parse, keys, row.values.get(where.field))
            for where, parse, keys in wanted
        ):
            ids.append(client_id)
    return ids, []


def client_ids_of_rows(raw: RawBook, rows: list[int] | set[int]) -> list[str]:
    """The Client IDs on the given Clients rows (e.g. the rows a filter leaves visible)."""
    wanted = set(rows)
    ids = []
    for row in raw.clients:
        client_id, _ = parse_text(row.values.get("client_id"))
        if client_id and row.source.row in wanted:
            ids.append(client_id)
    return ids


# --- validation -------------------------------------------------------------------------------


def _problem_keys(problems: list[Problem]) -> Counter:
    return Counter((p.source.sheet, p.source.row, p.field, p.message) for p in problems)


def _numbered(raw: RawBook) -> RawBook:
    """The raw book with blank Auth #s filled in, as a refresh would (records need one)."""
    prefix = build_book(RawBook(settings=raw.settings))[0].settings.auth_prefix
    return number_new_auths(raw, prefix)[0]


#: What a note's own problems depend on: when none of these changed, the notes' problems are
#: the same before and after a change, and are left out of the comparison.
_NOTE_INPUTS = ("notes", "clients", "billing_codes", "providers", "settings")


def new_problems(before: RawBook, after: RawBook) -> list[Problem]:
    """Problems ``after`` has that ``before`` did not: what a change would break."""
    if all(getattr(before, name) is getattr(after, name) for name in _NOTE_INPUTS):
        before, after = _without_notes(before), _without_notes(after)
    _, old = build_book(_numbered(before))
    _, found = build_book(_numbered(after))
    seen = _problem_keys(old)
    out = []
    for p in found:
        key = (p.source.sheet, p.source.row, p.field, p.message)
        if seen[key]:
            seen[key] -= 1
        else:
            out.append(p)
    return out


def _without_notes(raw: RawBook) -> RawBook:
    """``raw`` without its notes: the rest of a workbook checks faster on its own (a large
    practice's Notes sheet holds hundreds of thousands of rows)."""
    return raw.model_copy(update={"notes": ()})


def _keys_of(row: RawRecord) -> dict[str, str | None]:
    return {
        "auth_no": parse_text(row.values.get("auth_no"))[0],
        "client_id": parse_text(row.values.get("client_id"))[0],
    }


def _stamps(rows: dict[int, RawRecord], changed: list[int], user: str, today: date) -> list:
    stamps = []
    for number in changed:
        row = rows[number]
        for field, value in (("last_edited_date", today), ("last_edited_by", user)):
            stamps.append(
                CellChange(
                    source=row.source,
                    field=field,
                    old=row.values.get(field),
                    new=value,
                    **_keys_of(row),
                )
            )
    return stamps


#: Characters a workbook cell cannot hold (XML 1.0 forbids them; the writer would drop them).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def unwritable_text_error(typed: object) -> str | None:
    """Why a typed value cannot be written as it is: it holds a control character (ESC from
    a pasted terminal line, say), which a cell cannot keep, or is longer than a cell holds.
    None when it can be written."""
    if isinstance(typed, str):
        found = _CONTROL.search(typed)
        if found:
            return (
                f"holds a control character (U+{ord(found.group()):04X}), which a cell cannot "
                "keep; type the value again without it"
            )
        if len(typed) > EXCEL_CELL_CHARS:
            return f"is {len(typed):,} characters long; a cell holds {EXCEL_CELL_CHARS:,}"
    return None


# --- bulk update ------------------------------------------------------------------------------


def plan_bulk_update(
    raw: RawBook, rows: list[int], sets: dict[str, object], user: str, today: date
) -> BulkPlan:
    """Set ``sets`` (field -> value as typed) on the Auths ``rows``; other cells stay as they are.

    A value is written the way the sheet reads it (a date as a date, Y/N for yes/no, a number
    as a number); ``""`` or None clears the cell. A cell that already holds the value is left
    alone. Problems (a computed field, a value that cannot be read, a change that breaks a row)
    stop the whole plan.
    """
    action = "bulk update"
    sheet = raw.auths[0].source.sheet if raw.auths else "Auths"
    parsers = _parsers(date_order(raw), "auths")
    problems: list[Problem] = []
    new_values: dict[str, object] = {}
    for field, typed in sets.items():
        where = Source(sheet=sheet, row=1)
        if field in COMPUTED_AUTH_FIELDS:
            problems.append(
                Problem(
                    source=where,
                    field=field,
                    value=typed,
                    message="is computed by AuthBook on every refresh; it cannot be set",
                )
            )
            continue
        value, error = _parser(parsers, field)(typed)
        error = unwritable_text_error(typed) or error
        if error:
            problems.append(Problem(source=where, field=field, value=typed, message=error))
            continue
        new_values[field] = value
    if problems:
        return BulkPlan(action=action, rows=tuple(rows), problems=tuple(problems))

    by_row = _records_at(raw.auths, rows)
    changes: list[CellChange] = []
    updated: dict[int, RawRecord] = {}
    for number in rows:
        row = by_row.get(number)
        if row is None:
            continue
        values = dict(row.values)
        for field, value in new_values.items():
            old = row.values.get(field)
            current, error = _parser(parsers, field)(old)
            if not error and current == value and type(current) is type(value):
                continue
            new = _as_cell(value)
            values[field] = new
            changes.append(CellChange(source=row.source, field=field, old=old, new=new))
        if values != row.values:
            updated[number] = replace(row, values=values)
    changes = [c.model_copy(update=_keys_of(updated[c.source.row])) for c in changes]
    after = raw.model_copy(update={"auths": _with_rows(raw.auths, updated, list(new_values))})
    broken = new_problems(raw, after) if changes else []
    if broken:
        return BulkPlan(action=action, rows=tuple(rows), problems=tuple(broken))
    changed = sorted(updated)
    return BulkPlan(
        action=action,
        rows=tuple(rows),
        changes=tuple(changes),
        stamps=tuple(_stamps(updated, changed, user, today)),
    )


def _records_at(auths: RawRows, rows: list[int]) -> dict[int, RawRecord]:
    """Excel row -> the raw record of that row of ``auths``, for the ``rows`` it holds
    (only those rows' records are made)."""
    at = {number: position for position, number in enumerate(auths.rows)}
    return {n: auths.record(at[n]) for n in rows if n in at}


def _with_rows(auths: RawRows, updated: dict[int, RawRecord], names: list[str]) -> RawRows:
    """``auths`` with the rows of ``updated`` (Excel row -> record) in place of its own, by
    column (``names`` the fields that may differ)."""
    for name in names:
        auths = auths.with_cells(name, {n: r.values.get(name) for n, r in updated.items()})
    return auths


# --- bulk add ---------------------------------------------------------------------------------


def plan_bulk_add(
    raw: RawBook,
    code_group: str,
    client_ids: list[str],
    values: dict[str, object],
    user: str,
    today: date,
    first_row: int,
) -> BulkPlan:
    """One new auth per billing code of the CodeGroups group ``code_group`` for each client
    in ``client_ids`` (clients in the order given, codes in the group's order), on the Auths
    rows from ``first_row`` down.

    ``values`` holds the options as typed (field -> value; fields in ADD_FIELDS). Each new
    auth gets the next Auth # of the workbook's series and is checked like a typed row: an
    unknown code group, client or auth group, End Date before Start Date, negative units...
    stop the plan.
    """
    action = "bulk add"
    sheet = raw.auths[0].source.sheet if raw.auths else "Auths"
    book, _ = build_book(_numbered(_without_notes(raw)))  # (only the lists are looked at)
    parsers = _parsers(book.settings.date_order, "auths")
    problems: list[Problem] = []
    header = Source(sheet=sheet, row=1)

    codes = [
        m.billing_code for m in book.code_groups if name_key(m.group_name) == name_key(code_group)
    ]
    if not codes:
        listed = sorted({m.group_name for m in book.code_groups})
        problems.append(
            Problem(
                source=Source(sheet="CodeGroups", row=1),
                field="group_name",
                value=code_group,
                message=f"code group {quoted(code_group)} is not on the CodeGroups sheet"
                + (f" (it lists: {', '.join(listed)})" if listed else ""),
            )
        )
    known_clients = {name_key(c.client_id): c.client_id for c in book.clients}
    clients: list[str] = []
    for client_id in client_ids:
        found = known_clients.get(name_key(client_id))
        if found is None:
            problems.append(
                Problem(
                    source=Source(sheet="Clients", row=1),
                    field="client_id",
                    value=client_id,
                    message=f"client {quoted(client_id)} is not on the Clients sheet",
                    entity=client_id,
                )
            )
        elif found not in clients:
            clients.append(found)
    if not client_ids:
        problems.append(Problem(source=header, field="client_id", message="no client was selected"))

    cells: dict[str, object] = {}
    for field in ADD_FIELDS:
        typed = values.get(field)
        if typed is None or typed == "" or typed is False:
            continue
        value, error = _parser(parsers, field)(typed)
        error = unwritable_text_error(typed) or error
        if error:
            problems.append(Problem(source=header, field=field, value=typed, message=error))
        elif value is not None:
            cells[field] = _as_cell(value)
    group = cells.get("auth_group")
    if group and name_key(str(group)) not in {name_key(g.group_name) for g in book.auth_groups}:
        problems.append(
            Problem(
                source=header,
                field="auth_group",
                value=group,
                message=f"auth group {quoted(group)} is not on the AuthGroups sheet",
            )
        )
    if problems:
        return BulkPlan(action=action, problems=tuple(problems))

    taken = [parse_text(cell)[0] for cell in raw.auths.columns(("auth_no",))[0]]
    numbers = next_numbers(taken, book.settings.auth_prefix, len(clients) * len(codes))
    new_rows: list[RawRecord] = []
    changes: list[CellChange] = []
    for i, (client_id, code) in enumerate((c, k) for c in clients for k in codes):
        source = Source(sheet=sheet, row=first_row + i)
        row_values = {
            "auth_no": numbers[i],
            "client_id": client_id,
            "billing_code": code,
            **cells,
        }
        new_rows.append(RawRecord(source=source, values=row_values))
        for field, value in row_values.items():
            changes.append(
                CellChange(
                    source=source,
                    field=field,
                    old=None,
                    new=value,
                    auth_no=numbers[i],
                    client_id=client_id,
                )
            )
    after = raw.model_copy(update={"auths": (*raw.auths, *new_rows)})
    broken = new_problems(raw, after)
    if broken:
        rows = tuple(r.source.row for r in new_rows)
        return BulkPlan(action=action, rows=rows, problems=tuple(broken))
    added = {r.source.row: r for r in new_rows}
    return BulkPlan(
        action=action,
        rows=tuple(added),
        changes=tuple(changes),
        stamps=tuple(_stamps(added, sorted(added), user, today)),
    )
