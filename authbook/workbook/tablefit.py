"""How a sheet's Table follows a write (``SheetWrite.last_row``): the one rule every adapter
applies - the surgical writer to the Table part's XML (``xlsx.tables``), the openpyxl
adapter to its Table object (``xlsxfile``), the live adapter through Excel (``live``).

- The Table ends at ``last_row``, and keeps at least one data row, as Excel requires.
- A Total Row stays where it is, and so do the data rows above it (``refitted_data_end``).
- Given the width of its header, it spans that many columns from its first; otherwise its
  columns stay.
- Its AutoFilter covers the Table without the Total Row.
"""

from __future__ import annotations

from typing import NamedTuple

# These, not openpyxl's twins: a surgical refresh then never imports openpyxl (start-up time).
from authbook.workbook.formatted_ranges import range_bounds as range_boundaries
from authbook.workbook.schema import column_letter as get_column_letter
from authbook.workbook.sheetdata import refitted_data_end


class TableFit(NamedTuple):
    """Where a re-fitted Table lies: header at ``first_row``, columns ``first_col`` to
    ``last_col``, data rows to ``data_end``, Total Row (if any) to ``end``."""

    first_col: int
    first_row: int
    last_col: int
    data_end: int
    end: int

    @property
    def ref(self) -> str:
        """The Table's range, Total Row included."""
        return f"{self._first}:{get_column_letter(self.last_col)}{self.end}"

    @property
    def filter_ref(self) -> str:
        """Its AutoFilter's range (without the Total Row)."""
        return f"{self._first}:{get_column_letter(self.last_col)}{self.data_end}"

    @property
    def _first(self) -> str:
        return f"{get_column_letter(self.first_col)}{self.first_row}"


def refitted_table(ref: str, totals: int, last_row: int, width: int | None = None) -> TableFit:
    """The Table at ``ref`` (with ``totals`` Total Row rows) re-fitted to end at ``last_row``
    and, given ``width``, to that many columns."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if width:
        max_col = min_col + width - 1
    data_end = refitted_data_end(min_row, max_row, totals, last_row)
    return TableFit(min_col, min_row, max_col, data_end, data_end + totals)
