"""An in-memory stand-in for the few xlwings calls AuthBook's live adapter and ribbon make.

It implements exactly the calls listed in ``authbook.workbook.live`` and
``authbook.functions.ribbon`` and behaves as Excel does for them:

- cells hold what Excel holds: numbers as floats, dates as datetimes, text, booleans, or
  nothing (None); text written with a leading apostrophe is stored without it, as text;
  text written without one that starts with ``=`` becomes a ``Formula`` (a test failure:
  AuthBook must never do that);
- ``used_range.last_cell`` is the bottom-right non-empty cell (A1 for an empty sheet);
- ``options(ndim=2).value`` returns a 2-D list; ``value = rows`` writes a block from the
  range's top-left corner;
- ``api.SpecialCells(12)`` returns the visible areas of a one-column range (raises, as Excel
  does, when no cell is visible);
- ``app.alert`` records the message and returns the answer queued in ``book.answers``.

``StandinBook.from_xlsx(path)`` loads a real .xlsx (values, hidden rows, tables) with openpyxl,
so a test can run the ribbon on the same data it gives ``authbook refresh``. Every call is
logged in ``book.calls`` as ``(sheet, operation, address)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries


@dataclass(frozen=True)
class Formula:
    text: str


def excel_value(value: object) -> object:
    """What Excel keeps when given ``value``."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]
        if value.startswith("="):
            return Formula(value)
        return value if value else None
    raise TypeError(f"Excel cannot hold {value!r}")


def address(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"${get_column_letter(c1)}${r1}:${get_column_letter(c2)}${r2}"


class Count:
    def __init__(self, count: int):
        self.Count = count


class Area:
    def __init__(self, row: int, count: int):
        self.Row = row
        self.Rows = Count(count)


class Areas:
    def __init__(self, areas: list[Area]):
        self._areas = areas
        self.Count = len(areas)

    def Item(self, index: int) -> Area:  # COM collections count from 1
        return self._areas[index - 1]


class VisibleCells:
    def __init__(self, areas: list[Area]):
        self.Areas = Areas(areas)


class RangeApi:
    def __init__(self, rng: StandinRange):
        self._range = rng

    def SpecialCells(self, kind: int) -> VisibleCells:
        assert kind == 12, "only xlCellTypeVisible is used"
        rng = self._range
        rng.sheet.book.log(rng.sheet, "SpecialCells", rng.address)
        assert rng.c1 == rng.c2, "AuthBook asks for the visible cells of one column"
        areas: list[Area] = []
        for row in range(rng.r1, rng.r2 + 1):
            if row in rng.sheet.hidden:
                continue
            if areas and areas[-1].Row + areas[-1].Rows.Count == row:
                areas[-1].Rows.Count += 1
            else:
                areas.append(Area(row, 1))
        if not areas:
            raise RuntimeError("No cells were found.")  # what Excel raises
        return VisibleCells(areas)


class Options:
    def __init__(self, rng: StandinRange):
        self._range = rng

    @property
    def value(self) -> list[list[object]]:
        rng = self._range
        rng.sheet.book.log(rng.sheet, "read", rng.address)
        return [
            [rng.sheet.cells.get((r, c)) for c in range(rng.c1, rng.c2 + 1)]
            for r in range(rng.r1, rng.r2 + 1)
        ]


class StandinRange:
    def __init__(self, sheet: StandinSheet, r1: int, c1: int, r2: int, c2: int):
        self.sheet, self.r1, self.c1, self.r2, self.c2 = sheet, r1, c1, r2, c2

    @property
    def address(self) -> str:
        return address(self.r1, self.c1, self.r2, self.c2)

    @property
    def row(self) -> int:
        return self.r1

    @property
    def column(self) -> int:
        return self.c1

    @property
    def last_cell(self) -> StandinRange:
        return StandinRange(self.sheet, self.r2, self.c2, self.r2, self.c2)

    @property
    def api(self) -> RangeApi:
        if not self.sheet.book.com:
            raise AttributeError("no SpecialCells here: not Excel's COM interface")
        return RangeApi(self)

    def options(self, ndim: int) -> Options:
        assert ndim == 2
        return Options(self)

    @property
    def value(self):
        raise AssertionError("AuthBook reads through options(ndim=2).value")

    @value.setter
    def value(self, rows) -> None:
        self.sheet.book.log(self.sheet, "write", self.address)
        if not isinstance(rows, list):
            rows = [[rows]]
        for i, values in enumerate(rows):
            for j, v in enumerate(values):
                self.sheet.put(self.r1 + i, self.c1 + j, excel_value(v))

    @property
    def number_format(self) -> str:
        raise AssertionError("AuthBook only sets number formats")

    @number_format.setter
    def number_format(self, text: str) -> None:
        self.sheet.book.log(self.sheet, "number_format", self.address)
        for r in range(self.r1, self.r2 + 1):
            for c in range(self.c1, self.c2 + 1):
                self.sheet.formats[(r, c)] = text

    def clear_contents(self) -> None:
        self.sheet.book.log(self.sheet, "clear", self.address)
        for r in range(self.r1, self.r2 + 1):
            for c in range(self.c1, self.c2 + 1):
                self.sheet.cells.pop((r, c), None)


class StandinSelection(StandinRange):
    """A selection of several areas; ``address`` lists them all, as Excel's does."""

    areas: list[str]

    @property
    def address(self) -> str:
        return ",".join(self.areas)


class StandinTable:
    def __init__(self, sheet: StandinSheet, name: str, ref: str, totals: int = 0):
        self.sheet, self.name = sheet, name
        self.bounds = range_boundaries(ref)  # (min_col, min_row, max_col, max_row)
        self.show_totals = bool(totals)  # Excel's Total Row (one row)

    @property
    def range(self) -> StandinRange:
        c1, r1, c2, r2 = self.bounds
        return StandinRange(self.sheet, r1, c1, r2, c2)

    @property
    def totals_row_range(self) -> StandinRange | None:
        c1, _, c2, r2 = self.bounds
        return StandinRange(self.sheet, r2, c1, r2, c2) if self.show_totals else None

    def resize(self, rng: StandinRange) -> None:
        self.sheet.book.log(self.sheet, "resize table", rng.address)
        assert (rng.r1, rng.c1) == (self.bounds[1], self.bounds[0]), "a table keeps its corner"
        self.bounds = (rng.c1, rng.r1, rng.c2, rng.r2)


class StandinSheet:
    def __init__(self, book: StandinBook, name: str):
        self.book, self.name = book, name
        self.cells: dict[tuple[int, int], object] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.hidden: set[int] = set()
        self.tables: list[StandinTable] = []
        self.active = False

    def put(self, row: int, column: int, value: object) -> None:
        if value is None:
            self.cells.pop((row, column), None)
        else:
            self.cells[(row, column)] = value

    @property
    def used_range(self) -> StandinRange:
        if not self.cells:
            return StandinRange(self, 1, 1, 1, 1)
        rows = [r for r, _ in self.cells]
        cols = [c for _, c in self.cells]
        return StandinRange(self, min(rows), min(cols), max(rows), max(cols))

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None):
        last = last or first
        return StandinRange(self, first[0], first[1], last[0], last[1])

    def activate(self) -> None:
        for sheet in self.book.sheets:
            sheet.active = sheet is self

    def rows(self) -> list[list[object]]:
        """The sheet as a 2-D list (for assertions)."""
        used = self.used_range
        return [
            [self.cells.get((r, c)) for c in range(1, used.c2 + 1)] for r in range(1, used.r2 + 1)
        ]


class StandinSheets:
    def __init__(self, book: StandinBook):
        self.book = book
        self._sheets: list[StandinSheet] = []

    def __iter__(self):
        return iter(list(self._sheets))

    def __len__(self) -> int:
        return len(self._sheets)

    def __getitem__(self, name: str) -> StandinSheet:
        for sheet in self._sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(name)

    def add(self, name: str, after: StandinSheet | None = None) -> StandinSheet:
        self.book.calls.append((name, "add sheet", ""))
        sheet = StandinSheet(self.book, name)
        at = self._sheets.index(after) + 1 if after is not None else 0
        self._sheets.insert(at, sheet)
        return sheet


class StandinApp:
    def __init__(self, book: StandinBook):
        self.book = book
        self.selection: StandinRange | None = None
        #: As xlwings' ``App.calculation`` and ``App.screen_updating``; Excel starts this way.
        self.calculation = "automatic"
        self.screen_updating = True

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode=None):
        self.book.alerts.append(prompt)
        if buttons == "ok":
            return "ok"
        return self.book.answers.pop(0)


class StandinBook:
    def __init__(self):
        self.sheets = StandinSheets(self)
        self.app = StandinApp(self)
        self.calls: list[tuple[str, str, str]] = []
        #: (calculation, screen updating) of the app at each change to a cell, format or table.
        self.write_states: list[tuple[str, bool]] = []
        self.alerts: list[str] = []
        self.answers: list[str] = []
        self.saved = 0
        #: False plays Excel on macOS, where ``range.api`` is not the COM interface.
        self.com = True

    def log(self, sheet: StandinSheet, operation: str, where: str) -> None:
        self.calls.append((sheet.name, operation, where))
        if operation != "read":
            self.write_states.append((self.app.calculation, self.app.screen_updating))

    def save(self) -> None:
        self.saved += 1

    def select(self, sheet: str, first_row: int, last_row: int | None = None) -> None:
        """What the user does: select rows of a sheet (whole width of column A)."""
        self.app.selection = self.sheets[sheet].range((first_row, 1), (last_row or first_row, 1))

    def select_areas(self, sheet: str, areas: list[tuple[int, int]]) -> None:
        """A Ctrl-click selection of several row blocks: xlwings gives the first block's row
        and last cell, and every block in the address."""
        first, last = areas[0]
        selection = StandinSelection(self.sheets[sheet], first, 1, last, 1)
        selection.areas = [address(r1, 1, r2, 1) for r1, r2 in areas]
        self.app.selection = selection

    @classmethod
    def from_xlsx(cls, path: Path | str) -> StandinBook:
        """The workbook as Excel would hold it after opening the file."""
        book = cls()
        wb = load_workbook(path, data_only=True)  # a formula cell holds its last result
        for ws in wb.worksheets:
            sheet = book.sheets.add(
                ws.title, after=list(book.sheets)[-1] if len(book.sheets) else None
            )
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None and cell.value != "":
                        sheet.cells[(cell.row, cell.column)] = excel_value(
                            "'" + cell.value if isinstance(cell.value, str) else cell.value
                        )
            sheet.hidden = {r for r, dim in ws.row_dimensions.items() if dim.hidden}
            for table in ws.tables.values():
                sheet.tables.append(
                    StandinTable(sheet, table.displayName, table.ref, table.totalsRowCount or 0)
                )
        book.calls.clear()
        book.write_states.clear()
        return book
