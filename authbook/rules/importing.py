"""Moving in from a spreadsheet tracker: which row is the header, which column is which field,
which rows are data, and what each data row adds to or changes in the workbook.

Everything here is pure: the shell reads the source file and the workbook, hands over plain
rows (``(row number, [cell, ...])``) and a RawBook, and gets back an :class:`ImportPlan` saying
what to append, what to change and what to reject, row by row. Values are read with the very
parsers the workbook uses (``authbook.rules.values`` through ``book.field_parsers``), so an imported
cell means what it would mean typed into the workbook.

Every source row below the header ends up in exactly one of: imported (new, updated or
unchanged), rejected (with a reason; the shell copies the row whole to Import Rejects) or
skipped (blank, totals, a repeated header, an exact duplicate of an earlier row). Title rows
above the header are counted as skipped too, so ``imported + rejected + skipped = rows read``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import field
from datetime import date

from authbook.modelbase import dataclass
from authbook.models import OPEN_REQUEST_STATUSES, RawBook, RawRecord
from authbook.rules.book import field_parsers, parse_settings
from authbook.rules.cells import cell_text, fitted, from_csv_text
from authbook.rules.importmap import (  # noqa: F401 (the import API lives on here too)
    CLIENT_FIELDS,
    CLIENT_KEYS,
    HEADER_SCAN_ROWS,
    KINDS,
    PSEUDO_FIELDS,
    SYNONYMS,
    Column,
    Layout,
    Target,
    check_map,
    find_header,
    header_key,
    infer_date_order,
    is_blank_row,
    is_totals_row,
    map_columns,
    split_name,
)
from authbook.rules.values import (
    NUMBER_PARSERS,
    code_key,
    from_decimal_comma,
    is_blank,
    name_key,
    parse_text,
    quoted,
)

# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of one source row: ``status`` is new, updated, unchanged (imported),
    rejected, or blank, totals, title, header, duplicate (skipped)."""

    row: int
    status: str
    reason: str | None = None


IMPORTED = ("new", "updated", "unchanged")
SKIPPED = ("blank", "totals", "title", "header", "duplicate")


@dataclass(frozen=True)
class Change:
    """One existing cell an import changes: record sheet row, field, old cell, new value."""

    row: int
    field: str
    old: object
    new: object
    source_row: int
    key: str
    client_id: str | None = None
    auth_no: str | None = None


@dataclass(frozen=True)
class Reject:
    """A source row that cannot be imported, its reason, and its cells as text."""

    row: int
    reason: str
    cells: tuple[str, ...]


@dataclass
class ImportPlan:
    """Everything an import will do; nothing is written until the shell applies it.

    ``new_clients`` and ``new_records`` are rows to append ({field: value}, values as a cell
    takes them: text, int, date, "Y"/"N"); ``changes`` are existing cells to update.
    """

    kind: str
    header_row: int | None
    columns: list[Column]
    date_order: str
    date_order_reason: str
    new_clients: list[dict[str, object]] = field(default_factory=list)
    new_records: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    new_payers: list[str] = field(default_factory=list)
    new_providers: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(o.status for o in self.outcomes)

    @property
    def rows_read(self) -> int:
        return len(self.outcomes)

    @property
    def imported(self) -> int:
        return sum(self.counts[s] for s in IMPORTED)

    @property
    def rejected(self) -> int:
        return self.counts["rejected"]

    @property
    def skipped(self) -> int:
        return sum(self.counts[s] for s in SKIPPED)

    @property
    def unmapped(self) -> list[Column]:
        return [c for c in self.columns if c.field is None]

    @property
    def writes_anything(self) -> bool:
        return bool(
            self.new_clients
            or self.new_records
            or self.changes
            or self.rejects
            or self.new_payers
            or self.new_providers
        )


def _parsers(kind: str, order: str, layout: Layout) -> dict:
    """field -> parser: the workbook's parsers for the record and client fields, text else."""
    specs = field_parsers(order)
    own = {"auths": "auths", "notes": "notes", "clients": "clients"}[kind]
    out = {name: parse_text for name in layout.fields()}
    out.update({k: v for k, v in specs["clients"].items() if k in out})
    out.update({k: v for k, v in specs[own].items() if k in out})
    return out


def _date_fields(kind: str, order: str) -> set[str]:
    probe = field_parsers(order)
    names = set()
    for group in (kind, "clients"):
        for name, parse in probe[group].items():
            if getattr(parse, "func", None) is not None and "order" in parse.keywords:
                names.add(name)
    return names


class _Clients:
    """The workbook's clients and the ones this import adds: finds or makes a Client ID.

    A row names its client by Client ID, Member ID or name. A name with a DOB must match a
    client's name and DOB; a name without one must match exactly one client by name alone.
    A session log (``kind`` notes) never adds a client: an unknown client is a reject."""

    def __init__(self, raw: tuple[RawRecord, ...], order: str, kind: str = "auths"):
        parse = field_parsers(order)["clients"]
        self.kind = kind
        self.ids: dict[str, str] = {}
        self.by_member: dict[str, str] = {}
        self.by_name: dict[tuple, str] = {}
        self.by_plain_name: dict[tuple, list[str]] = {}
        self.new: list[dict[str, object]] = []
        for record in raw:
            client_id, _ = parse_text(record.values.get("client_id"))
            if not client_id:
                continue
            self.ids[name_key(client_id)] = client_id
            member, _ = parse_text(record.values.get("member_id"))
            if member:
                self.by_member.setdefault(name_key(member), client_id)
            last, _ = parse["last_name"](record.values.get("last_name"))
            first, _ = parse["first_name"](record.values.get("first_name"))
            dob, _ = parse["dob"](record.values.get("dob"))
            if last:
                self._add_name(last, first, dob, client_id)

    def _add_name(self, last: object, first: object, dob: object, client_id: str) -> None:
        plain = (name_key(str(last)), name_key(str(first or "")))
        self.by_name.setdefault((*plain, dob), client_id)
        ids = self.by_plain_name.setdefault(plain, [])
        if client_id not in ids:
            ids.append(client_id)

    def _next_id(self) -> str:
        numbers = [int(m.group(1)) for k in self.ids if (m := re.fullmatch(r"c(\d+)", k))]
        return f"C{max(numbers, default=0) + 1:04d}"

    def resolve(
        self, values: dict[str, object]
    ) -> tuple[str | None, dict[str, object] | None, str | None]:
        """(Client ID, the client row to add if it is new, None), or (None, None, reason)
        when the row's client cannot be told: several clients share its name, or (for a
        session log) no client has its name or Client ID. Names in a reason are quoted, so
        the terminal can leave them out."""
        last, first = values.get("last_name"), values.get("first_name")
        if not last and values.get("client_name"):
            last, first = split_name(str(values["client_name"]))
        name = (name_key(last), name_key(first), values.get("dob")) if last else None
        shown = f"{last}, {first}" if first else str(last)
        member = values.get("member_id")
        client_id = values.get("client_id")
        if client_id:
            found = self.ids.get(name_key(str(client_id)))
            if not found and self.kind == "notes":
                return None, None, f"Client ID {quoted(client_id)} is not on the Clients sheet"
        else:
            found = member and self.by_member.get(name_key(str(member)))
            if not found and name and values.get("dob") is not None:
                found = self.by_name.get(name)
            elif not found and name:
                ids = self.by_plain_name.get(name[:2], [])
                if len(ids) > 1:
                    return None, None, f"ambiguous: {len(ids)} clients named {quoted(shown)}"
                found = ids[0] if ids else None
            if not found and self.kind == "notes":
                if name:
                    return None, None, f"no client named {quoted(shown)} on the Clients sheet"
                return None, None, "the client is not on the Clients sheet"
            client_id = found or self._next_id()
        if found:
            return found, None, None
        row = {
            "client_id": client_id,
            "last_name": last,
            "first_name": first,
            **{
                k: values.get(k)
                for k in CLIENT_FIELDS
                if k not in ("client_id", "client_name", "last_name", "first_name")
            },
        }
        if row.get("primary_payer") is None and values.get("payer"):
            row["primary_payer"] = values["payer"]
        if row.get("active") is None:
            row["active"] = True
        self.ids[name_key(str(client_id))] = str(client_id)
        if member:
            self.by_member[name_key(str(member))] = str(client_id)
        if last:
            self._add_name(last, first, values.get("dob"), str(client_id))
        row = {k: v for k, v in row.items() if v is not None}
        self.new.append(row)
        return str(client_id), row, None


def _record_key(kind: str, values: dict[str, object]) -> tuple:
    """How a row is matched to an existing one: an auth by its Auth #, code and dates (one
    payer number covers several code lines: issue 23), a note by its Note ID, a client by
    its Client ID; without those, client + code + start date (for notes: client + date +
    code + provider)."""
    if kind == "auths":
        if values.get("auth_no"):
            return (
                "auth_no",
                name_key(str(values["auth_no"])),
                code_key(values.get("billing_code")),
                values.get("start_date"),
                values.get("end_date"),
            )
        return (
            "client+code+start",
            name_key(str(values.get("client_id"))),
            code_key(values.get("billing_code")),
            values.get("start_date"),
        )
    if kind == "notes":
        if values.get("note_id"):
            return ("note_id", name_key(str(values["note_id"])))
        return (
            "client+date+code+provider",
            name_key(str(values.get("client_id"))),
            values.get("service_date"),
            code_key(values.get("billing_code")),
            name_key(values.get("provider")),
        )
    return ("client_id", name_key(str(values.get("client_id"))))


def _same(old: object, new: object) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return old == new
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return float(old) == float(new)
    if isinstance(old, str) and isinstance(new, str):
        return old == new
    return old == new


def _cell(value: object) -> object:
    """A parsed value as a cell takes it: booleans as Y/N."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    return value


def _missing(kind: str, values: dict[str, object], layout: Layout) -> list[str]:
    """Required facts the row lacks, by header."""
    need: list[str] = []
    if kind != "clients" and not any(values.get(k) for k in CLIENT_KEYS):
        need.append("the client (a Client ID, Member ID or name column)")
    if kind == "clients" and not any(values.get(k) for k in CLIENT_KEYS):
        need.append("a Client ID or a name")
    if kind == "auths":
        for name in ("billing_code", "start_date", "end_date"):
            if values.get(name) is None:
                need.append(layout.header_of(name))
        open_request = values.get("request_status") in (*OPEN_REQUEST_STATUSES, "Denied")
        if values.get("allotted_units") is None and not values.get("unmanaged"):
            if not open_request:
                need.append(layout.header_of("allotted_units"))
    if kind == "notes":
        for name in ("service_date", "billing_code"):
            if values.get(name) is None:
                need.append(layout.header_of(name))
    return need


def plan_import(
    rows: list[tuple[int, list[object]]],
    layout: Layout,
    existing: RawBook,
    *,
    from_csv: bool = False,
    overrides: dict[str, str] | None = None,
    header_row: int | None = None,
    date_order: str | None = None,
    decimal_comma: bool = False,
) -> ImportPlan:
    """What importing ``rows`` (the source's non-empty and blank rows, in order, with their row
    numbers) into a workbook holding ``existing`` would do.

    ``overrides`` maps source headers to fields (a mapping file); ``header_row`` and
    ``date_order`` override what is detected. ``decimal_comma``: numbers are written 12,5
    (a semicolon-separated CSV from a European-locale spreadsheet). Raises nothing: a source
    with no header gives a plan whose ``header_row`` is None and whose rows are all rejected.
    """
    kind = layout.kind
    settings, _ = parse_settings(existing.settings)
    position = None
    if header_row is not None:
        position = next((i for i, (r, _) in enumerate(rows) if r == header_row), None)
    else:
        position = find_header(rows, layout)
    if position is None:
        plan = ImportPlan(kind, None, [], settings.date_order, "the workbook's Settings")
        for r, cells in rows:
            if is_blank_row(cells):
                plan.outcomes.append(Outcome(r, "blank"))
            else:
                reason = "no header row was found above it"
                plan.outcomes.append(Outcome(r, "rejected", reason))
                plan.rejects.append(Reject(r, reason, tuple(fitted(cell_text(c)) for c in cells)))
        return plan

    header_number, header_cells = rows[position]
    columns = map_columns(header_cells, layout, overrides)
    mapped = [c for c in columns if c.field]
    unmapped_extra = [c for c in columns if c.field is None and c.how == "not recognised"]
    keep_extras = kind == "auths" and "comments" in layout.record_fields()
    body = rows[position + 1 :]

    def cell(cells: list[object], index: int) -> object:
        value = cells[index] if index < len(cells) else None
        if from_csv:
            value = from_csv_text(value)
        return value

    date_fields = _date_fields(kind, settings.date_order)
    texts = [
        str(cell(cells, c.index)).strip()
        for _, cells in body
        for c in mapped
        if c.field in date_fields and isinstance(cell(cells, c.index), str)
    ]
    if date_order:
        order, why = date_order, "the mapping file"
    else:
        order, why = infer_date_order(texts, settings.date_order)
    plan = ImportPlan(kind, header_number, columns, order, why)
    for r, _ in rows[:position]:
        plan.outcomes.append(Outcome(r, "title", "above the header row"))

    parsers = _parsers(kind, order, layout)
    record_fields = set(layout.record_fields())
    clients = _Clients(existing.clients, order, kind)
    existing_records = _existing(kind, existing, order, layout)
    seen: dict[tuple, tuple[int, dict[str, object]]] = {}
    #: Auth # -> the rows of this import carrying it (source row, parsed values)
    numbered: dict[str, list[tuple[int, dict[str, object]]]] = {}
    payers = {name_key(p.values.get("payer")) for p in existing.payers}
    providers = {name_key(p.values.get("provider")) for p in existing.providers}
    header_keys = {c.index: header_key(c.header) for c in mapped}
    number_fields = {name for name, parse in parsers.items() if parse in NUMBER_PARSERS}
    from_column = {  # AuthBook's header -> how a reason names it with the blank source column
        layout.header_of(c.field): f"{layout.header_of(c.field)} ({c.header} is blank)"
        for c in mapped
    }

    for r, cells in body:
        if is_blank_row(cells):
            plan.outcomes.append(Outcome(r, "blank"))
            continue
        values: dict[str, object] = {}
        errors: list[str] = []
        unreadable: set[str] = set()
        for c in mapped:
            raw = cell(cells, c.index)
            if c.field in date_fields and isinstance(raw, str) and re.fullmatch(r"\d{5}", raw):
                raw = int(raw)  # an Excel date serial saved as text
            if decimal_comma and c.field in number_fields and isinstance(raw, str):
                raw = from_decimal_comma(raw)
            value, error = parsers[c.field](raw)
            if error:
                errors.append(f"{c.header}: {error}")
                unreadable.add(layout.header_of(c.field))
            values[c.field] = value
        if is_totals_row(cells, [values.get(f) for f in date_fields if f in values]):
            plan.outcomes.append(Outcome(r, "totals"))
            continue
        if mapped and all(
            isinstance(cell(cells, c.index), str)
            and header_key(cell(cells, c.index)) == header_keys[c.index]
            for c in mapped
        ):
            plan.outcomes.append(Outcome(r, "header", "the header repeated"))
            continue
        if keep_extras:
            extras = [
                f"{c.header}: {cell_text(cell(cells, c.index)).strip()}"
                for c in unmapped_extra
                if not is_blank(cell(cells, c.index))
            ]
            if extras:
                own = values.get("comments")
                values["comments"] = fitted("; ".join([str(own)] * bool(own) + extras))
        missing = [m for m in _missing(kind, values, layout) if m not in unreadable]
        if missing:  # with the source's column that is blank: that is the cell to fill
            errors.append("missing " + ", ".join(from_column.get(m, m) for m in missing))
        start, end = values.get("start_date"), values.get("end_date")
        if kind == "auths" and isinstance(start, date) and isinstance(end, date) and end < start:
            errors.append(f"{layout.header_of('end_date')} is before the start date")
        if errors:
            reason = "; ".join(errors)
            plan.outcomes.append(Outcome(r, "rejected", reason))
            plan.rejects.append(Reject(r, reason, tuple(fitted(cell_text(c)) for c in cells)))
            continue

        client_new, unknown = None, None
        if kind != "clients" or not values.get("client_id"):
            client_id, client_new, unknown = clients.resolve(values)
            values["client_id"] = client_id
        if unknown:
            plan.outcomes.append(Outcome(r, "rejected", unknown))
            plan.rejects.append(Reject(r, unknown, tuple(fitted(cell_text(c)) for c in cells)))
            continue
        record = {k: _cell(v) for k, v in values.items() if k in record_fields and v is not None}
        if kind == "clients":
            last, first = values.get("last_name"), values.get("first_name")
            if not last and values.get("client_name"):
                last, first = split_name(str(values["client_name"]))
            record.update({k: v for k, v in (("last_name", last), ("first_name", first)) if v})
        key = _record_key(kind, values)
        conflict = (
            _number_conflict(values, numbered, existing_records)
            if kind == "auths" and key[0] == "auth_no"
            else None
        )
        if conflict:
            plan.outcomes.append(Outcome(r, "rejected", conflict))
            plan.rejects.append(Reject(r, conflict, tuple(cell_text(c) for c in cells)))
            continue
        if key in seen:
            first_row, first_record = seen[key]
            if first_record == record:
                plan.outcomes.append(Outcome(r, "duplicate", f"the same as row {first_row}"))
            else:
                words = _key_words(key)
                if key[0] == "auth_no":  # "the same Auth # as row 2 (same code and dates)"
                    reason = f"the same Auth # as row {first_row} (same code and dates), with "
                    reason += "different values"
                else:
                    reason = f"the same {words} as row {first_row}, with different values"
                plan.outcomes.append(Outcome(r, "rejected", reason))
                plan.rejects.append(Reject(r, reason, tuple(fitted(cell_text(c)) for c in cells)))
            continue
        seen[key] = (r, record)
        if kind == "auths" and key[0] == "auth_no":
            numbered.setdefault(key[1], []).append((r, values))
        if client_new is not None and kind != "clients":
            plan.new_clients.append(client_new)
        for name, known, out in (
            ("payer", payers, plan.new_payers),
            ("primary_payer", payers, plan.new_payers),
            ("secondary_payer", payers, plan.new_payers),
            ("provider", providers, plan.new_providers),
            ("primary_therapist", providers, plan.new_providers),
        ):
            value = values.get(name)
            if value and name_key(str(value)) not in known:
                known.add(name_key(str(value)))
                out.append(str(value))

        match = existing_records.find(key, values)
        if match is None:
            plan.new_records.append((r, record))
            plan.outcomes.append(Outcome(r, "new"))
            continue
        changes = []
        for name, new in record.items():
            old_parsed = match.parsed.get(name)
            if name in ("client_id",) and old_parsed and name_key(old_parsed) == name_key(new):
                continue
            if not _same(_cell(old_parsed), new):
                changes.append(
                    Change(
                        row=match.row,
                        field=name,
                        old=match.raw.get(name),
                        new=new,
                        source_row=r,
                        key=match.key,
                        client_id=str(values.get("client_id")),
                        auth_no=match.parsed.get("auth_no"),
                    )
                )
        plan.changes.extend(changes)
        plan.outcomes.append(Outcome(r, "updated" if changes else "unchanged"))
    return plan


def _overlap(a: dict[str, object], b: dict[str, object]) -> bool:
    """True when two auths' Start..End dates share a day."""
    return a["start_date"] <= b["end_date"] and b["start_date"] <= a["end_date"]


def _number_conflict(values, numbered, existing: _ExistingRecords) -> str | None:
    """Why an auth row's Auth # cannot be imported (``authbook.rules.approvals``: one payer
    number is one client's approval; the same code twice in it may not overlap), or None.
    ``numbered``: the rows of this import already taken, by Auth #."""
    number = name_key(str(values["auth_no"]))
    client, code = name_key(str(values["client_id"])), code_key(values.get("billing_code"))
    for row, other in numbered.get(number, ()):
        if name_key(str(other["client_id"])) != client:
            return f"the same Auth # as row {row}, for another client: correct one of them"
        same_dates = (other["start_date"], other["end_date"]) == (
            values["start_date"],
            values["end_date"],
        )  # the same line again: a duplicate, or an update of it
        if (
            code_key(other.get("billing_code")) == code
            and not same_dates
            and _overlap(values, other)
        ):
            return (
                f"the same Auth # and code as row {row}, with overlapping dates: correct the "
                "dates or the number"
            )
    for item in existing.by_number.get(number, ()):
        other = item.parsed
        if other.get("client_id") and name_key(str(other["client_id"])) != client:
            return f"Auth # {values['auth_no']} is another client's (Auths row {item.row})"
    return None


def _key_words(key: tuple) -> str:
    return {
        "auth_no": "Auth # (same code and dates)",
        "note_id": "Note ID",
        "client_id": "Client ID",
        "client+code+start": "client, code and start date",
        "client+date+code+provider": "client, date, code and provider",
    }[key[0]]


@dataclass(frozen=True)
class _Existing:
    """A row of the workbook of the kind being imported: its cells as read and parsed."""

    row: int
    key: str
    raw: dict[str, object]
    parsed: dict[str, object]


class _ExistingRecords:
    """The workbook's rows of the kind being imported, findable by the import's keys."""

    def __init__(self, kind: str, items: list[_Existing]):
        self.kind = kind
        self.by_key: dict[tuple, _Existing] = {}
        #: Auth # -> the workbook's lines carrying it
        self.by_number: dict[str, list[_Existing]] = {}
        for item in items:
            values = item.parsed
            if kind == "auths" and values.get("auth_no"):
                self.by_number.setdefault(name_key(str(values["auth_no"])), []).append(item)
            keys = [_record_key(kind, values)]
            if kind == "auths" and values.get("auth_no"):
                keys.append(_record_key(kind, {**values, "auth_no": None}))
            if kind == "notes" and values.get("note_id"):
                keys.append(_record_key(kind, {**values, "note_id": None}))
            for k in keys:
                self.by_key.setdefault(k, item)

    def find(self, key: tuple, values: dict[str, object]) -> _Existing | None:
        """The workbook's row ``key`` names. An auth whose Auth #, code and dates match
        none is the one line of its number, client and code whose dates overlap its own
        (a newer tracker changed its dates), when there is exactly one."""
        found = self.by_key.get(key)
        if found is not None or key[0] != "auth_no" or self.kind != "auths":
            return found
        client = name_key(str(values.get("client_id")))
        same = [
            item
            for item in self.by_number.get(key[1], ())
            if code_key(item.parsed.get("billing_code")) == key[2]
            and name_key(str(item.parsed.get("client_id"))) == client
            and isinstance(item.parsed.get("start_date"), date)
            and isinstance(item.parsed.get("end_date"), date)
            and _overlap(item.parsed, values)
        ]
        return same[0] if len(same) == 1 else None


def _existing(kind: str, raw: RawBook, order: str, layout: Layout) -> _ExistingRecords:
    records = {"auths": raw.auths, "notes": raw.notes, "clients": raw.clients}[kind]
    parsers = _parsers(kind, order, layout)
    items = []
    for record in records:
        parsed = {}
        for name in layout.record_fields():
            parse = parsers.get(name, parse_text)
            value, error = parse(record.values.get(name))
            parsed[name] = None if error else value
        key = parsed.get("auth_no") or parsed.get("note_id") or parsed.get("client_id") or ""
        items.append(_Existing(record.source.row, str(key), dict(record.values), parsed))
    return _ExistingRecords(kind, items)
