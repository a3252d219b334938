"""The cells of one SheetWrite, handed to the sheet rewriter row by row in row order."""

from __future__ import annotations

from itertools import zip_longest
from operator import itemgetter

from authbook.workbook.sheetdata import CellColumns, SheetWrite, ascending

#: Past every row: the key the edits end with.
_END = 1 << 62
_END_ITEM = ((_END, 0), None)


def _holds_value(values) -> bool:
    """Whether a row's or a column's values hold one that is not None."""
    return values.count(None) != len(values)


def every_row_holds_a_value(rows: list[list]) -> bool:
    """Whether each of ``rows`` (lists) holds a value that is not None: each is compared, in
    C, with the row of Nones of its width (50,000 rows: ~4 against ~30 ms a row at a time)."""
    return not any([None] * width in rows for width in set(map(len, rows)))


class RowEdits:
    """The cells of one SheetWrite, handed out row by row in row order.

    ``cells`` are walked once, in (row, column) order: AuthBook writes them in that order
    (checked at C speed); otherwise they are sorted once. ``row`` is the next row with
    edits (``_END`` after the last); ``key``/``value`` is the next cell not handed out yet,
    so a writer can take a row's cells straight from ``items`` without a list per row.
    ``SheetWrite.rows`` (a replaced sheet) are read in place, with ``cells`` on top of them.
    """

    def __init__(self, write: SheetWrite):
        self.write = write
        cells = write.cells
        if isinstance(cells, CellColumns) or ascending(cells):
            self.sorted_cells = cells
        else:
            self.sorted_cells = dict(sorted(cells.items(), key=itemgetter(0)))
        self.items = iter(self.sorted_cells.items())
        self.key, self.value = next(self.items, _END_ITEM)
        self.replace = write.rows is not None
        if self.replace:
            rows = range(1, len(write.rows) + 1)
            if cells:
                rows = sorted(set(rows).union(r for r, _ in cells))
            self._rows, self._at = rows, 0
            self.row = rows[0] if rows else _END
        else:
            self.row = self.key[0]

    def advance(self) -> None:
        """Move ``row`` on, once the cells of ``row`` have been taken from ``items``."""
        if self.replace:
            self._at += 1
            self.row = self._rows[self._at] if self._at < len(self._rows) else _END
        else:
            self.row = self.key[0]

    def values_of(self, n: int) -> list[object] | None:
        """Row ``n`` of a replaced sheet when no cell is set on top of it (else None)."""
        rows = self.write.rows
        if rows is not None and 1 <= n <= len(rows) and self.key[0] != n:
            return rows[n - 1]
        return None

    def take(self, n: int) -> list[tuple[int, object]]:
        """Row ``n``'s cells to write, ``(column, value)`` by column; ``n`` must be ``row``."""
        rows = self.write.rows
        cols = {}
        if rows is not None and 1 <= n <= len(rows):
            cols = {c: v for c, v in enumerate(rows[n - 1], start=1) if v is not None}
        key, value, items = self.key, self.value, self.items
        while key[0] == n:
            cols[key[1]] = value
            key, value = next(items, _END_ITEM)
        self.key, self.value = key, value
        if n == self.row:
            self.advance()
        return sorted(cols.items(), key=itemgetter(0))

    def key_bounds(self) -> tuple[int, int, int, int] | None:
        """(first column, first row, last column, last row) of the cells set, values or not
        (None when there are none): at C speed, and never narrower than ``bounds``."""
        cells = self.sorted_cells
        if not cells:
            return None
        if isinstance(cells, CellColumns):
            return cells.bounds()
        first_row, last_row = next(iter(cells))[0], next(reversed(cells))[0]
        columns = set(map(itemgetter(1), cells))
        return min(columns), first_row, max(columns), last_row

    def bounds(self) -> tuple[int, int, int, int] | None:
        """(first column, first row, last column, last row) of the values written (not
        None), or None when there are none."""
        lo_c = lo_r = 1 << 30
        hi_c = hi_r = 0
        rows = self.write.rows or ()
        # the columns and rows holding a value, with the loops in C (a replaced sheet may
        # have 50,000 rows)
        filled = [c for c, cells in enumerate(zip_longest(*rows), 1) if _holds_value(cells)]
        if filled:
            lo_c, hi_c = filled[0], filled[-1]
            if every_row_holds_a_value(rows):
                lo_r, hi_r = 1, len(rows)
            else:
                held = list(map(_holds_value, rows))
                lo_r, hi_r = held.index(True) + 1, len(held) - held[::-1].index(True)
        cells = self.write.cells
        if isinstance(cells, CellColumns):  # every cell set holds a value
            found = cells.bounds()
            cells = {}
            if found is not None:
                lo_c, lo_r = min(lo_c, found[0]), min(lo_r, found[1])
                hi_c, hi_r = max(hi_c, found[2]), max(hi_r, found[3])
        for (r, c), v in cells.items():
            if v is not None:
                if c < lo_c:
                    lo_c = c
                if c > hi_c:
                    hi_c = c
                if r < lo_r:
                    lo_r = r
                if r > hi_r:
                    hi_r = r
        return None if hi_r == 0 else (lo_c, lo_r, hi_c, hi_r)
