"""What a file adapter reads from a sheet and what it is asked to write back.

These two shapes are the whole contract between AuthBook and a workbook file: the openpyxl
adapter and any faster reader or surgical writer exchange exactly these, so the rest of the
program never sees a cell object.

Rows and columns are Excel's own numbers (1-based); row 1 is the header row.
Values are plain Python: ``None``, ``str``, ``int``, ``float``, ``bool``,
``datetime.date`` or ``datetime.datetime`` (a cell formatted as a date), never a formula:
a formula cell gives its last calculated value and is listed in ``formula_columns``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, ValuesView
from dataclasses import field
from itertools import chain, compress, cycle, islice, repeat
from operator import is_not, lt

from authbook.modelbase import dataclass
from authbook.models import MadeOnRead


@dataclass(slots=True)  # one per row of a sheet: no per-object __dict__
class RowRead:
    """One non-empty row under the header.

    ``values[i]`` is the cell in column ``i + 1``; the list is as long as the header.
    ``formulas`` holds the 1-based columns whose cell held a formula (value = cached result).
    """

    row: int
    values: list[object]
    formulas: frozenset[int] = frozenset()


class ColumnRows(MadeOnRead):
    """``SheetRead.rows`` of a large sheet, held by column: ``numbers`` (Excel row numbers,
    ascending) and ``columns[j][i]``, the cell in column ``j + 1`` of row ``numbers[i]``
    (None where the cell is empty or holds empty text; no row is None in every column).

    It reads as the list of RowRead it stands for, each made when asked for (changing one
    changes nothing held); code that wants whole columns takes ``columns``. A reader fills
    one of these for a sheet of hundreds of thousands of rows: a RowRead and a list per
    row would take about 90 MB at 500,000 notes.
    """

    __slots__ = ("numbers", "columns", "formulas")

    def __init__(
        self,
        numbers: list[int],
        columns: list[list],
        formulas: dict[int, frozenset[int]] | None = None,
    ) -> None:
        if any(len(c) != len(numbers) for c in columns):
            raise ValueError("ColumnRows needs one cell per row in every column")
        self.numbers, self.columns, self.formulas = numbers, columns, formulas or {}

    def __len__(self) -> int:
        return len(self.numbers)

    def record(self, position: int) -> RowRead:
        """The RowRead at ``position`` (0-based, in sheet order)."""
        n = self.numbers[position]
        values = [c[position] for c in self.columns]
        return RowRead(n, values, self.formulas.get(n, frozenset()))

    def __repr__(self) -> str:
        return f"ColumnRows({len(self)} rows of {len(self.columns)} columns)"


@dataclass
class SheetRead:
    """A sheet as read: its header row, every non-empty row below it (in row order), and what
    is hidden.

    ``hidden_rows`` lists the rows the file marks hidden (by an AutoFilter or by hand);
    ``filter_ref`` is the range of the sheet's or its Table's AutoFilter, if any.
    Rows beyond the Table's range are read too, as long as they are not empty.
    """

    name: str
    headers: list[str]
    rows: list[RowRead] | ColumnRows
    hidden_rows: frozenset[int] = frozenset()
    filter_ref: str | None = None
    table_name: str | None = None
    table_ref: str | None = None
    #: The rows of the Table's Total Row (Excel's Table Design > Total Row): not data, so
    #: left out of ``rows``; a writer leaves them as they are.
    total_rows: frozenset[int] = frozenset()
    #: The Table's calculated columns (a formula typed into one of its cells, which Excel
    #: fills into every row): 1-based column -> the formula, without its ``=``.
    calculated: dict[int, str] = field(default_factory=dict)


class SheetsInTurn:
    """Sheets read in two turns (``Store.read_sheets_in_turn``): ``first``, the sheets asked
    for but those held back, read at once; ``rest()``, the held-back ones, read while the
    caller worked on the first (the fast file adapter goes on parsing a large sheet
    meanwhile). ``coming`` names the held-back sheets the workbook has, in the order asked.

    Use it in a ``with`` block: leaving it before ``rest()`` lets go of what is being read.
    """

    def __init__(self, turns: Iterator[dict[str, SheetRead]], coming: list[str]) -> None:
        #: The turns: ``first``, then what ``rest()`` gives.
        self._turns = turns
        self.coming = coming
        self.first: dict[str, SheetRead] = next(turns)

    @classmethod
    def at_once(cls, sheets: dict[str, SheetRead], later: Iterable[str]) -> SheetsInTurn:
        """The turns of ``sheets``, every one already read: those named in ``later`` are
        held back for ``rest()``."""
        held = [name for name in later if name in sheets]
        first = {name: read for name, read in sheets.items() if name not in held}
        return cls(iter([first, {name: sheets[name] for name in held}]), held)

    def rest(self) -> dict[str, SheetRead]:
        """The held-back sheets the workbook has (``coming``), read."""
        return next(self._turns)

    def close(self) -> None:
        """Let go of a read not taken (its threads end, its files go)."""
        close = getattr(self._turns, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> SheetsInTurn:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass(frozen=True)
class Formula:
    """A formula to write into a cell (``text`` without its ``=``), with no result: the
    spreadsheet program calculates it when it opens the file. Only a Table's calculated
    column is written this way, into the rows AuthBook adds, as Excel fills it in; any
    other text is written as text."""

    text: str


@dataclass
class SheetWrite:
    """What to change in one sheet.

    ``cells`` sets single cells, ``(row, column) -> value``, keeping each cell's style
    (a new cell takes ``number_formats[column]`` if given). Text is always written as text,
    never as a formula, whatever it starts with.

    ``rows``, when given, replaces the whole sheet's content (header first): used for the
    sheets AuthBook generates (Alerts, Problems). A sheet that does not exist is created.

    ``last_row`` re-fits the sheet's Table (and its AutoFilter) to end at that row; the
    Table's columns are re-fitted to the non-empty header cells.
    """

    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    rows: list[list[object]] | None = None
    last_row: int | None = None
    number_formats: dict[int, str] = field(default_factory=dict)


class SheetWriteLater(SheetWrite):
    """A SheetWrite whose cells are worked out by ``make`` (a function giving the SheetWrite)
    the first time they are looked at, and kept; ``last_row`` and ``number_formats`` are
    known at once. ``expected_rows``: about how many rows it sets cells in, enough to tell
    whether the sheet is worth a second process (``xlsx.writer.start_sheet``), which then works
    the cells out itself while this one goes on. ``columns``: the columns (1-based) it can
    set cells in, if known: a cell elsewhere is known not to be set without working the
    cells out."""

    def __init__(
        self,
        make: Callable[[], SheetWrite],
        expected_rows: int,
        last_row: int | None = None,
        number_formats: dict[int, str] | None = None,
        columns: frozenset[int] | None = None,
    ) -> None:
        self._make, self._made = make, None
        self.expected_rows = expected_rows
        self.columns = columns
        self.rows = None
        self.last_row = last_row
        self.number_formats = {} if number_formats is None else number_formats

    @property
    def made(self) -> bool:
        """Whether the cells have been worked out (in this process)."""
        return self._made is not None

    @property
    def cells(self):
        if self._made is None:
            self._made = self._make()
        return self._made.cells


class CellColumns(Mapping):
    """``SheetWrite.cells`` for a few columns of many rows, held by column.

    ``rows`` are Excel row numbers (ascending), ``columns`` column numbers (ascending), and
    ``by_column[j][i]`` is the value for row ``rows[i]`` in column ``columns[j]``; None there
    means no cell is set. It reads as the dict ``{(row, column): value}`` of the cells set,
    in (row, column) order, without holding that dict: a first refresh of 500,000 notes
    sets 2.4 million cells, whose keys alone would take about 150 MB. A cell is looked up
    by key with two binary searches (writers walk the cells in order, or take the columns as
    they are).
    """

    __slots__ = ("rows", "columns", "by_column", "kinds", "_len")

    def __init__(
        self,
        rows: list[int],
        columns: list[int],
        by_column: list[list],
        kinds: list[frozenset[type]] | None = None,
    ) -> None:
        if len(by_column) != len(columns) or any(len(v) != len(rows) for v in by_column):
            raise ValueError("CellColumns needs one value per row for each column")
        if not (ascending(rows) and ascending(columns)):
            raise ValueError("CellColumns needs rows and columns in ascending order")
        if kinds is not None and len(kinds) != len(columns):
            raise ValueError("CellColumns needs the kinds of each column, or none")
        self.rows, self.columns, self.by_column = rows, list(columns), by_column
        #: Per column, a set holding the type of each of its values (None's too; it may
        #: hold more) when the maker knew them, else None: a writer then need not look at
        #: every value for them (3 million at 500,000 notes).
        self.kinds = kinds
        self._len: int | None = None  # counted when first asked (a writer never asks)

    def _slots(self, start: int = 0):
        """Every (row, column) of the grid from row position ``start`` on, in order, and an
        iterator over its values."""
        rows = self.rows if start == 0 else _from(self.rows, start)
        keys = zip(
            chain.from_iterable(map(repeat, rows, repeat(len(self.columns)))),
            cycle(self.columns),
        )
        return keys, chain.from_iterable(zip(*self._columns_from(start)))

    def _columns_from(self, start: int):
        if start == 0:
            return self.by_column
        return [_from(values, start) for values in self.by_column]

    def _set(self, start: int = 0):
        """Whether each slot of ``_slots(start)`` holds a value."""
        values = chain.from_iterable(zip(*self._columns_from(start)))
        return map(is_not, values, repeat(None))

    def items_from(self, start: int):
        """The (key, value) items of the rows from position ``start`` of ``rows`` on: what
        ``items()`` gives once the cells of the rows before it are taken."""
        keys, values = self._slots(start)
        return compress(zip(keys, values), self._set(start))

    def __len__(self) -> int:
        if self._len is None:
            self._len = sum(len(v) - v.count(None) for v in self.by_column)
        return self._len

    def __bool__(self) -> bool:
        # whether any cell is set: stops at the first value (a count would read them all)
        return any(value is not None for values in self.by_column for value in values)

    def __iter__(self):
        keys, _ = self._slots()
        return compress(keys, self._set())

    def __reversed__(self):
        for i in range(len(self.rows) - 1, -1, -1):
            for j in range(len(self.columns) - 1, -1, -1):
                if self.by_column[j][i] is not None:
                    yield (self.rows[i], self.columns[j])

    def __getitem__(self, key: tuple[int, int]) -> object:
        try:
            row, column = key
            i, j = bisect_left(self.rows, row), bisect_left(self.columns, column)
        except (TypeError, ValueError):  # not a (row, column) key
            raise KeyError(key) from None
        if i < len(self.rows) and j < len(self.columns):
            if self.rows[i] == row and self.columns[j] == column:
                value = self.by_column[j][i]
                if value is not None:
                    return value
        raise KeyError(key)

    def items(self) -> ItemsView:
        return _CellItems(self)

    def values(self) -> ValuesView:
        return _CellValues(self)

    def bounds(self) -> tuple[int, int, int, int] | None:
        """(first column, first row, last column, last row) of the cells set, or None."""
        used = [j for j, v in enumerate(self.by_column) if v.count(None) != len(v)]
        if not used:
            return None
        first = min(_first_set(self.by_column[j]) for j in used)
        last = max(_last_set(self.by_column[j]) for j in used)
        return self.columns[used[0]], self.rows[first], self.columns[used[-1]], self.rows[last]

    def __repr__(self) -> str:
        return f"CellColumns({len(self)} cells in columns {self.columns})"


def ascending(items) -> bool:
    """Whether ``items`` (row or column numbers, or (row, column) keys; anything that can be
    walked twice) strictly increase, compared in C."""
    return all(map(lt, items, islice(items, 1, None)))


def _from(values: list, start: int):
    """The items of ``values`` from position ``start`` on, without copying or skipping."""
    return map(values.__getitem__, range(start, len(values)))


def _first_set(values: list) -> int:
    """The position of the first value that is not None (``values`` holds one)."""
    for i, value in enumerate(values):
        if value is not None:
            return i
    raise ValueError("no value set")


def _last_set(values: list) -> int:
    """The position of the last value that is not None (``values`` holds one)."""
    for i in range(len(values) - 1, -1, -1):
        if values[i] is not None:
            return i
    raise ValueError("no value set")


def _is_set(value: object) -> bool:
    return value is not None


class _CellItems(ItemsView):
    def __iter__(self):
        cells = self._mapping
        keys, values = cells._slots()
        return compress(zip(keys, values), cells._set())


class _CellValues(ValuesView):
    def __iter__(self):
        return filter(_is_set, chain.from_iterable(zip(*self._mapping.by_column)))


def refitted_data_end(min_row: int, max_row: int, totals: int, last_row: int) -> int:
    """The last data row of a Table at rows ``min_row``-``max_row`` (header first, ``totals``
    Total Row rows last) re-fitted to end at ``last_row``: a Total Row keeps the data rows
    where they are, and a Table keeps at least one data row, as Excel requires."""
    if totals:
        return max(max_row - totals, min_row + 1)
    return max(last_row, min_row + 1)


def total_rows_of(ref: str | None, count: int) -> frozenset[int]:
    """The rows of a Table's Total Row: the last ``count`` rows of its range ``ref``."""
    if not ref or count <= 0:
        return frozenset()
    end = int("".join(ch for ch in ref.split(":")[-1] if ch.isdigit()) or 0)
    return frozenset(range(end - count + 1, end + 1)) if end > count else frozenset()


def without_rows(rows, drop: frozenset[int]):
    """``rows`` (a list of RowRead, or ColumnRows) without the rows numbered in ``drop``."""
    if not drop:
        return rows
    if isinstance(rows, ColumnRows):
        keep = [n not in drop for n in rows.numbers]
        if all(keep):
            return rows
        numbers = list(compress(rows.numbers, keep))
        columns = [list(compress(column, keep)) for column in rows.columns]
        formulas = {n: f for n, f in rows.formulas.items() if n not in drop}
        return ColumnRows(numbers, columns, formulas)
    return [r for r in rows if r.row not in drop]


def merge_writes(
    first: dict[str, SheetWrite], then: dict[str, SheetWrite]
) -> dict[str, SheetWrite]:
    """Two sets of writes as one: the only merge of SheetWrites (the services' and the fast
    file adapter's ``apply``).

    Cells and number formats of ``then`` win where both set the same one. A whole-sheet
    ``rows`` of ``then`` replaces the sheet, and its ``last_row`` is where the Table ends;
    otherwise the Table ends at the later of the two ``last_row``s (each write extends it to
    its own last cell, and a later one must not cut off rows an earlier one appended), and
    None in both leaves the Table as it is (never shrunk to the header)."""
    merged = dict(first)
    for name, write in then.items():
        old = merged.get(name)
        if old is None:
            merged[name] = write
            continue
        if write.rows is not None:
            last_row = write.last_row
        else:
            ends = [r for r in (old.last_row, write.last_row) if r is not None]
            last_row = max(ends) if ends else None
        merged[name] = SheetWrite(
            cells={**old.cells, **write.cells},
            rows=write.rows if write.rows is not None else old.rows,
            last_row=last_row,
            number_formats={**old.number_formats, **write.number_formats},
        )
    return merged
