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

from collections.abc import ItemsView, Mapping, ValuesView
from dataclasses import dataclass, field


@dataclass(slots=True)  # one per row of a sheet: no per-object __dict__
class RowRead:
    """One non-empty row under the header.

    ``values[i]`` is the cell in column ``i + 1``; the list is as long as the header.
    ``formulas`` holds the 1-based columns whose cell held a formula (value = cached result).
    """

    row: int
    values: list[object]
    formulas: frozenset[int] = frozenset()


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
    rows: list[RowRead]
    hidden_rows: frozenset[int] = frozenset()
    filter_ref: str | None = None
    table_name: str | None = None
    table_ref: str | None = None


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


class CellList(Mapping):
    """``SheetWrite.cells`` held as two parallel lists, keys in (row, column) order.

    A read-only mapping like the dict it stands for, made for the millions of cells a first
    refresh of a large workbook sets: building a dict of 2.4 million (row, column) keys takes
    about a second, the two lists a fraction of that. Looking a cell up by key builds the dict
    once, on first use (the writers only walk the cells in order).
    """

    __slots__ = ("_keys", "_values", "_index")

    def __init__(self, keys: list[tuple[int, int]], values: list[object]) -> None:
        if len(keys) != len(values):
            raise ValueError("CellList needs as many values as keys")
        self._keys, self._values, self._index = keys, values, None

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __getitem__(self, key: tuple[int, int]) -> object:
        if self._index is None:
            self._index = dict(zip(self._keys, self._values))
        return self._index[key]

    def items(self) -> ItemsView:
        return _CellItems(self)

    def values(self) -> ValuesView:
        return _CellValues(self)

    def __repr__(self) -> str:
        return f"CellList({len(self)} cells)"


class _CellItems(ItemsView):
    def __iter__(self):
        return zip(self._mapping._keys, self._mapping._values)


class _CellValues(ValuesView):
    def __iter__(self):
        return iter(self._mapping._values)
