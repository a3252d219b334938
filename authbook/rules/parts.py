"""Notes drawn in parts, side by side: split by client, packed for another process, merged.

Clients never share units, and every note check looks at one client's notes only, so the
notes of one set of clients can be applied and checked apart from the others'
(``refresh.draw_notes`` on a ``NotesPart``). A refresh with two cores draws one part in
each of two processes; ``merge_drawn`` then gives exactly what drawing every note at once
gives (the same draws, ledger and findings, in the same order), and ``merge_statuses`` the
same statuses of the Notes rows.

What crosses from one process to the other is plain lists (``pack_drawn``,
``pack_statuses``): notes and auths as positions in the book both processes hold, never
the records themselves.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import chain, compress
from operator import attrgetter

from authbook.models import (
    NOTE_STATUS_FIELDS,
    Finding,
    NoteStatuses,
    RawRows,
    Source,
    trusted_maker,
)
from authbook.rules.refresh import NotesDrawn, NotesPart, NotesPrepared, draw_notes
from authbook.rules.units import Ledger
from authbook.rules.values import name_key

_CLIENT = attrgetter("client_id")
_SOURCE = attrgetter("source")


def split_notes(prepared: NotesPrepared, shares: tuple[float, ...] = (1, 1)) -> list[NotesPart]:
    """The Notes rows in parts holding about ``shares`` of the notes (two equal parts by
    default), every client's notes in one part (however its Client ID is typed). A row no
    note could be read from goes to the first part. Deterministic: the same book gives the
    same parts. One part only when the notes are not in the rows' order (a book not read
    from a sheet)."""
    notes, raw_notes = prepared.book.notes, prepared.raw.notes
    numbers = (
        raw_notes.rows if isinstance(raw_notes, RawRows) else [r.source.row for r in raw_notes]
    )
    typed = list(map(_CLIENT, notes))
    sizes: Counter = Counter()  # notes per client, however its ID is typed
    key_of = {}
    for client, size in Counter(typed).items():
        key_of[client] = key = name_key(client)
        sizes[key] += size
    count = len(shares)
    load = [0] * count
    part_of: dict[str, int] = {}
    # the clients with the most notes first, each to the part furthest below its share
    for key, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        lightest = min(range(count), key=lambda k: (load[k] / shares[k], k))
        part_of[key] = lightest
        load[lightest] += size
    part_of_typed = {client: part_of[key] for client, key in key_of.items()}
    in_part = list(map(part_of_typed.__getitem__, typed))
    last = len(notes)
    if len(numbers) == last:  # a note from every row: the rows are the notes
        positions = [list(compress(range(last), map(k.__eq__, in_part))) for k in range(count)]
        return [NotesPart(p, p) for p in positions]
    rows: list[list[int]] = [[] for _ in range(count)]
    positions = [[] for _ in range(count)]
    upcoming = 0
    for position, number in enumerate(numbers):
        part = 0
        if upcoming < last and notes[upcoming].source.row == number:
            part = in_part[upcoming]
            positions[part].append(upcoming)
            upcoming += 1
        rows[part].append(position)
    if upcoming != last:  # notes not in the rows' order: one part, drawn as a whole
        return [NotesPart(list(range(len(numbers))), list(range(last)))]
    return [NotesPart(r, p) for r, p in zip(rows, positions)]


def pack_drawn(prepared: NotesPrepared, drawn: NotesDrawn) -> dict:
    """A part's units, findings and at-risk charges as plain lists and dicts, for
    ``unpack_drawn`` in another process holding the same ``prepared`` book. The draws are
    not sent (they cost as much to send as to make): the other process makes them again
    if it ever needs them."""
    part = drawn.part
    notes = prepared.book.notes
    note_at = {id(notes[i]): i for i in part.notes}
    ledger = drawn.ledger
    return {
        # the auths the part drew from (a ledger also holds, at 0 units and no notes, every
        # auth a rule looked up: nothing to send)
        "used": {row: n for row, n in ledger.used.items() if n},
        "pending": {row: n for row, n in ledger.pending.items() if n},
        "counted": {
            row: list(map(note_at.__getitem__, map(id, held)))
            for row, held in ledger.counted.items()
            if held
        },
        "checked": _findings_packed(drawn.checked),
        "unreadable": _findings_packed(drawn.unreadable),
        "charges": drawn.charges,
    }


def unpack_drawn(prepared: NotesPrepared, part: NotesPart, packed: dict) -> NotesDrawn:
    """The NotesDrawn of ``part`` that ``pack_drawn`` packed in another process, on this
    process's own records. Its draws are made here the first time they are looked at."""
    notes = prepared.book.notes
    ledger = Ledger()
    ledger.used.update(packed["used"])
    ledger.pending.update(packed["pending"])
    for row, held in packed["counted"].items():
        ledger.counted[row] = list(map(notes.__getitem__, held))
    return NotesDrawn(
        part,
        ListLater(lambda: draw_notes(prepared, part).draws),
        ledger,
        _findings_unpacked(packed["checked"]),
        _findings_unpacked(packed["unreadable"]),
        packed["charges"],
    )


_FINDING_FIELDS = tuple(f.name for f in dataclasses.fields(Finding) if f.name != "source")
_make_finding = trusted_maker(Finding, _FINDING_FIELDS)
_FINDING_CELLS = attrgetter(*_FINDING_FIELDS)


def _findings_packed(findings: list[Finding]) -> tuple[list, list, list[tuple]]:
    """Findings as plain values: their sources' sheets and rows, and their other fields
    (a record is slow to pickle, a tuple of plain values quick)."""
    sources = list(map(_SOURCE, findings))
    return (
        [s.sheet for s in sources],
        [s.row for s in sources],
        list(map(_FINDING_CELLS, findings)),
    )


def _findings_unpacked(packed: tuple[list, list, list[tuple]]) -> list[Finding]:
    sheets, rows, cells = packed
    sources = [Source.trusted(sheet=sheet, row=row) for sheet, row in zip(sheets, rows)]
    return list(map(_make_finding, sources, cells))


class ListLater(Sequence):
    """A list made by ``make`` the first time it is looked at (read-only)."""

    def __init__(self, make: Callable[[], list]) -> None:
        self._make, self._list = make, None

    def _made(self) -> list:
        if self._list is None:
            self._list = list(self._make())
            self._make = None
        return self._list

    def __len__(self) -> int:
        return len(self._made())

    def __getitem__(self, index):
        return self._made()[index]

    def __iter__(self):
        return iter(self._made())

    def __eq__(self, other) -> bool:
        if isinstance(other, ListLater):
            other = other._made()
        return self._made() == other

    def __repr__(self) -> str:
        return f"ListLater({self._made()!r})"


def merge_drawn(parts: list[NotesDrawn]) -> NotesDrawn:
    """The parts of ``split_notes`` drawn, as one NotesDrawn of every row: what
    ``draw_notes(prepared)`` gives (its ledger may leave out auths no note drew from, which
    read as 0 units and no notes all the same). The first part's ledger becomes the
    whole's."""
    place = _placed([p.part.notes for p in parts])
    # a part's ledger also holds, at 0 units and no notes, auths of the other parts that a
    # rule looked up: the parts are added up (onto the first's), not laid over one another
    ledger = parts[0].ledger
    for drawn in parts[1:]:
        for name in ("used", "pending", "counted"):
            mine = getattr(ledger, name)
            for row, held in getattr(drawn.ledger, name).items():
                if held:
                    mine[row] += held
    charges = {}
    for drawn in parts:
        charges.update(drawn.charges)
    return NotesDrawn(
        part=None,
        draws=ListLater(lambda: place([list(p.draws) for p in parts])),
        ledger=ledger,
        checked=sorted(chain.from_iterable(p.checked for p in parts), key=_row_of),
        unreadable=sorted(chain.from_iterable(p.unreadable for p in parts), key=_row_of),
        charges=dict(sorted(charges.items())),
    )


def pack_statuses(statuses: NoteStatuses) -> list[list]:
    """A part's statuses (``refresh.part_statuses``) as plain lists, for ``merge_statuses``
    in another process: their columns (the rows are known there from the part)."""
    return statuses.columns(NOTE_STATUS_FIELDS)


def merge_statuses(
    prepared: NotesPrepared, parts: list[NotesPart], statuses: list[NoteStatuses | list[list]]
) -> NoteStatuses:
    """The statuses of every Notes row from those of each part of ``split_notes`` (each a
    NoteStatuses, or what ``pack_statuses`` made of it), in row order: what
    ``refresh.part_statuses`` gives for every row. Their sources are put together only when
    looked at (a writer needs only the row numbers)."""
    place = _placed([p.rows for p in parts])
    columns = [
        held.columns(NOTE_STATUS_FIELDS) if isinstance(held, NoteStatuses) else held
        for held in statuses
    ]
    by_field = {name: place([c[i] for c in columns]) for i, name in enumerate(NOTE_STATUS_FIELDS)}

    def sources() -> list[Source]:
        return place(
            [
                held.sources if isinstance(held, NoteStatuses) else _sources_of(prepared, part)
                for part, held in zip(parts, statuses)
            ]
        )

    raw_notes = prepared.raw.notes
    rows = raw_notes.rows if isinstance(raw_notes, RawRows) else None
    return _MergedStatuses(rows, sources, by_field)


class _MergedStatuses(NoteStatuses):
    """NoteStatuses whose sources are made the first time they are looked at; their row
    numbers (``rows``) are known at once when given."""

    __slots__ = ("_rows", "_make_sources")

    def __init__(self, rows: list[int] | None, make_sources, columns: dict[str, list]) -> None:
        self._rows, self._make_sources, self._columns = rows, make_sources, columns

    def __getattr__(self, name: str):
        # only reached for a slot not set yet
        if name != "sources":
            raise AttributeError(name)
        self.sources = self._make_sources()
        return self.sources

    @property
    def rows(self) -> list[int]:
        return list(self._rows) if self._rows is not None else super().rows

    def __len__(self) -> int:
        return len(self._columns[NOTE_STATUS_FIELDS[0]])


def _sources_of(prepared: NotesPrepared, part: NotesPart) -> list[Source]:
    """The source of each row of ``part``, as its status carries it: its note's, or for a
    row no note was read from, its raw row's."""
    notes, raw_notes = prepared.book.notes, prepared.raw.notes
    if part.rows is part.notes or len(part.rows) == len(part.notes):
        return list(map(_SOURCE, map(notes.__getitem__, part.notes)))
    numbers = raw_notes.rows if isinstance(raw_notes, RawRows) else None
    sources = []
    readable = iter(part.notes)
    upcoming = next(readable, None)
    for position in part.rows:
        number = numbers[position] if numbers is not None else raw_notes[position].source.row
        if upcoming is not None and notes[upcoming].source.row == number:
            sources.append(notes[upcoming].source)
            upcoming = next(readable, None)
        else:
            sources.append(raw_notes[position].source)
    return sources


def _row_of(found) -> int:
    return found.source.row


def _placed(positions: list[list[int]]):
    """A function putting lists that follow ``positions`` (one list per part, together
    every position from 0 once) back into one list in position order."""
    back = [0] * sum(map(len, positions))
    for i, position in enumerate(chain.from_iterable(positions)):
        back[position] = i

    def place(lists: list[list]) -> list:
        joined = list(chain.from_iterable(lists))
        return list(map(joined.__getitem__, back))

    return place
