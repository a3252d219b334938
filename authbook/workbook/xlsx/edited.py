"""Rows rewritten cell by cell: a cell written over in place, a new one put among the others
(a row whose edits all go after its last cell is ``appended``'s), and the style each cell
written takes."""

from __future__ import annotations

from authbook.workbook.xlsx.appended import _NOTHING_KEPT
from authbook.workbook.xlsx.cells import (
    _ATTR_R,
    _ATTR_S,
    _CELL,
    _LETTERS,
    _SPANS,
    has_custom_format,
)
from authbook.workbook.xlsx.rows import column_number


class EditedCells:
    """The cell-by-cell half of ``SheetRewriter``, and the styles of the cells it writes
    (``appended`` asks them too).

    It works on what the rewriter sets up: ``edits``, ``cells``, ``styles``, ``formats``,
    ``shared``, ``replace``, ``old_styles``, ``col_styles``, ``last_style``, ``base_now``,
    ``_encoded``/``_tails``, ``p``, ``cell_open``/``cell_close``, ``row_close``, and its
    ``_keep_header``.
    """

    def _edit_row(self, row: bytes, n: int) -> bytes:
        tag_end = row.find(b">")
        self_closing = row[tag_end - 1 : tag_end] == b"/"
        tag = row[: tag_end - 1] if self_closing else row[:tag_end]
        body = b"" if self_closing else row[tag_end + 1 : -len(self.row_close)]
        row_style = 0
        if has_custom_format(tag):
            m = _ATTR_S.search(tag)
            row_style = int(m.group(1)) if m else 0
        edits = self.edits.take(n)
        body = self._cells(body, n, edits, row_style)
        spans = _SPANS.search(tag)
        if spans:
            written = [c for c, v in edits if v is not None]
            if written:
                lo = min(int(spans.group(1)), *written)
                hi = max(int(spans.group(2)), *written)
                tag = tag[: spans.start(1)] + b"%d:%d" % (lo, hi) + tag[spans.end(2) :]
        if n == 1:
            self._keep_header(body, 0, len(body))
        if not body:
            return tag + b"/>"
        return tag + b">" + body + self.row_close

    def _cells(self, body: bytes, n: int, edits, row_style: int) -> bytes:
        """``body`` (a row's cells) with ``edits`` applied: cells replaced, new ones inserted."""
        out, pos, size = [], 0, len(body)
        last_col = 0
        if body:
            j = body.rfind(self.cell_open + b" ")
            m = _ATTR_R.search(body, j, body.find(b">", j)) if j >= 0 else None
            last_col = column_number(m.group(1)) if m else 16384
        row_number = b"%d" % n
        make, fit = self.cells.cell, self.styles.fit
        formats = self.formats if n >= 2 else {}
        for col, value in edits:
            ref = _LETTERS[col] + row_number
            if col > last_col:  # after every cell of the row: the usual case
                style = fit(self._new_base(col, n, row_style), value, formats.get(col), False)
                self._remember(col, n, style)
                if pos < size:
                    out.append(body[pos:])
                    pos = size
                out.append(make(ref, style, value))
                continue
            i = body.find(self.cell_open + b' r="' + ref + b'"', pos)
            if i >= 0:
                tag_end = body.find(b">", i)
                if body[tag_end - 1 : tag_end] == b"/":
                    end, inner = tag_end + 1, b""
                else:
                    end = body.find(self.cell_close, tag_end) + len(self.cell_close)
                    inner = body[tag_end + 1 : end - len(self.cell_close)]
                if inner and b"<" + self.p + b"f" in inner:
                    self.shared.check(inner, ref)
                m = _ATTR_S.search(body, i, tag_end)
                base = int(m.group(1)) if m else 0
                style = self._style(base, value, col, n, existing=True)
                out.append(body[pos:i])
                out.append(make(ref, style, value))
                pos = end
                continue
            # A new cell among others: before the first cell of a later column.
            ins = size
            for m in _CELL.finditer(body, pos):
                r = _ATTR_R.search(m.group(1))
                if r and column_number(r.group(1)) > col:
                    ins = m.start()
                    break
            style = self._style(self._new_base(col, n, row_style), value, col, n, existing=False)
            out.append(body[pos:ins])
            out.append(make(ref, style, value))
            pos = ins
        out.append(body[pos:])
        return b"".join(out)

    def _new_base(self, col: int, n: int, row_style: int) -> int:
        if self.replace:
            old = self.old_styles[1 if n == 1 else 2]
            if col in old:
                return old[col]
        if n >= 2 and col in self.last_style:
            return self.last_style[col]
        return self.col_styles.get(col, row_style)

    def _remember(self, col: int, n: int, style: int) -> None:
        """Cells below the header take the style of the cell last written in their column."""
        if n >= 2:
            self.last_style[col] = style
            old = self.old_styles[2] if self.replace else None
            base = old[col] if old and col in old else style
            if self.base_now[col] != base:
                self.base_now[col] = base
                self._encoded[col] = self._tails[col] = _NOTHING_KEPT

    def _style(self, base: int, value: object, col: int, n: int, existing: bool) -> int:
        wanted = self.formats.get(col) if n >= 2 else None
        style = self.styles.fit(base, value, wanted, existing and not self.replace)
        self._remember(col, n, style)
        return style
