"""Cells appended after a row's last cell: the first refresh's computed columns, written
without parsing the rows they go into.

The cell XML of a value is made once per column, style and value (``_encode``) and reused,
so a repeated value costs a dictionary look-up; a piece of rows of the plain shape a first
refresh meets gets its columns a whole column at a time (``_rows_in_bulk``). These are the
hot paths of a large refresh: ``SheetRewriter`` (``sheet``) inherits them.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import date, datetime
from itertools import chain, compress, repeat, zip_longest
from operator import add, getitem, is_, itemgetter

from authbook.workbook.xlsx.cells import _COLUMNS, _LETTERS, _SPANS_VALUE, has_custom_format
from authbook.workbook.xlsx.edits import _END, _END_ITEM, every_row_holds_a_value

#: The value types whose cell XML is kept for reuse (equal values give equal XML). Dates
#: come from the reader as datetimes: without them here, the memory of 20,000 auths had its
#: 40,000 dates (370 distinct) encoded one by one (0.35 s to write the sheet, now 0.16 s).
_CACHED_TYPES = frozenset({str, int, float, bool, date, datetime, type(None)})
#: How many cells' XML one column keeps for reuse (then it starts again).
ENCODED_CELLS = 1 << 16
_NOTHING_KEPT: dict = {}
#: Not found (``dict.get``'s default where None is a found value).
_UNKNOWN = object()


def _no_tails() -> dict:
    """A column's ``_tails`` before any cell is kept: a blank (None) has no cell, so a piece
    whose only values not kept are blanks needs no look at them (a column of Applied Auth #s
    has blanks in most pieces)."""
    return {None: None}


class AppendedCells:
    """The appending half of ``SheetRewriter``.

    It works on what the rewriter sets up: ``edits`` (``RowEdits``), ``cells``
    (``CellWriter``), ``styles``, ``formats``, ``base_now``, ``_encoded``, ``_tails``,
    ``_kind_styles``, ``_spans``, ``_mixed``, ``_bulk_row``, ``cell_open``, ``row_close``,
    and its ``_new_base``/``_remember``.
    """

    def _rows_in_bulk(self, data: bytes) -> bytes | None:
        """``_rows`` for a piece of a first refresh, a column at a time and without a loop per
        cell; None (nothing written, nothing taken from the edits) when the piece is not of
        the plain shape this needs, and ``_rows`` goes row by row.

        The plain shape: every row is ``<row r="n" ...>...</row>`` without a style of its own,
        the rows are the next rows of the ``CellColumns`` in order and have no edits before
        them pending, each row's last cell starts ``<c r="`` and lies left of the first
        column written (``_last_cells_left``), and every value's cell XML is known
        (``_encoded``) or made without a new style. Row
        ``spans`` are widened as ``_spanned`` widens them when every row writes the first
        and the last column.
        """
        edits, cells = self.edits, self.edits.sorted_cells
        tags = self._bulk_row.findall(data)
        m = len(tags)
        close = self.row_close
        if not m:
            return None
        pieces = data.split(close)
        if len(pieces) != m + 1:  # a row not r-first, or <row ./>: not plain
            return None
        attrs = b"".join([t[1] for t in tags])
        if b"/" in attrs or has_custom_format(attrs):
            return None
        numbers = [t[0] for t in tags]
        rows = cells.rows
        i = bisect_left(rows, int(numbers[0]))
        if i >= len(rows) or rows[i] < 2 or edits.key[0] < rows[i]:
            return None
        if numbers != list(map(b"%d".__mod__, rows[i : i + m])):
            return None
        if not self._last_cells_left(pieces[:m], cells.columns[0]):
            return None
        if self._mixed is None:  # per column: whether it holds more than one type of value
            kinds = cells.kinds or [frozenset(map(type, v)) for v in cells.by_column]
            self._mixed = [len(k - {type(None)}) > 1 for k in kinds]
        columns = []
        written = 0
        for col, values, mixed in zip(cells.columns, cells.by_column, self._mixed):
            values = values[i : i + m]
            gaps = values.count(None)
            written += m - gaps
            tails = self._known_tails(col, values, numbers, mixed)
            if tails is None:
                return None
            columns.append((col, tails, gaps))
        if b" spans=" in attrs:
            spanned = self._spans_in_bulk(data, attrs, columns)
            if spanned is None:
                return None
            if spanned is not data:
                pieces = spanned.split(close)
        # One list of every piece of the result, filled a column of it at a time by slice
        # assignment (in C): per row, its XML up to </row>, then head, row number and tail
        # of each cell appended, then </row>; the text after the last row ends it.
        step = 2 + 3 * len(columns)
        end = step * m
        flat = [close] * (end + 1)
        flat[0:end:step] = pieces[:m]
        self._lay_out(flat, columns, numbers, step)
        flat[end] = pieces[m]
        if written:  # the edits go on after this piece's rows
            edits.items = cells.items_from(i + m)
            edits.key, edits.value = next(edits.items, _END_ITEM)
            edits.advance()
        return b"".join(flat)

    def _last_cells_left(self, rows: list[bytes], first: int) -> bool:
        """Whether the last cell of each of ``rows`` (their XML) starts ``<c r="`` and lies
        left of column ``first``: then every cell of the row does (a row's cells come in
        column order, as ``_rows`` takes them too). Looked for from each row's end, the
        loops in C: a pattern looking at every cell took ~0.25 s of a 500,000-row sheet."""
        c_ref, c_open = self.cells.c_ref, self.cell_open
        refs = list(map(bytes.rfind, rows, repeat(c_ref)))
        if refs != list(map(bytes.rfind, rows, repeat(c_open))):
            return False  # a last cell without its reference (or an element named <c...)
        if -1 in refs:  # rows without a cell: the others only
            rows = [row for row, at in zip(rows, refs) if at >= 0]
            refs = [at for at in refs if at >= 0]
        # the 4 bytes after each <c r=": letters, then digits (and a quote): A12", AB12, ABC1
        starts = list(map(add, refs, repeat(len(c_ref))))
        ends = set(map(getitem, rows, map(slice, starts, map(add, starts, repeat(4)))))
        letters = {end.split(b'"', 1)[0].rstrip(b"0123456789") for end in ends}
        return all(_COLUMNS.get(name, _END) < first for name in letters)

    def _replaced_rows_in_bulk(self, n: int, count: int) -> bytes | None:
        """Rows ``n`` (at least 2) to ``n + count - 1`` of a replaced sheet
        (``SheetWrite.rows``, no cell set on top of them), made a column at a time as
        ``_remaining_rows`` makes them a cell at a time: the cell XML of each column's
        values from ``_known_tails``, put in place by slice assignment. None (nothing taken
        from the edits) when a row is empty (it has no ``<row>``) or a value needs a new
        style; then the rows go one by one."""
        rows = self.edits.write.rows[n - 1 : n - 1 + count]
        if not every_row_holds_a_value(rows):  # an empty row is left out of the sheet
            return None
        numbers = list(map(b"%d".__mod__, range(n, n + count)))
        columns = []
        for col, values in enumerate(zip_longest(*rows), start=1):
            gaps = values.count(None)
            if gaps == count:
                continue
            values = list(values)
            mixed = len(set(map(type, values)) - {type(None)}) > 1
            tails = self._known_tails(col, values, numbers, mixed)
            if tails is None:
                return None
            columns.append((col, tails, gaps or None in tails))
        # per row: <row r="n">, head, number and tail of each cell, </row>
        step = 2 + 3 * len(columns)
        end = step * count
        flat = [self.row_close] * end
        flat[0:end:step] = [self.row_at % r + b">" for r in range(n, n + count)]
        self._lay_out(flat, columns, numbers, step)
        return b"".join(flat)

    def _lay_out(self, flat: list, columns: list, numbers: list[bytes], step: int) -> None:
        """Put the cells of ``columns`` (``(column, tails, gaps)``: a tail per row, None for
        no cell, ``gaps`` true when there are some) into ``flat``, ``step`` items a row:
        the head, row number (``numbers``) and tail of the j-th column's cell at 1 + 3j,
        2 + 3j and 3 + 3j of each row's items (b"" for the three where there is no cell)."""
        c_ref, rows = self.cells.c_ref, len(numbers)
        end = step * rows
        for j, (col, tails, gaps) in enumerate(columns):
            head, at = c_ref + _LETTERS[col], 1 + 3 * j
            if gaps:
                flat[at:end:step] = [b"" if t is None else head for t in tails]
                flat[at + 1 : end : step] = [
                    b"" if t is None else number for number, t in zip(numbers, tails)
                ]
                flat[at + 2 : end : step] = [b"" if t is None else t for t in tails]
            else:
                flat[at:end:step] = [head] * rows
                flat[at + 1 : end : step] = numbers
                flat[at + 2 : end : step] = tails

    def _known_tails(self, col: int, values: list, numbers: list[bytes], mixed: bool):
        """The cell XML after the row number (``CellWriter``'s tails) of ``values`` appended
        in column ``col``, None for a None value: from ``_encoded``, or made by ``_encode``
        where that needs no new style. None when a value needs one, or (in a ``mixed``
        column) a value's type is not the one its cell XML was kept for: 1, 1.0 and TRUE are
        one key to a dict."""
        if not mixed:
            return self._known_tails_of_one_type(col, values, numbers)
        encoded = self._encoded[col]
        known = list(map(encoded.get, values))
        if None in known:
            base, kind_styles = self.base_now[col], self._kind_styles
            for k in [k for k, cell in enumerate(known) if cell is None]:
                value = values[k]
                if value is None:
                    continue
                made = self._encoded[col].get(value)  # made for an earlier row of this piece
                if made is not None and made[0] is value.__class__:
                    known[k] = made
                    continue
                kind_style = kind_styles.get((col, type(value)))
                if kind_style is None or kind_style[0] != base:
                    return None
                known[k] = self._encode(col, value, int(numbers[k]))
        kinds = set(map(type, values)) - {type(None)}
        if len(kinds) > 1 or set(map(itemgetter(0), filter(None, known))) - kinds:
            return None
        if None in known:  # the None values
            return [None if k is None else k[2] for k in known]
        return list(map(itemgetter(2), known))

    def _known_tails_of_one_type(self, col: int, values: list, numbers: list[bytes]):
        """``_known_tails`` for a column whose values are all of one type (or None): their
        tails are looked up as they are (no value of another type can be equal to one)."""
        tails = self._tails[col]
        found = list(map(tails.get, values, repeat(_UNKNOWN)))
        if _UNKNOWN not in found:
            return found
        # each value is looked up in the kept tails once: a column of IDs keeps tens of
        # thousands, and a look-up among them costs far more than one among this piece's
        new = set(compress(values, map(is_, found, repeat(_UNKNOWN))))
        blank = None in new
        new.discard(None)
        if not new:  # only blanks were not known: they have no cell
            return [None if tail is _UNKNOWN else tail for tail in found]
        kind = type(next(iter(new)))
        kind_style = self._kind_styles.get((col, kind))
        if kind_style is None or kind_style[0] != self.base_now[col]:
            return None
        if kind in _CACHED_TYPES:
            made = self._new_tails(col, kind, kind_style[1], new)
        else:  # (not kept for reuse: made one at a time, as _encode makes them)
            at = {v: k for k, v in reversed(list(enumerate(values)))}
            made = {v: self._encode(col, v, int(numbers[at[v]]))[2] for v in new}
        if blank:  # a blank not known has no cell
            made = {**made, None: None}
        # a known value is not among the new ones: it keeps the tail found
        return list(map(made.get, values, found))

    def _new_tails(self, col: int, kind: type, style: int, values: set) -> dict:
        """value -> tail of new ``values`` of one type ``kind`` appended in column ``col``,
        whose cells take ``style`` (the column's base stays): what ``_encode`` makes of each,
        made in one loop and kept as it keeps them."""
        cells = self.cells
        if kind is str:
            plain = cells.plain_text_tail
            made = {
                v: plain(style, v)
                if v.isascii() and v.isprintable() and v[:1] != " " != v[-1:]
                else cells.tail(style, v)
                for v in values
            }
        else:
            made = {v: cells.tail(style, v) for v in values}
        kept, tails = self._room_kept(col, len(made))
        head = cells.c_ref + _LETTERS[col]
        kept.update({v: (kind, head, tail) for v, tail in made.items()})
        tails.update(made)
        return made

    def _room_kept(self, col: int, coming: int) -> tuple[dict, dict]:
        """Column ``col``'s ``_encoded`` and ``_tails``, ready for ``coming`` more cells:
        made when it has none yet, emptied first when they would pass ``ENCODED_CELLS``."""
        kept, tails = self._encoded[col], self._tails[col]
        if kept is _NOTHING_KEPT:
            kept, tails = self._encoded[col], self._tails[col] = {}, _no_tails()
        elif len(kept) + coming > ENCODED_CELLS:
            kept.clear()
            tails.clear()
            tails.update(_no_tails())
        return kept, tails

    def _spans_in_bulk(self, data: bytes, attrs: bytes, columns) -> bytes | None:
        """``data`` with each row's ``spans`` widened to its appended cells, when every row
        writes a cell into the first and the last column written (so the new spans is a
        function of the old); None otherwise."""
        (first_col, _, first_gaps), (last_col, _, last_gaps) = columns[0], columns[-1]
        if first_gaps or last_gaps:
            return None
        c_ref = self.cells.c_ref
        first, last = c_ref + _LETTERS[first_col], c_ref + _LETTERS[last_col]
        for old in set(re.findall(rb' spans="([^"]*)"', attrs)):
            new = self._widened_spans(old, first, last)
            if new is not None and new != old:
                data = data.replace(b' spans="%s"' % old, b' spans="%s"' % new)
        return data

    def _widened_spans(self, old: bytes, first: bytes, last: bytes) -> bytes | None:
        """A row's ``spans`` value ``old`` widened to cells appended from the one opened by
        ``first`` to the one opened by ``last`` (``<c r="LETTERS``); None when ``old`` is
        not ``lo:hi``."""
        key = (old, first, last)
        new = self._spans.get(key)
        if new is None:
            found = _SPANS_VALUE.fullmatch(old)
            if found is None:
                return None
            skip = len(self.cells.c_ref)
            lo = min(int(found.group(1)), _COLUMNS[first[skip:]])
            hi = max(int(found.group(2)), _COLUMNS[last[skip:]])
            new = self._spans[key] = b"%d:%d" % (lo, hi)
        return new

    def _spanned(self, tag: bytes, spans: int, out: list[bytes], at: int) -> bytes:
        """A row tag whose ``spans`` (its `` spans="`` at ``spans``) covers the cells appended
        to ``out`` from ``at`` on: head, row number, tail each; a tail ending ``/>`` is a cell
        without a value, which does not count."""
        if len(out) == at:
            return tag
        start = spans + 8
        end = tag.find(b'"', start)
        old = tag[start:end]
        if out[at + 2].endswith(b"/>") or out[-1].endswith(b"/>"):
            heads = [out[k] for k in range(at, len(out), 3) if not out[k + 2].endswith(b"/>")]
            if not heads:
                return tag
            first, last = heads[0], heads[-1]
        else:
            first, last = out[at], out[-3]
        new = self._widened_spans(old, first, last)
        return tag if new is None else tag[:start] + new + tag[end:]

    def _append_cells(self, n: int, out: list[bytes]) -> None:
        """Put row ``n``'s cells (below the header, all after the row's own) onto ``out``."""
        edits = self.edits
        encoded = self._encoded
        append = out.append
        number = b"%d" % n
        for (r, col), value in chain(((edits.key, edits.value),), edits.items):
            if r != n:
                break
            known = encoded[col].get(value)
            if known is None or known[0] is not value.__class__:
                known = self._encode(col, value, n)
            if known[1] is not None:
                append(known[1])
                append(number)
                append(known[2])
        else:
            r = _END
        if r == _END:
            edits.key, edits.value = _END_ITEM
        else:
            edits.key, edits.value = (r, col), value
        edits.advance()

    def _encode(self, col: int, value: object, n: int) -> tuple[type, bytes | None, bytes]:
        """A cell appended at row ``n`` >= 2 (in a row without a style of its own): its value
        type, the start of its XML up to the row number (None: no cell) and the rest; kept
        for the next cell of the column with that value while the column's base style stays."""
        kind = type(value)
        base = self.base_now[col]
        known_style = self._kind_styles.get((col, kind))
        if known_style is not None and known_style[0] == base:
            style, stays = known_style[1], True
        else:
            base = self._new_base(col, n, 0)
            style = self.styles.fit(base, value, self.formats.get(col), False)
            self._remember(col, n, style)
            stays = self.base_now[col] == base
            if stays:
                self._kind_styles[(col, kind)] = (base, style)
        if (
            kind is str
            and value.isascii()
            and value.isprintable()
            and value[:1] != " " != value[-1:]
        ):
            tail = self.cells.plain_text_tail(style, value)
        else:
            tail = self.cells.tail(style, value)
        if tail is None:
            known = (kind, None, b"")
        else:
            known = (kind, self.cells.c_ref + _LETTERS[col], tail)
        if stays and tail is not None and kind in _CACHED_TYPES:
            kept, tails = self._room_kept(col, 1)
            kept[value] = known
            tails[value] = tail
        return known
