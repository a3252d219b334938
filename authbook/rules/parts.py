"""Notes built and drawn in parts, side by side: split by client, packed for another
process, merged.

Clients never share units, and every note check looks at one client's notes only, so the
notes of one set of clients can be built, applied and checked apart from the others'
(``split_rows``, then ``refresh.with_notes`` and ``draw_notes`` on the book of those rows;
or ``draw_notes`` on a ``NotesPart`` of the whole book). A refresh with two cores does one
part in each of two processes; ``join_built`` then gives the book built at once,
``merge_drawn`` exactly what drawing every note at once gives (the same draws, ledger and
findings, in the same order), and ``merge_statuses`` the same statuses of the Notes rows.

What crosses from one process to the other is plain lists (``pack_built``, ``pack_drawn``,
``pack_statuses``): auths as their rows, findings and problems as their cells, and of the
notes only what the receiver reads (how many, the rows they came from, the service days
and units each auth counted), never the records themselves. The receiver does not build
the other part's notes (``join_packed``): they are built, and drawn again, the first time
they are looked at, which a refresh never does.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections import Counter
from itertools import chain, compress, islice, repeat
from operator import attrgetter, lt

from authbook.models import (
    NOTE_STATUS_FIELDS,
    Finding,
    NoteStatuses,
    Problem,
    Source,
    trusted_maker,
    trusted_sources,
)
from authbook.rules.later import ListLater
from authbook.rules.refresh import (
    NotesDrawn,
    NotesPart,
    NotesPrepared,
    client_cells,
    draw_notes,
    first_problem_by_row,
    with_notes,
)
from authbook.rules.units import CountedElsewhere, Ledger

_SOURCE = attrgetter("source")
_UNITS = attrgetter("units")


def split_notes(prepared: NotesPrepared, shares: tuple[float, ...] = (1, 1)) -> list[NotesPart]:
    """The Notes rows in parts holding about ``shares`` of the notes (two equal parts by
    default), every client's notes in one part (however its Client ID is typed): the parts
    of ``split_rows``, with the positions of their notes in ``prepared.book.notes``. One
    part only when the notes are not in the rows' order (a book not read from a sheet)."""
    return parts_of(prepared, split_rows(prepared, shares))


def split_rows(prepared: NotesPrepared, shares: tuple[float, ...] = (1, 1)) -> list[list[int]]:
    """The positions of the raw Notes rows of ``prepared`` (its notes built or not:
    ``refresh.prepare_base``) in parts holding about ``shares`` of the rows, every client's
    rows in one part, however its Client ID is typed (its cells read as the notes read
    them). A row without a Client ID goes to the first part. Deterministic: the same rows
    give the same parts. One part when the rows are not in sheet order."""
    raw_notes = prepared.raw.notes
    numbers = raw_notes.rows
    if not all(map(lt, numbers, islice(numbers, 1, None))):
        return [list(range(len(numbers)))]
    cells, key_of = client_cells(prepared)
    sizes: Counter = Counter()  # rows per client, however its ID is typed
    for cell, rows_of_cell in Counter(cells).items():  # (counted by cell: fewer look-ups)
        sizes[key_of[cell]] += rows_of_cell
    sizes.pop(None, None)
    count = len(shares)
    load = [0] * count
    part_of: dict[str, int] = {}
    # the clients with the most rows first, each to the part furthest below its share
    for key, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        lightest = min(range(count), key=lambda k: (load[k] / shares[k], k))
        part_of[key] = lightest
        load[lightest] += size
    if count > 256:  # (a part's number is one byte below)
        raise ValueError("split_rows makes at most 256 parts")
    # each row's part as a byte; a part's rows picked by a table that marks its byte alone
    part_of_cell = {cell: part_of.get(key, 0) for cell, key in key_of.items()}
    in_part = bytes(map(part_of_cell.__getitem__, cells))
    positions = range(len(in_part))
    return [list(compress(positions, in_part.translate(_ONLY[k]))) for k in range(count)]


def _marking(k: int) -> bytes:
    """The table (``bytes.translate``) that makes byte ``k`` 1 and every other 0."""
    table = bytearray(256)
    table[k] = 1
    return bytes(table)


#: ``_ONLY[k]``: ``_marking(k)``, for every byte.
_ONLY = [_marking(k) for k in range(256)]


def parts_of(prepared: NotesPrepared, rows: list[list[int]]) -> list[NotesPart]:
    """The NotesParts of the raw Notes rows at the positions ``rows`` (``split_rows``):
    each with the positions in ``prepared.book.notes`` of the notes read from its rows.
    One part of every row when the notes are not in the rows' order."""
    notes, numbers = prepared.book.notes, prepared.raw.notes.rows
    if len(numbers) == len(notes):  # a note from every row: the rows are the notes
        return [NotesPart(r, r) for r in rows]
    part_of = _placed(rows)([[k] * len(r) for k, r in enumerate(rows)])
    positions: list[list[int]] = [[] for _ in rows]
    last, upcoming = len(notes), 0
    for position, number in enumerate(numbers):
        if upcoming < last and notes[upcoming].source.row == number:
            positions[part_of[position]].append(upcoming)
            upcoming += 1
    if upcoming != last:  # notes not in the rows' order: one part, drawn as a whole
        return [NotesPart(list(range(len(numbers))), list(range(last)))]
    return [NotesPart(r, p) for r, p in zip(rows, positions)]


def join_built(
    base: NotesPrepared, built: list[NotesPrepared], rows: list[list[int]]
) -> tuple[NotesPrepared, list[NotesPart]]:
    """The book of every note from ``built``, the notes of the rows at the positions
    ``rows`` built apart (``refresh.with_notes(base, r)`` for each ``r`` of ``split_rows``):
    what ``with_notes(base)`` gives, its notes being the very records of ``built`` (the
    draws made on them hold), and the NotesPart of each part in it."""
    if all(len(b.book.notes) == len(r) for b, r in zip(built, rows)):
        notes = _placed(rows)([list(b.book.notes) for b in built])
    else:  # some rows gave no note: the notes in the order of the rows they were read from
        notes = list(heapq.merge(*(b.book.notes for b in built), key=_row_of))
    first = len(base.problems)
    found = list(heapq.merge(*(b.problems[first:] for b in built), key=_row_of))
    first_problem: dict = {}
    for b in built:
        first_problem.update(b.first_problem)
    joined = dataclasses.replace(
        base,
        book=base.book.model_copy(update={"notes": tuple(notes)}),
        problems=base.problems + found,
        first_problem={**first_problem, **base.first_problem},
    )
    return joined, parts_of(joined, rows)


def pack_built(base: NotesPrepared, built: NotesPrepared) -> dict:
    """What ``join_packed`` needs, in another process holding the same ``base``, of the
    book ``built`` there (``refresh.with_notes(base, rows)``) without building its notes:
    how many notes were read, from which sheet rows when some rows gave none, and the
    problems found in the rows (as plain values)."""
    notes = built.book.notes
    every_row = len(notes) == len(built.raw.notes)
    found = built.problems[len(base.problems) :]
    return {
        "count": len(notes),
        "noted": None if every_row else [note.source.row for note in notes],
        "problems": [
            (p.source.sheet, p.source.row, p.field, p.value, p.message, p.entity) for p in found
        ],
    }


def join_packed(
    base: NotesPrepared, built: NotesPrepared, rows: list[list[int]], packed: dict
) -> tuple[NotesPrepared, list[NotesPart]]:
    """``join_built`` of two parts, the first ``built`` here (``refresh.with_notes(base,
    rows[0])``), the second built in another process (``pack_built`` of it): the same book,
    problems and parts, but the second part's notes are built only the first time the
    book's notes are read (their count is known at once)."""
    first = len(base.problems)
    theirs = [
        Problem.trusted(
            source=Source.trusted(sheet=sheet, row=row),
            field=name, value=value, message=message, entity=entity,
        )
        for sheet, row, name, value, message, entity in packed["problems"]
    ]  # fmt: skip
    found = list(heapq.merge(built.problems[first:], theirs, key=_row_of))
    mine = built.book.notes
    if len(mine) == len(rows[0]) and packed["noted"] is None:
        parts = [NotesPart(r, r) for r in rows]  # a note from every row: the rows are the notes
    else:
        noted = packed["noted"]
        if noted is None:
            noted = list(map(base.raw.notes.rows.__getitem__, rows[1]))
        positions = _merged_positions([[note.source.row for note in mine], noted])
        parts = [NotesPart(r, p) for r, p in zip(rows, positions)]

    def every_note() -> list:
        their_notes = with_notes(base, rows[1]).book.notes
        return _placed([p.notes for p in parts])([mine, their_notes])

    joined = dataclasses.replace(
        base,
        book=base.book.model_copy(
            update={"notes": ListLater(every_note, len(mine) + packed["count"])}
        ),
        problems=base.problems + found,
        first_problem={
            **built.first_problem, **first_problem_by_row(theirs), **base.first_problem
        },
    )  # fmt: skip
    return joined, parts


def _merged_positions(sheet_rows: list[list[int]]) -> list[list[int]]:
    """The positions, in the merged order of every list of ``sheet_rows`` (each ascending,
    none shared), of the rows of each list."""
    tagged = heapq.merge(*(zip(r, repeat(k)) for k, r in enumerate(sheet_rows)))
    positions: list[list[int]] = [[] for _ in sheet_rows]
    for position, (_, k) in enumerate(tagged):
        positions[k].append(position)
    return positions


def as_part_of(drawn: NotesDrawn, part: NotesPart) -> NotesDrawn:
    """``drawn``, the notes of a book of some rows only (``refresh.with_notes(base, rows)``)
    drawn, as the NotesDrawn of ``part``, those rows' part of the whole book
    (``join_built``): the same draws, units and findings."""
    return dataclasses.replace(drawn, part=part)


def pack_drawn(drawn: NotesDrawn) -> dict:
    """A part's units, findings and at-risk charges as plain lists and dicts, for
    ``unpack_drawn`` in another process holding the same book. The draws, and the notes
    each auth counted, are not sent (they cost as much to send as to make): the other
    process makes them again if it ever needs them."""
    ledger = drawn.ledger
    counted = {row: held for row, held in ledger.counted.items() if held}
    return {
        # the auths the part drew from (a ledger also holds, at 0 units and no notes, every
        # auth a rule looked up: nothing to send)
        "used": {row: n for row, n in ledger.used.items() if n},
        "pending": {row: n for row, n in ledger.pending.items() if n},
        # of the notes counted against each auth, what the burn rates read: the notes
        # themselves are had by drawing the part again, if they are ever read
        "days": {
            row: [note.service_date.toordinal() for note in held] for row, held in counted.items()
        },
        "units": {row: list(map(_UNITS, held)) for row, held in counted.items()},
        "checked": _findings_packed(drawn.checked),
        "unreadable": _findings_packed(drawn.unreadable),
        "charges": drawn.charges,
    }


def unpack_drawn(prepared: NotesPrepared, part: NotesPart, packed: dict) -> NotesDrawn:
    """The NotesDrawn of ``part`` that ``pack_drawn`` packed in another process, on this
    process's own records. Its draws, and the notes of the ledger's ``counted`` lists
    (``units.CountedElsewhere``: their days and units are at hand), are made here by
    drawing the part again the first time either is read; its notes (in
    ``prepared.book.notes``, which ``join_packed`` builds only when read) then too."""
    again: list[NotesDrawn] = []

    def drawn_again() -> NotesDrawn:
        if not again:
            again.append(draw_notes(prepared, part))
        return again[0]

    ledger = Ledger()
    ledger.used.update(packed["used"])
    ledger.pending.update(packed["pending"])
    units = packed["units"]
    for row, days in packed["days"].items():
        ledger.counted[row] = CountedElsewhere(
            days, units[row], lambda row=row: drawn_again().ledger.counted[row]
        )
    return NotesDrawn(
        part,
        ListLater(lambda: drawn_again().draws),
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
        for name in ("used", "pending"):
            mine = getattr(ledger, name)
            for row, held in getattr(drawn.ledger, name).items():
                if held:
                    mine[row] += held
        counted = ledger.counted
        for row, held in drawn.ledger.counted.items():
            if held:
                # taken as it is (a list another process counted is not read: its notes
                # would be built), joined when two parts counted notes against one auth
                before = counted.get(row)
                counted[row] = [*before, *held] if before else held
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
    prepared: NotesPrepared, rows: list[list[int]], statuses: list[NoteStatuses | list[list]]
) -> NoteStatuses:
    """The statuses of every Notes row from those of the rows of each part (``rows``: their
    positions among the raw Notes rows of ``prepared``, as ``split_rows`` gives them, or a
    part's ``NotesPart.rows``), each a NoteStatuses or what ``pack_statuses`` made of it,
    in row order: what ``refresh.part_statuses`` gives for every row. ``prepared`` needs
    only its raw rows (its notes may be left unbuilt). Their sources are put together only
    when looked at (a writer needs only the row numbers)."""
    place = _placed(rows)
    columns = [
        held.columns(NOTE_STATUS_FIELDS) if isinstance(held, NoteStatuses) else held
        for held in statuses
    ]
    by_field = {name: place([c[i] for c in columns]) for i, name in enumerate(NOTE_STATUS_FIELDS)}

    def sources() -> list[Source]:
        return place(
            [
                held.sources if isinstance(held, NoteStatuses) else _sources_of(prepared, part)
                for part, held in zip(rows, statuses)
            ]
        )

    return _MergedStatuses(prepared.raw.notes.rows, sources, by_field)


class _MergedStatuses(NoteStatuses):
    """NoteStatuses whose sources are made the first time they are looked at; their row
    numbers (``rows``) are known at once."""

    __slots__ = ("_rows", "_make_sources")

    def __init__(self, rows: list[int], make_sources, columns: dict[str, list]) -> None:
        self._rows, self._make_sources, self._columns = rows, make_sources, columns

    def __getattr__(self, name: str):
        # only reached for a slot not set yet
        if name != "sources":
            raise AttributeError(name)
        self.sources = self._make_sources()
        return self.sources

    @property
    def rows(self) -> list[int]:
        return list(self._rows)

    def with_column(self, name: str, values: list) -> NoteStatuses:
        return _MergedStatuses(self._rows, self._make_sources, {**self._columns, name: values})

    def __len__(self) -> int:
        return len(self._columns[NOTE_STATUS_FIELDS[0]])


def _sources_of(prepared: NotesPrepared, rows: list[int]) -> list[Source]:
    """The source of each raw Notes row at the positions ``rows``, as its status carries
    it: the raw row's (its note's, when one was read from it, is the same)."""
    raw_notes = prepared.raw.notes
    return trusted_sources(raw_notes.sheet, map(raw_notes.rows.__getitem__, rows))


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
