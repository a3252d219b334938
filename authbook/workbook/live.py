"""The workbook open in Excel, read and changed through xlwings: the live twin of WorkbookFile.

``LiveWorkbook(book)`` implements the same ``store.Store`` as the file adapter (``read_sheets``,
``apply``, ``save``), so ``authbook.services.refresh`` runs the same refresh on the open workbook
that ``authbook refresh`` runs on a file, without saving and reopening it.

Every call it makes to Excel is one of this short list (the test stand-in implements exactly
these, so it can be checked against the real thing by reading this docstring):

- ``book.sheets`` (iterated for names), ``book.sheets[name]``,
  ``book.sheets.add(name, after=sheet)``, ``book.save()`` (only when asked)
- ``sheet.name``, ``sheet.used_range.last_cell.row`` / ``.column``, ``sheet.range(a, b)``
  with ``(row, column)`` corners, ``sheet.tables`` (``len``, ``[0]``, ``.name``,
  ``.range.address``, ``.resize(range)``)
- ``range.options(ndim=2).value`` (read a block), ``range.value = rows`` (write a block),
  ``range.number_format = text``, ``range.clear_contents()``
- ``range.api.SpecialCells(12)`` (12 = xlCellTypeVisible) and of its result ``.Areas.Count``,
  ``.Areas.Item(i).Row``, ``.Areas.Item(i).Rows.Count``: Excel's COM interface (Windows),
  used once per sheet to learn which rows the AutoFilter (or the user) hides.

Reading costs one block read per sheet; writing computed columns costs one block write per
run of consecutive changed cells in a column (a first refresh writes each computed column
in one go). Text is written with Excel's leading apostrophe, so nothing AuthBook writes is
ever taken for a formula, a number or a date. Formulas are read as their values
(``RowRead.formulas`` stays empty).
"""

from __future__ import annotations

from datetime import date, datetime

from authbook.workbook.sheetdata import RowRead, SheetRead, SheetWrite, without_rows
from authbook.workbook.store import StoreDefaults
from authbook.workbook.tablefit import refitted_table

XL_CELL_TYPE_VISIBLE = 12
DATE_FORMAT = "mm/dd/yyyy"


class LiveWorkbookError(Exception):
    """Something the open workbook cannot do here; the message is for the user."""


def excel_text(value: object) -> object:
    """How a value is handed to Excel: text behind an apostrophe (kept as typed: never a
    formula, number or date), everything else as is."""
    if isinstance(value, str) and value:
        return "'" + value
    return value


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + (ord(ch.upper()) - 64)
    return number


def range_bounds(address: str) -> tuple[int, int, int, int]:
    """``$A$1:$AD$51`` -> (first row, first column, last row, last column)."""
    corners = address.replace("$", "").split("!")[-1].split(":")
    parsed = []
    for corner in corners:
        letters = "".join(ch for ch in corner if ch.isalpha())
        digits = "".join(ch for ch in corner if ch.isdigit())
        parsed.append((int(digits), _column_number(letters)))
    (r1, c1), (r2, c2) = parsed[0], parsed[-1]
    return r1, c1, r2, c2


def runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers -> (first, last) of each run of consecutive rows."""
    found: list[tuple[int, int]] = []
    for row in rows:
        if found and row == found[-1][1] + 1:
            found[-1] = (found[-1][0], row)
        else:
            found.append((row, row))
    return found


class LiveWorkbook(StoreDefaults):
    """An ``xw.Book`` seen as an AuthBook store (see the module docstring for the calls).

    ``save()`` does nothing unless ``save=True`` was given: in Excel the user saves.
    ``hidden_rows_unknown`` names the sheets whose hidden rows could not be read (Excel's
    COM interface is not there, e.g. on macOS); bulk actions on visible rows refuse them.
    """

    def __init__(self, book, save: bool = False):
        self.book = book
        self.save_book = save
        self.hidden_rows_unknown: set[str] = set()

    @property
    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def saved_file(self) -> None:
        """None: Excel keeps the workbook (``save`` saves it there, when asked to)."""
        return None

    def read_sheets(self, names) -> dict[str, SheetRead]:
        """The named sheets that exist in the workbook, as SheetRead (one block read each)."""
        present = set(self.sheet_names)
        return {name: self._read(name) for name in names if name in present}

    def _read(self, name: str) -> SheetRead:
        sheet = self.book.sheets[name]
        last = sheet.used_range.last_cell
        last_row, last_col = last.row, last.column
        block = sheet.range((1, 1), (last_row, last_col)).options(ndim=2).value or [[None]]
        headers = ["" if h is None else str(h).strip() for h in block[0]]
        while headers and not headers[-1]:
            headers.pop()
        width = len(headers)
        rows = []
        if width:
            for row, values in enumerate(block[1:], start=2):
                values = list(values[:width]) + [None] * (width - len(values))
                if any(v is not None and v != "" for v in values):
                    rows.append(RowRead(row, values))
        table_name = table_ref = None
        totals: frozenset[int] = frozenset()
        tables = sheet.tables
        if len(tables):
            table_name = tables[0].name
            table_ref = tables[0].range.address.replace("$", "")
            if tables[0].show_totals:  # Excel's Total Row: not data
                totals = frozenset({tables[0].totals_row_range.row})
        return SheetRead(
            name=name,
            headers=headers,
            rows=without_rows(rows, totals),
            hidden_rows=self._hidden_rows(sheet, last_row) if rows else frozenset(),
            filter_ref=table_ref,
            table_name=table_name,
            table_ref=table_ref,
            total_rows=totals,
        )

    def _hidden_rows(self, sheet, last_row: int) -> frozenset[int]:
        """Rows 2..last_row that Excel hides (AutoFilter or by hand), from the visible areas
        of column A: a few COM calls per sheet, however many rows."""
        try:
            visible = (
                sheet.range((1, 1), (last_row, 1)).api.SpecialCells(XL_CELL_TYPE_VISIBLE).Areas
            )
            shown: set[int] = set()
            for i in range(1, visible.Count + 1):
                area = visible.Item(i)
                shown.update(range(area.Row, area.Row + area.Rows.Count))
        except Exception:  # no COM interface (macOS) or nothing visible: say we do not know
            self.hidden_rows_unknown.add(sheet.name)
            return frozenset()
        return frozenset(r for r in range(2, last_row + 1) if r not in shown)

    def apply(self, writes: dict[str, SheetWrite]) -> None:
        """Write the changes into the open workbook (block writes; nothing is saved)."""
        for name, write in writes.items():
            if name not in set(self.sheet_names):
                sheets = self.book.sheets
                last = [s.name for s in sheets][-1]
                sheets.add(name, after=sheets[last])
            sheet = self.book.sheets[name]
            if write.rows is not None:
                self._replace(sheet, write)
            self._write_cells(sheet, write)
            if write.last_row is not None and write.rows is None:
                self._refit_table(sheet, write.last_row)

    def _replace(self, sheet, write: SheetWrite) -> None:
        rows = write.rows or [[]]
        height = len(rows)
        width = max(1, max(len(r) for r in rows))
        last = sheet.used_range.last_cell
        old_rows, old_cols = last.row, last.column
        block = [[excel_text(v) for v in r] + [None] * (width - len(r)) for r in rows]
        sheet.range((1, 1), (height, width)).value = block
        if height >= 2:
            for column, number_format in sorted(write.number_formats.items()):
                sheet.range((2, column), (height, column)).number_format = number_format
        self._refit_table(sheet, height)
        if old_rows > height:
            sheet.range((height + 1, 1), (old_rows, max(width, old_cols))).clear_contents()
        if old_cols > width:
            sheet.range((1, width + 1), (height, old_cols)).clear_contents()

    def _write_cells(self, sheet, write: SheetWrite) -> None:
        by_column: dict[int, dict[int, object]] = {}
        for (row, column), value in write.cells.items():
            by_column.setdefault(column, {})[row] = value
        for column, cells in sorted(by_column.items()):
            for first, last in runs(sorted(cells)):
                values = [cells[r] for r in range(first, last + 1)]
                target = sheet.range((first, column), (last, column))
                target.value = [[excel_text(v)] for v in values]
                number_format = write.number_formats.get(column)
                if number_format is None and any(isinstance(v, (date, datetime)) for v in values):
                    number_format = DATE_FORMAT
                if number_format is not None:
                    target.number_format = number_format

    @staticmethod
    def _refit_table(sheet, last_row: int) -> None:
        """Make the sheet's Table end at ``last_row`` (``tablefit``'s rule: it keeps at
        least one data row). Its Total Row is not told apart here, as before."""
        tables = sheet.tables
        if not len(tables):
            return
        table = tables[0]
        address = table.range.address.replace("$", "").split("!")[-1]
        fit = refitted_table(address, 0, last_row)
        if fit.end != range_bounds(address)[2]:
            table.resize(sheet.range((fit.first_row, fit.first_col), (fit.end, fit.last_col)))

    def save(self, backup: bool = True) -> None:
        """Save the workbook in Excel only if this adapter was made with ``save=True``."""
        if self.save_book:
            self.book.save()
