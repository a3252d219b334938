"""The sheet rewriter: one worksheet part streamed into its new version, its rows copied a
piece at a time and only the cells written changed.

Rows and cells are in order in the files Excel, LibreOffice and openpyxl write, so no DOM is
built: a row without edits is copied with its piece, a row whose edits all go after its
last cell gets them appended (``appended``), any other row is rewritten cell by cell
(``edited``). ``SheetWrite.rows`` replaces the sheet's rows entirely. ``<dimension>`` is
widened to cover the cells written, and the conditional formats and data validations over
the Table's data rows follow its new end (``formatted_ranges``).
"""

from __future__ import annotations

import io
import re
from typing import IO

from authbook.workbook import deflate
from authbook.workbook.formatted_ranges import range_bounds as range_boundaries
from authbook.workbook.formatted_ranges import with_ranges_moved
from authbook.workbook.schema import column_letter as get_column_letter
from authbook.workbook.sheetdata import CellColumns, SheetWrite
from authbook.workbook.xlsx import entries
from authbook.workbook.xlsx.appended import _NOTHING_KEPT, AppendedCells
from authbook.workbook.xlsx.cells import (
    _ATTR_R,
    _ATTR_S,
    _CELL,
    _COLUMNS,
    _ROW_R,
    CellWriter,
    has_custom_format,
)
from authbook.workbook.xlsx.edited import EditedCells
from authbook.workbook.xlsx.edits import _END, RowEdits
from authbook.workbook.xlsx.errors import NeedsFullRewrite
from authbook.workbook.xlsx.formulas import SharedFormulas
from authbook.workbook.xlsx.layout import SheetPart
from authbook.workbook.xlsx.rows import column_number, iter_row_chunks, namespace_prefix
from authbook.workbook.xlsx.strings import _cell_text
from authbook.workbook.xlsx.styles import Styles
from authbook.workbook.xlsx.tables import _table_ends

#: Off only to check that the shortcuts for appended cells write what the general path does.
APPEND_FAST = True
#: Off only to check that pieces appended a column at a time are written as row by row.
APPEND_IN_BULK = True
#: Rows of a replaced sheet written cell by cell when a column-at-a-time batch cannot be
#: (a value needing a new style), before the next try.
BY_CELL_ROWS = 32


class SheetRewriter(AppendedCells, EditedCells):
    """Rewrites one worksheet part, streaming, into ``out`` (anything with ``write``).

    Rows without edits are copied as they are, a whole piece of the part at a time. A row
    whose edits all come after its last cell (a refresh filling its computed columns) gets
    them appended without looking at its cells; the cell XML of a value is made once per
    column and style and reused (``_encoded``), so a repeated value costs a dictionary look-up.
    Any other row is rewritten cell by cell (``_edit_row``).
    """

    def __init__(self, zin, sheet: SheetPart, write: SheetWrite, styles: Styles, strings,
                 date1904: bool, source: bytes | None = None):  # fmt: skip
        self.zin, self.sheet, self.write = zin, sheet, write
        self.styles, self.strings = styles, strings
        #: The worksheet XML to start from when the sheet is not in the package yet.
        self.source = source
        self.p = p = b"" if source is not None else namespace_prefix(zin, sheet.part)
        self.cells = CellWriter(p, date1904)
        self.row_open = b"<" + p + b"row"
        self.row_at = self.row_open + b' r="%d"'
        self.row_close = b"</" + p + b"row>"
        self.cell_open = b"<" + p + b"c"
        self.cell_close = b"</" + p + b"c>"
        self.row_tag = re.compile(rb"<" + p + rb"row\b[^>]*>")
        self.formats = write.number_formats
        self.col_styles: dict[int, int] = {}
        self.last_style: dict[int, int] = {}
        #: What ``_new_base`` gives a column below the header, once it is known (-1: not yet).
        self.base_now = [-1] * 16385
        #: Per column, ``value -> (type, <c r="LETTERS or None, tail)`` of the cells appended
        #: below the header while its ``base_now`` stays (a change of it empties the column's).
        self._encoded: list[dict] = [_NOTHING_KEPT] * 16385
        #: Per column, ``value -> tail`` of the same cells (what ``_encoded`` keeps, third),
        #: and None -> None (``appended._no_tails``).
        self._tails: list[dict] = [_NOTHING_KEPT] * 16385
        #: Per column and value type, ``(base, style)`` while the style stays the base's.
        self._kind_styles: dict[tuple[int, type], tuple[int, int]] = {}
        #: ``(spans, first head, last head) -> spans`` of rows with cells appended.
        self._spans: dict[tuple[bytes, bytes, bytes], bytes] = {}
        self.header: dict[int, str] = {}
        #: Whether ``header`` was taken from row 1 (read as it stays, or as edited).
        self.header_kept = False
        #: Whether ``run`` reads the header row as it stays, for the Table re-fit: a child
        #: process leaves it to its parent, which has the time (``writer.beside_child``).
        self.read_header = True
        #: Shared formulas whose first cell a value is written over.
        self.shared = SharedFormulas(p, sheet.name)
        self.replace = write.rows is not None
        #: How the data rows of the sheet's Table move (its conditional formats and data
        #: validations over them follow: ``formatted_ranges``).
        self.table_ends = _table_ends(sheet, write)
        self.old_styles: dict[int, dict[int, int]] = {1: {}, 2: {}}
        self.edits = RowEdits(write)
        cells = self.edits.sorted_cells
        #: A first refresh's columns (CellColumns) are appended a piece at a time when they can.
        self._bulk = (
            isinstance(cells, CellColumns) and bool(cells.columns) and not self.replace
            and APPEND_FAST and APPEND_IN_BULK
        )  # fmt: skip
        self._mixed: list[bool] | None = None
        if self._bulk:
            self._bulk_row = re.compile(rb"<" + p + rb'row r="(\d+)"([^>]*)>')

    # The dimension is the old one widened by every cell written (or exact when replaced).
    def _dimension(self, old: str | None) -> str | None:
        if self.replace:
            bounds = self.edits.bounds()
            if bounds is None:
                return "A1"
            return f"A1:{get_column_letter(bounds[2])}{bounds[3]}"
        if old is None:
            return None
        try:
            min_col, min_row, max_col, max_row = range_boundaries(old)
        except (ValueError, TypeError):
            return old
        if min_row is None or max_row is None:
            return old
        bounds = self.edits.key_bounds()
        if bounds is not None and not (
            min_col <= bounds[0] and bounds[2] <= max_col and min_row <= bounds[1]
            and bounds[3] <= max_row
        ):  # fmt: skip
            bounds = self.edits.bounds()  # only values widen it, not cells cleared
            if bounds is not None:
                min_col, max_col = min(min_col, bounds[0]), max(max_col, bounds[2])
                min_row, max_row = min(min_row, bounds[1]), max(max_row, bounds[3])
        first = f"{get_column_letter(min_col)}{min_row}"
        last = f"{get_column_letter(max_col)}{max_row}"
        return first if first == last else f"{first}:{last}"

    def _head(self, head: bytes) -> bytes:
        p = self.p
        for m in re.finditer(rb"<" + p + rb"col\b([^>]*)/?>", head):
            attrs = m.group(1)
            lo, hi, st = (
                re.search(rb'\b%s="(\d+)"' % k, attrs) for k in (b"min", b"max", b"style")
            )
            if lo and hi and st:
                for col in range(int(lo.group(1)), min(int(hi.group(1)), 16384) + 1):
                    self.col_styles[col] = int(st.group(1))
        dim = re.search(rb"<" + p + rb'dimension\b[^>]*?\bref="([^"]*)"', head)
        if dim:
            new = self._dimension(dim.group(1).decode())
            if new is not None and new.encode() != dim.group(1):
                head = head[: dim.start(1)] + new.encode() + head[dim.end(1) :]
        return head

    def run(self, out) -> None:
        if self.source is not None:
            opened = io.BytesIO(self.source)
        elif self.zin.getinfo(self.sheet.part).file_size >= entries.THREAD_AFTER:
            opened = entries.ReadAhead(deflate.open_part(self.zin, self.sheet.part))
        else:
            opened = self.zin.open(self.sheet.part)
        first = True
        with opened as stream:
            for kind, data in iter_row_chunks(stream, self.p):
                if kind == "head":
                    out.write(self._head(data))
                elif kind == "empty":  # <sheetData/>
                    out.write(data[:-2] + b">")
                    self._remaining_rows(out)
                    out.write(b"</" + self.p + b"sheetData>")
                elif kind == "rows":
                    if (
                        first and self.read_header and self.write.last_row is not None
                        and self.edits.row != 1
                    ):  # fmt: skip
                        self._read_header(data)  # for the Table re-fit, as the row stays
                    first = False
                    out.write(
                        self._old_styles(data)
                        if self.replace
                        else self.shared.filled_in(self._rows(data))
                    )
                else:
                    self._remaining_rows(out)
                    out.write(with_ranges_moved(data, self.table_ends))

    def _row_number(self, tag: bytes) -> int:
        m = _ROW_R.search(tag)
        if m is None:
            raise NeedsFullRewrite(
                f"the {self.sheet.name} sheet has a row without its number, which Excel always"
                " writes (a program other than Excel or LibreOffice saved it)"
            )
        return int(m.group(1))

    def _old_styles(self, data: bytes) -> bytes:
        """In a replaced sheet, remember the styles of the old rows 1 and 2; drop the rows."""
        for m in self.row_tag.finditer(data):
            r = self._row_number(m.group(0))
            if r > 2:
                break
            if m.group(0).endswith(b"/>"):
                continue
            end = data.find(self.row_close, m.end())
            for cell in _CELL.finditer(data, m.end(), end):
                ref, style = _ATTR_R.search(cell.group(1)), _ATTR_S.search(cell.group(1))
                if ref:
                    self.old_styles[r][column_number(ref.group(1))] = (
                        int(style.group(1)) if style else 0
                    )
        return b""

    def _rows(self, data: bytes) -> bytes:
        """Rewrite the rows of this piece that have edits; insert new rows in order.

        A plain row (``<row r="n">``) whose edits all come after its last cell gets them
        appended from ``_encoded`` (``_append_cells``) without its cells being parsed; its
        ``spans`` are widened to cover them.
        """
        edits = self.edits
        n = edits.row
        if n == _END:
            return data
        last_tag = data.rfind(self.row_open)
        if last_tag < 0:
            return data
        last_r = self._row_number(data[last_tag : data.find(b">", last_tag)])
        if n > last_r:
            return data
        if self._bulk and n >= 2:
            done = self._rows_in_bulk(data)
            if done is not None:
                return done
        out: list[bytes] = []
        append = out.append
        pos = 0
        row_at, row_close, cell_ref = self.row_at, self.row_close, self.cells.c_ref
        cell_open, ref_len = self.cell_open, len(self.cells.c_ref)
        while n <= last_r:
            needle = row_at % n
            i = data.find(needle, pos)
            if i < 0:  # not written r-first, or a new row: find the first row at or after n
                for m in self.row_tag.finditer(data, pos):
                    if self._row_number(m.group(0)) >= n:
                        break
                if self._row_number(m.group(0)) > n:
                    append(data[pos : m.start()])
                    self._new_row(n, out)
                    pos = m.start()
                    n = edits.row
                    continue
                i = m.start()
            tag_end = data.find(b">", i)
            if data[tag_end - 1] == 47:  # <row .../>
                end = tag_end + 1
            else:
                close = data.find(row_close, tag_end)
                end = close + len(row_close)
                number = b"%d" % n
                # The usual case: every edit goes after the row's last cell.
                last_cell = data.rfind(cell_open, tag_end, close)  # or a <color> in it
                if last_cell < 0:
                    last_col = 0 if close == tag_end + 1 else _END
                elif data.startswith(cell_ref, last_cell):
                    at = last_cell + ref_len
                    last_col = _COLUMNS.get(data[at : data.find(b'"', at) - len(number)], _END)
                else:
                    last_col = _END
                if n >= 2 and edits.key[1] > last_col and APPEND_FAST:
                    spans = tag = None
                    if tag_end != i + len(needle):  # more than r="n"
                        tag = data[i:tag_end]
                        spans = tag.find(b' spans="')
                        if spans < 0:
                            spans = None
                    if tag is None or not has_custom_format(tag):
                        if spans is None:
                            append(data[pos:close])
                        else:
                            tag_at = len(out)
                            append(b"")
                            append(data[tag_end:close])
                        cells_at = len(out)
                        self._append_cells(n, out)
                        if spans is not None:
                            out[tag_at] = data[pos:i] + self._spanned(tag, spans, out, cells_at)
                        n = edits.row
                        pos = close
                        continue
            append(data[pos:i])
            append(self._edit_row(data[i:end], n))
            pos = end
            n = edits.row
        append(data[pos:])
        return b"".join(out)

    def _read_header(self, data: bytes) -> None:
        m = self.row_tag.search(data)
        if m is None or self._row_number(m.group(0)) != 1 or m.group(0).endswith(b"/>"):
            return
        self._keep_header(data, m.end(), data.find(self.row_close, m.end()))

    def _keep_header(self, data: bytes, start: int, end: int) -> None:
        """Remember the text of the header cells in ``data[start:end]`` (row 1's cells)."""
        self.header_kept = True
        for cell in _CELL.finditer(data, start, end):
            ref = _ATTR_R.search(cell.group(1))
            if ref:
                text = _cell_text(cell.group(1), cell.group(2), self.strings)
                self.header[column_number(ref.group(1))] = text

    def _remaining_rows(self, out: IO[bytes]) -> None:
        """Write the rows still to come after the last row of the sheet, a batch at a time.

        The rows of a replaced sheet below its header are made right here: a column at a
        time (``_replaced_rows_in_bulk``) where the cell XML of their values is known or
        needs no new style, else cell by cell from ``_encoded`` (as ``_append_cells`` does
        with the cells of ``edits``): ``BY_CELL_ROWS`` rows, which makes the styles known,
        before the next try, twice as many after each try that fails in a row, and the rest
        of the sheet once 1,024 have (a column mixing numbers and text is never made a
        column at a time: its tries stay few).
        """
        edits = self.edits
        encoded, encode = self._encoded, self._encode
        row_open, row_close = self.row_at + b">", self.row_close
        in_bulk = edits.replace and APPEND_FAST and APPEND_IN_BULK
        by_cell = BY_CELL_ROWS
        while edits.row != _END:
            n = edits.row
            one_by_one = 1024
            if in_bulk:
                # the rows up to the next one with a cell set on top, a batch at a time
                count = min(1024, len(self.write.rows) - n + 1, edits.key[0] - n)
                made = self._replaced_rows_in_bulk(n, count) if n >= 2 and count > 1 else None
                if made is not None:
                    out.write(made)
                    for _ in range(count):
                        edits.advance()
                    by_cell = BY_CELL_ROWS
                    continue
                if n == 1:
                    one_by_one = 1
                else:  # (after a try at 1024 fails, the rest of the sheet goes by cell)
                    one_by_one, by_cell = by_cell, 2 * by_cell
                    in_bulk = one_by_one < 1024
            batch: list[bytes] = []
            append = batch.append
            for _ in range(one_by_one):
                n = edits.row
                if n == _END:
                    break
                values = edits.values_of(n) if n >= 2 and APPEND_FAST else None
                if values is None:
                    self._new_row(n, batch)
                    continue
                at = len(batch)
                append(row_open % n)
                number = b"%d" % n
                col = 0
                for value in values:
                    col += 1
                    if value is None:
                        continue
                    known = encoded[col].get(value)
                    if known is not None and known[0] is value.__class__:
                        append(known[1])
                        append(number)
                        append(known[2])
                    else:
                        known = encode(col, value, n)
                        if known[1] is not None:
                            append(known[1])
                            append(number)
                            append(known[2])
                if len(batch) == at + 1:
                    del batch[at]
                else:
                    append(row_close)
                edits.advance()
            out.write(b"".join(batch))

    def _new_row(self, n: int, out: list[bytes]) -> None:
        """Put row ``n``, which the sheet lacks, onto ``out`` (nothing when it has no cell)."""
        at = len(out)
        out.append(self.row_open + b' r="%d">' % n)
        if n >= 2 and self.edits.key[0] == n and not self.replace and APPEND_FAST:
            self._append_cells(n, out)
        else:
            out.append(self._cells(b"", n, self.edits.take(n), 0))
        if len(out) == at + 1 or (len(out) == at + 2 and not out[-1]):
            del out[at:]
        else:
            out.append(self.row_close)

    def header_names(self, min_col: int) -> list[str]:
        names = []
        col = min_col
        while (self.header.get(col) or "").strip():
            names.append(self.header[col].strip())
            col += 1
        return names
