"""Write cells into an .xlsx/.xlsm by rewriting only what changes in its package.

``write_sheets(src, dst, writes)`` copies the package of ``src`` to ``dst`` entry by entry,
raw (the compressed bytes themselves), except:

- the worksheets being written: only the ``<c>`` elements being set are rewritten (each keeps
  its ``s`` style), new cells and rows are inserted in order, ``<dimension>`` is widened to
  cover them; ``SheetWrite.rows`` replaces a sheet's ``sheetData`` entirely;
- the Tables re-fitted by ``SheetWrite.last_row`` (their ``ref`` and AutoFilter ``ref``, and
  their columns when the header changed);
- ``styles.xml``, only when a written cell needs a number format no existing cell style has.

Text is written as inline strings (``t="inlineStr"``): the shared strings part stays as it is,
and text starting with ``=`` is text, never a formula. Worksheets are streamed (rows and cells
are in order in files Excel, LibreOffice and openpyxl write); no DOM is built. The output is
deterministic: the same input gives byte-identical entries, timestamps and order.

Cost: rows without edits are copied a whole piece of the part at a time; a row whose edits
all go after its last cell (a refresh filling its computed columns) gets them appended
without its cells being parsed, from cell XML made once per column, style and value. A large
part is inflated ahead and deflated (``authbook.workbook.deflate``: ISA-L) in worker threads, so
neither the part nor a second copy of it is ever held in memory: only its deflated stream,
in a temporary file.

A sheet the package lacks (a generated sheet added by a newer AuthBook) is added: a worksheet
part, its entry in workbook.xml, the workbook's relationships and [Content_Types].xml, and,
when its write re-fits a Table (``last_row``), a Table over its header named like the sheet.
Nothing else of the package changes.

A value written over a formula cell drops the cell's entry from the calculation chain
(``xl/calcChain.xml``, which Excel writes for every workbook with formulas and reports as
damaged when it names a cell without one); a chain left empty is removed with its
relationship and content type. A value written over the first cell of a shared formula (one
Excel filled down) gives the group's other cells the formula in full, moved to their places.

What cannot be done this way (a sheet whose rows lack their numbers, a package whose workbook
part is not laid out as Excel writes it) raises ``NeedsFullRewrite``; the caller then falls
back to the openpyxl adapter, or refuses when that would lose the user's parts.
"""

from __future__ import annotations

import html
import io
import math
import os
import pickle
import posixpath
import queue
import re
import signal
import sys
import tempfile
import threading
import zipfile
from bisect import bisect_left
from contextlib import suppress
from datetime import date, datetime
from itertools import chain, product, repeat
from operator import itemgetter
from pathlib import Path
from string import ascii_uppercase
from typing import IO
from xml.etree import ElementTree

from openpyxl.formula.tokenizer import TokenizerError
from openpyxl.formula.translate import Translator, TranslatorError
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_REVERSE, is_date_format
from openpyxl.utils import get_column_letter, range_boundaries

from authbook.workbook import deflate, schema, scratch
from authbook.workbook.fastread import (
    MAIN_NS,
    REL_NS,
    SheetPart,
    TablePart,
    _relationships,
    column_number,
    iter_row_chunks,
    namespace_prefix,
    read_package,
)
from authbook.workbook.formatted_ranges import (
    TableEnd,
    table_end,
    with_chart_series_moved,
    with_ranges_moved,
)
from authbook.workbook.sheetdata import (
    CellColumns,
    Formula,
    SheetWrite,
    SheetWriteLater,
    ascending,
    refitted_data_end,
)

DEFAULT_DATE_FORMAT = "mm/dd/yyyy"
#: zlib level of the small parts zipfile deflates (new sheets, Tables, workbook.xml): 2
#: deflates about 4x faster than 6 for about 20% more bytes. Large parts: ``deflate.LEVEL``.
COMPRESS_LEVEL = 2
SPOOL_BYTES = 1 << 20
#: A part rewritten is deflated in a thread of its own once it is this large.
THREAD_AFTER = 4 << 20
#: How many pieces of a part wait for that thread at most (a piece is about 1 MB): memory
#: the worker threads hold stays with the process, so little is kept in flight.
QUEUED = 4
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
_LEAP_BUG_END = datetime(1900, 3, 1)
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class NeedsFullRewrite(Exception):
    """This write cannot be done surgically; write the workbook with the openpyxl adapter."""


# --- cell values -------------------------------------------------------------------------


def excel_serial(value: date, date1904: bool = False) -> int | float:
    """The Excel serial number of a date or datetime (whole days for a date)."""
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    moment = moment.replace(tzinfo=None)
    delta = moment - (_EPOCH_1904 if date1904 else _EPOCH_1900)
    days = delta.days + (delta.seconds * 1_000_000 + delta.microseconds) / 86_400_000_000
    if not date1904 and moment < _LEAP_BUG_END:
        days -= 1  # Excel counts 29 Feb 1900, which never was
    return int(days) if float(days).is_integer() else days


def _text(value: str) -> bytes:
    if not (value.isascii() and value.isprintable()):
        value = _ILLEGAL_XML.sub("", value)
    escaped = (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )
    return escaped.encode("utf-8")


def _number(value: int | float) -> bytes:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be stored in a cell")
        if value.is_integer() and abs(value) < 2**53:
            return b"%d" % int(value)
        return repr(value).encode()
    return b"%d" % value


def _is_date(value: object) -> bool:
    return isinstance(value, date)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _prefixed(template: bytes, prefix: bytes) -> bytes:
    """An XML template with every element name given the namespace prefix."""
    if not prefix:
        return template
    return (
        template.replace(b"</", b"\0").replace(b"<", b"<" + prefix).replace(b"\0", b"</" + prefix)
    )


class CellWriter:
    """Makes ``<c>`` elements for one worksheet (its namespace prefix, its date system).

    A cell is ``c_ref + ref + tail``: ``c_ref`` opens the element up to its reference
    (``<c r="``), ``tail`` (from ``tail``) is the rest, the same for every cell of one column
    holding one value, so callers can keep tails and put only the reference in per cell.
    """

    def __init__(self, prefix: bytes, date1904: bool):
        p = prefix
        self.p = p
        self.c = b"<" + p + b"c"
        self.c_ref = self.c + b' r="'
        self.text_tail = _prefixed(b'"%s t="inlineStr"><is><t%s>%s</t></is></c>', p)
        self.value_tail = _prefixed(b'"%s%s><v>%s</v></c>', p)
        self.date1904 = date1904
        self._text_tails: dict[int, bytes] = {}

    def cell(self, ref: bytes, style: int, value: object) -> bytes:
        tail = self.tail(style, value)
        return b"" if tail is None else self.c_ref + ref + tail

    def plain_text_tail(self, style: int, value: str) -> bytes:
        """``tail`` of printable ASCII text that neither starts nor ends with a space."""
        templates = self._text_tails
        template = templates.get(style)
        if template is None:
            s = b' s="%d"' % style if style else b""
            template = templates[style] = self.text_tail.replace(b"%s", s, 1).replace(b"%s", b"", 1)
        text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return template % text.encode()

    def tail(self, style: int, value: object) -> bytes | None:
        """The cell after its reference, from the closing quote on; None: no cell at all
        (nothing to write into a cell without a style)."""
        s = b' s="%d"' % style if style else b""
        kind = type(value)
        if kind is str:
            space = b' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else b""
            return self.text_tail % (s, space, _text(value))
        if kind is int or kind is float:
            return self.value_tail % (s, b"", _number(value))
        if value is None:
            return b'"%s/>' % s if style else None
        if kind is bool:
            return self.value_tail % (s, b' t="b"', b"1" if value else b"0")
        if isinstance(value, str):
            return self.tail(style, str(value))
        if _is_number(value):
            return self.value_tail % (s, b"", _number(value))
        if isinstance(value, date):
            return self.value_tail % (s, b"", _number(excel_serial(value, self.date1904)))
        if kind is Formula:  # a Table's calculated column: no result, calculated on opening
            return b'"%s><%sf>%s</%sf></%sc>' % (s, self.p, _text(value.text), self.p, self.p)
        raise TypeError(f"cannot write a {type(value).__name__} into a cell: {value!r}")


# --- styles ------------------------------------------------------------------------------


class Styles:
    """The cell formats (``cellXfs``) of styles.xml, extended only when a format is missing."""

    def __init__(self, data: bytes | None, part: str | None):
        self.part, self.data = part, data
        self.changed = False
        self.new_formats: list[tuple[int, str]] = []
        self.new_xfs: list[bytes] = []
        self._derived: dict[tuple[int, str], int] = {}
        self._fitted: dict[tuple, int] = {}
        if data is None:
            self.prefix, self.codes, self.xfs = b"", {}, [b"<xf/>"]
            return
        m = re.search(rb"<(\w+:)?styleSheet\b", data)
        self.prefix = p = (m.group(1) or b"") if m else b""
        self.codes = {
            int(i): html.unescape(code.decode("utf-8"))
            for i, code in re.findall(
                rb"<" + p + rb'numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"', data
            )
        }
        block = re.search(rb"<" + p + rb"cellXfs\b[^>]*>(.*?)</" + p + rb"cellXfs>", data, re.S)
        self.xfs = (
            re.findall(rb"<" + p + rb"xf\b[^>]*?(?:/>|>.*?</" + p + rb"xf>)", block.group(1), re.S)
            if block
            else []
        )

    def code_of(self, index: int) -> str:
        if index >= len(self.xfs):
            return "General"
        m = re.search(rb'numFmtId="(\d+)"', self.xfs[index].split(b">", 1)[0])
        fmt_id = int(m.group(1)) if m else 0
        if fmt_id in self.codes:
            return self.codes[fmt_id]
        if 27 <= fmt_id <= 36 or 50 <= fmt_id <= 58:  # locale date formats (East Asian)
            return "yyyy-mm-dd"
        return BUILTIN_FORMATS.get(fmt_id, "General")

    def fit(self, base: int, value: object, wanted: str | None, existing: bool) -> int:
        kind = type(value)
        key = (base, kind, wanted, existing)
        style = self._fitted.get(key)
        if style is None:
            style = self._fitted[key] = self._fit(base, value, wanted, existing)
        return style

    def _fit(self, base: int, value: object, wanted: str | None, existing: bool) -> int:
        """The style a cell gets for ``value``: ``base`` unless the value needs another format.

        An existing cell keeps its style unless it would read back as another type (a date in
        a number-formatted cell, a number in a date-formatted one); a new cell takes ``wanted``.
        """
        if not (_is_date(value) or _is_number(value)):
            return base
        code = self.code_of(base)
        target = None
        if _is_date(value):
            if not existing and wanted and is_date_format(wanted):
                target = wanted
            elif not is_date_format(code):
                target = wanted if wanted and is_date_format(wanted) else DEFAULT_DATE_FORMAT
        else:
            if not existing and wanted and not is_date_format(wanted):
                target = wanted
            elif is_date_format(code):
                target = wanted if wanted and not is_date_format(wanted) else "General"
        if target is None or target == code:
            return base
        return self.derive(base, target)

    def derive(self, base: int, code: str) -> int:
        key = (base, code)
        if key in self._derived:
            return self._derived[key]
        if self.data is None:
            raise NeedsFullRewrite("the workbook has no styles part")
        fmt_id = self._format_id(code)
        xf = self.xfs[base] if base < len(self.xfs) else self.xfs[0]
        tag, rest = (xf.split(b">", 1) + [b""])[:2]
        closing = tag.endswith(b"/")
        tag = tag[:-1] if closing else tag
        tag = _set_attr(tag, b"numFmtId", b"%d" % fmt_id)
        tag = _set_attr(tag, b"applyNumberFormat", b"1")
        new = tag + (b"/>" if closing else b">" + rest)
        index = _same_format(self.xfs, new)
        if index is None:
            index = len(self.xfs)
            self.xfs.append(new)
            self.new_xfs.append(new)
            self.changed = True
        self._derived[key] = index
        return index

    def _format_id(self, code: str) -> int:
        if code in BUILTIN_FORMATS_REVERSE:
            return BUILTIN_FORMATS_REVERSE[code]
        for fmt_id, known in self.codes.items():
            if known == code:
                return fmt_id
        fmt_id = max([163, *self.codes]) + 1
        self.codes[fmt_id] = code
        self.new_formats.append((fmt_id, code))
        self.changed = True
        return fmt_id

    def to_bytes(self) -> bytes:
        data, p = self.data, self.prefix
        if self.new_formats:
            items = b"".join(
                b"<"
                + p
                + b'numFmt numFmtId="%d" formatCode="%s"/>'
                % (i, html.escape(code, quote=True).encode("utf-8"))
                for i, code in self.new_formats
            )
            block = re.search(rb"<" + p + rb"numFmts\b[^>]*?(/?)>", data)
            if block and block.group(1):  # <numFmts/>
                data = (
                    data[: block.start()]
                    + b"<" + p + b'numFmts count="%d">' % len(self.new_formats)
                    + items + b"</" + p + b"numFmts>" + data[block.end():]
                )  # fmt: skip
            elif block:
                close = data.index(b"</" + p + b"numFmts>", block.end())
                count = len(re.findall(rb"<" + p + rb"numFmt\b", data[block.end() : close]))
                total = b"%d" % (count + len(self.new_formats))
                opening = _set_attr(block.group(0)[:-1], b"count", total)
                data = (
                    data[: block.start()]
                    + opening
                    + b">"
                    + data[block.end() : close]
                    + items
                    + data[close:]
                )
            else:
                root = re.search(rb"<" + p + rb"styleSheet\b[^>]*>", data)
                data = (
                    data[: root.end()] + b"<" + p + b'numFmts count="%d">' % len(self.new_formats)
                    + items + b"</" + p + b"numFmts>" + data[root.end():]
                )  # fmt: skip
        if self.new_xfs:
            block = re.search(rb"<" + p + rb"cellXfs\b[^>]*>", data)
            if block is None:
                raise NeedsFullRewrite("styles.xml has no cellXfs")
            close = data.index(b"</" + p + b"cellXfs>", block.end())
            opening = _set_attr(block.group(0)[:-1], b"count", b"%d" % len(self.xfs))
            data = (
                data[: block.start()] + opening + b">" + data[block.end() : close]
                + b"".join(self.new_xfs) + data[close:]
            )  # fmt: skip
        return data


_XF_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')


def _format_key(xf: bytes) -> tuple | None:
    """What a cell format (``<xf ...>``) does to a cell: its attributes and content. Its
    ``applyNumberFormat`` is left out when it is on or missing (openpyxl, for one, leaves it
    out; Excel and LibreOffice apply the number format all the same); None when it is off."""
    tag, _, rest = xf.partition(b">")
    closing = tag.endswith(b"/")
    attrs = dict(_XF_ATTR.findall(tag[:-1] if closing else tag))
    if attrs.pop(b"applyNumberFormat", b"1") not in (b"1", b"true"):
        return None
    content = b"" if closing else rest.rsplit(b"</", 1)[0].strip()
    return frozenset(attrs.items()), content


def _same_format(xfs: list[bytes], new: bytes) -> int | None:
    """The index of the first of ``xfs`` that formats a cell as ``new`` does, or None."""
    if new in xfs:
        return xfs.index(new)
    wanted = _format_key(new)
    if wanted is None:
        return None
    for index, xf in enumerate(xfs):
        if _format_key(xf) == wanted:
            return index
    return None


def _set_attr(tag: bytes, name: bytes, value: bytes) -> bytes:
    """Set ``name="value"`` in an opening tag given without its closing ``>``."""
    pattern = re.compile(rb"(\s" + name + rb'=")[^"]*(")')
    if pattern.search(tag):
        return pattern.sub(lambda m: m.group(1) + value + m.group(2), tag, count=1)
    return tag + b" " + name + b'="' + value + b'"'


# --- shared strings (only to read a header row) ----------------------------------------


class SharedStrings:
    """Shared strings read lazily (only a header row needs them), phonetic runs left out."""

    def __init__(self, zin: zipfile.ZipFile, part: str | None):
        self.zin, self.part, self.items = zin, part, None

    def get(self, index: int) -> str:
        if self.items is None:
            self.items = []
            if self.part:
                with self.zin.open(self.part) as f:
                    for _, el in ElementTree.iterparse(f):
                        if el.tag == _NS + "si":
                            self.items.append(_si_text(el))
                            el.clear()
        return self.items[index] if 0 <= index < len(self.items) else ""


def _si_text(si) -> str:
    texts = []
    for child in si:
        if child.tag == _NS + "t":
            texts.append(child.text or "")
        elif child.tag == _NS + "r":
            texts.extend(t.text or "" for t in child.iter(_NS + "t"))
    return "".join(texts)


# --- worksheets --------------------------------------------------------------------------

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR_R = re.compile(rb'\br="([A-Z]+)(\d+)"')
_ATTR_S = re.compile(rb'\bs="(\d+)"')
_ATTR_T = re.compile(rb'\bt="(\w+)"')
_ROW_R = re.compile(rb'\br="(\d+)"')


#: Column number -> its letters, as bytes (``_LETTERS[1] == b"A"``), for every column a
#: sheet can have (XFD is 16,384): the one-, two- and three-letter names in order.
_LETTERS = [b""] + [
    "".join(name).encode() for size in (1, 2, 3) for name in product(ascii_uppercase, repeat=size)
][:16384]


_COLUMNS = {letters: col for col, letters in enumerate(_LETTERS) if col}
_SPANS = re.compile(rb'\bspans="(\d+):(\d+)"')
_SPANS_VALUE = re.compile(rb"(\d+):(\d+)")
_CUSTOM_FORMAT = re.compile(rb'\bcustomFormat="(?:1|true)"')
#: Off only to check that the shortcuts for appended cells write what the general path does.
APPEND_FAST = True
#: Off only to check that pieces appended a column at a time are written as row by row.
APPEND_IN_BULK = True
#: The value types whose cell XML is kept for reuse (equal values give equal XML).
_CACHED_TYPES = frozenset({str, int, float, bool, date, type(None)})
#: How many cells' XML one column keeps for reuse (then it starts again).
ENCODED_CELLS = 1 << 16
_NOTHING_KEPT: dict = {}
#: Not found (``dict.get``'s default where None is a found value).
_UNKNOWN = object()


def _letters_from(col: int) -> bytes:
    """A regular expression (bytes) for the letters of every column from ``col`` on: put
    a digit after it to match only whole column letters of a cell reference."""
    letters = _LETTERS[col]
    choices = [letters]
    for k in range(len(letters)):
        if letters[k] < ord("Z"):
            later = b"[%c-Z]" % (letters[k] + 1)
            choices.append(letters[:k] + later + b"[A-Z]" * (len(letters) - k - 1))
    if len(letters) < 3:
        choices.append(b"[A-Z]{%d,3}" % (len(letters) + 1))
    return b"(?:" + b"|".join(choices) + b")"


def _cell_text(attrs: bytes, inner: bytes | None, strings: SharedStrings) -> str:
    """The text a header cell shows (shared, inline or plain)."""
    if not inner:
        return ""
    t = _ATTR_T.search(attrs)
    kind = t.group(1) if t else b"n"
    if kind == b"inlineStr":
        parts = re.findall(rb"<(?:\w+:)?t\b[^>]*>([^<]*)</(?:\w+:)?t>", inner)
        return html.unescape(b"".join(parts).decode("utf-8"))
    v = re.search(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>", inner)
    if v is None:
        return ""
    text = html.unescape(v.group(1).decode("utf-8"))
    if kind == b"s":
        return strings.get(int(text))
    if kind == b"n":
        number = float(text)
        return str(int(number)) if number.is_integer() else str(number)
    return text


#: Past every row: the key the edits end with.
_END = 1 << 62
_END_ITEM = ((_END, 0), None)


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
        for r, values in enumerate(self.write.rows or (), start=1):
            last = len(values) - 1
            if values.count(None) == last + 1:
                continue
            first = 0
            while values[first] is None:
                first += 1
            while values[last] is None:
                last -= 1
            lo_c, hi_c = min(lo_c, first + 1), max(hi_c, last + 1)
            lo_r, hi_r = min(lo_r, r), max(hi_r, r)
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


class SheetRewriter:
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
        #: Per column, ``value -> tail`` of the same cells (what ``_encoded`` keeps, third).
        self._tails: list[dict] = [_NOTHING_KEPT] * 16385
        #: Per column and value type, ``(base, style)`` while the style stays the base's.
        self._kind_styles: dict[tuple[int, type], tuple[int, int]] = {}
        #: ``(spans, first head, last head) -> spans`` of rows with cells appended.
        self._spans: dict[tuple[bytes, bytes, bytes], bytes] = {}
        self.header: dict[int, str] = {}
        #: Shared formulas whose first cell a value was written over: ``si -> (formula,
        #: the first cell's reference)``; the other cells of each are written out in full.
        self._orphans: dict[bytes, tuple[str, str]] = {}
        self._dependent = re.compile(
            rb"(<" + p + rb'c\b[^>]*?\br="([A-Z]+\d+)"[^>]*>)<' + p
            + rb"f\b([^>]*?)(?:/>|></" + p + rb"f>)"
        )  # fmt: skip
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
            # a cell not starting <c r=", or one in (or right of) the first column written
            self._bulk_stop = re.compile(
                rb"<" + p + rb'c(?:(?! r=")[\s>/]| r="' + _letters_from(cells.columns[0]) + rb"\d)"
            )

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
        elif self.zin.getinfo(self.sheet.part).file_size >= THREAD_AFTER:
            opened = ReadAhead(deflate.open_part(self.zin, self.sheet.part))
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
                    if first and self.write.last_row is not None and self.edits.row != 1:
                        self._read_header(data)  # for the Table re-fit, as the row stays
                    first = False
                    out.write(
                        self._old_styles(data)
                        if self.replace
                        else self._with_formulas(self._rows(data))
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
        right here, cell by cell from ``_encoded``: the one loop that runs for every cell
        of a first refresh, kept free of calls.
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
        encoded, encode, items = self._encoded, self._encode, edits.items
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
                    if tag is None or not (b"customFormat" in tag and _CUSTOM_FORMAT.search(tag)):
                        if spans is None:
                            append(data[pos:close])
                        else:
                            tag_at = len(out)
                            append(b"")
                            append(data[tag_end:close])
                        cells_at = len(out)
                        col, value = edits.key[1], edits.value
                        while True:
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
                            (r, col), value = next(items, _END_ITEM)
                            if r != n:
                                break
                        edits.key, edits.value = (r, col), value
                        if spans is not None:
                            out[tag_at] = data[pos:i] + self._spanned(tag, spans, out, cells_at)
                        edits.row = n = r
                        pos = close
                        continue
            append(data[pos:i])
            append(self._edit_row(data[i:end], n))
            pos = end
            n = edits.row
        append(data[pos:])
        return b"".join(out)

    def _rows_in_bulk(self, data: bytes) -> bytes | None:
        """``_rows`` for a piece of a first refresh, a column at a time and without a loop per
        cell; None (nothing written, nothing taken from the edits) when the piece is not of
        the plain shape this needs, and ``_rows`` goes row by row.

        The plain shape: every row is ``<row r="n" ...>...</row>`` without a style of its own,
        the rows are the next rows of the ``CellColumns`` in order and have no edits before
        them pending, every cell starts ``<c r="`` and lies left of the first column written,
        and every value's cell XML is known (``_encoded``) or made without a new style. Row
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
        if b"/" in attrs or b"customFormat" in attrs and _CUSTOM_FORMAT.search(attrs):
            return None
        numbers = [t[0] for t in tags]
        rows = cells.rows
        i = bisect_left(rows, int(numbers[0]))
        if i >= len(rows) or rows[i] < 2 or edits.key[0] < rows[i]:
            return None
        if numbers != list(map(b"%d".__mod__, rows[i : i + m])):
            return None
        if self._bulk_stop.search(data):
            return None
        if self._mixed is None:  # per column: whether it holds more than one type of value
            self._mixed = [len(set(map(type, v)) - {type(None)}) > 1 for v in cells.by_column]
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
        c_ref = self.cells.c_ref
        step = 2 + 3 * len(columns)
        end = step * m
        flat = [close] * (end + 1)
        flat[0:end:step] = pieces[:m]
        for j, (col, tails, gaps) in enumerate(columns):
            head, at = c_ref + _LETTERS[col], 1 + 3 * j
            if gaps:
                flat[at:end:step] = [b"" if t is None else head for t in tails]
                flat[at + 1 : end : step] = [
                    b"" if t is None else n for n, t in zip(numbers, tails)
                ]
                flat[at + 2 : end : step] = [b"" if t is None else t for t in tails]
            else:
                flat[at:end:step] = [head] * m
                flat[at + 1 : end : step] = numbers
                flat[at + 2 : end : step] = tails
        flat[end] = pieces[m]
        if written:  # the edits go on after this piece's rows
            edits.items = cells.items_from(i + m)
            edits.key, edits.value = next(edits.items, _END_ITEM)
            edits.advance()
        return b"".join(flat)

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
        base, kind_styles = self.base_now[col], self._kind_styles
        for k in [k for k, tail in enumerate(found) if tail is _UNKNOWN]:
            value = values[k]
            if value is None:
                found[k] = None
                continue
            made = self._tails[col].get(value, _UNKNOWN)  # made for an earlier row of this piece
            if made is not _UNKNOWN:
                found[k] = made
                continue
            kind_style = kind_styles.get((col, type(value)))
            if kind_style is None or kind_style[0] != base:
                return None
            found[k] = self._encode(col, value, int(numbers[k]))[2]
        return found

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
            kept, tails = self._encoded[col], self._tails[col]
            if kept is _NOTHING_KEPT:
                kept, tails = self._encoded[col], self._tails[col] = {}, {}
            elif len(kept) >= ENCODED_CELLS:
                kept.clear()
                tails.clear()
            kept[value] = known
            tails[value] = tail
        return known

    def _read_header(self, data: bytes) -> None:
        m = self.row_tag.search(data)
        if m is None or self._row_number(m.group(0)) != 1 or m.group(0).endswith(b"/>"):
            return
        end = data.find(self.row_close, m.end())
        for cell in _CELL.finditer(data, m.end(), end):
            ref = _ATTR_R.search(cell.group(1))
            if ref:
                text = _cell_text(cell.group(1), cell.group(2), self.strings)
                self.header[column_number(ref.group(1))] = text

    def _remaining_rows(self, out: IO[bytes]) -> None:
        """Write the rows still to come after the last row of the sheet, a batch at a time.

        The rows of a replaced sheet below its header are made right here, cell by cell
        from ``_encoded`` (as in ``_rows``).
        """
        edits = self.edits
        encoded, encode = self._encoded, self._encode
        row_open, row_close = self.row_at + b">", self.row_close
        while edits.row != _END:
            batch: list[bytes] = []
            append = batch.append
            for _ in range(1024):
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

    def _edit_row(self, row: bytes, n: int) -> bytes:
        tag_end = row.find(b">")
        self_closing = row[tag_end - 1 : tag_end] == b"/"
        tag = row[: tag_end - 1] if self_closing else row[:tag_end]
        body = b"" if self_closing else row[tag_end + 1 : -len(self.row_close)]
        row_style = 0
        if _CUSTOM_FORMAT.search(tag):
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
            for cell in _CELL.finditer(body):
                ref = _ATTR_R.search(cell.group(1))
                if ref:
                    text = _cell_text(cell.group(1), cell.group(2), self.strings)
                    self.header[column_number(ref.group(1))] = text
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
                    self._check_formula(inner, ref)
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

    def _check_formula(self, inner: bytes, ref: bytes) -> None:
        """A value is about to be written over the formula in ``inner`` (cell ``ref``).
        When the formula is the first cell of a shared one (a formula Excel filled down or
        across), the other cells of the group lose their source: they are given the
        formula in full, moved to their place (``_with_formulas``)."""
        p = self.p
        f = re.search(rb"<" + p + rb"f\b([^>]*?)(?:/>|>(.*?)</" + p + rb"f>)", inner, re.S)
        attrs = f.group(1) if f else b""
        if b't="shared"' in attrs and b"ref=" in attrs:
            si = re.search(rb'\bsi="(\d+)"', attrs)
            if si is None or not f.group(2):
                raise NeedsFullRewrite(
                    f"{self.sheet.name}!{ref.decode()} holds a shared formula without its text"
                )
            self._orphans[si.group(1)] = (html.unescape(f.group(2).decode()), ref.decode())

    def _with_formulas(self, data: bytes) -> bytes:
        """``data`` (rows written) with each cell of a shared formula whose first cell was
        written over given that formula in full, moved to its own place as Excel moves a
        formula filled down (relative references follow, absolute ones stay)."""
        if not self._orphans or b"si=" not in data:
            return data
        return self._dependent.sub(self._formula_in_full, data)

    def _formula_in_full(self, m: re.Match) -> bytes:
        attrs = m.group(3)
        si = re.search(rb'\bsi="(\d+)"', attrs)
        if b't="shared"' not in attrs or si is None or si.group(1) not in self._orphans:
            return m.group(0)
        text, origin = self._orphans[si.group(1)]
        try:
            moved = Translator("=" + text, origin=origin).translate_formula(m.group(2).decode())
        except (TokenizerError, TranslatorError) as exc:
            raise NeedsFullRewrite(
                f"{self.sheet.name}!{origin}: its formula, shared with other cells, could not"
                f" be moved to them ({exc})"
            ) from None
        kept = re.sub(rb'\s+(?:t|si|ref)="[^"]*"', b"", attrs)
        p = self.p
        body = html.escape(moved[1:], quote=False).encode()
        return m.group(1) + b"<" + p + b"f" + kept + b">" + body + b"</" + p + b"f>"

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

    def header_names(self, min_col: int) -> list[str]:
        names = []
        col = min_col
        while (self.header.get(col) or "").strip():
            names.append(self.header[col].strip())
            col += 1
        return names


def _header_from_rows(write: SheetWrite) -> dict[int, str]:
    values = list(write.rows[0]) if write.rows else []
    header = {c: "" if v is None else str(v) for c, v in enumerate(values, start=1)}
    for (r, c), v in write.cells.items():
        if r == 1:
            header[c] = "" if v is None else str(v)
    return header


# --- tables ------------------------------------------------------------------------------


def refit_table(xml: bytes, names: list[str] | None, last_row: int, values_only=None) -> bytes:
    """A Table part fitted to end at ``last_row`` and, given ``names``, to those columns.

    ``values_only(name)``: whether the writer puts values into the column ``name`` (say,
    ``schema.values_only`` for the sheet); such a column loses its calculated-column formula
    (Excel's ``calculatedColumnFormula``, which Excel would fill into new rows and flag
    every value against). Every other column is kept as it is."""
    root = re.search(rb"<(\w+:)?table\b[^>]*>", xml)
    if root is None:
        return xml
    p = root.group(1) or b""
    tag = root.group(0)
    ref = re.search(rb'\sref="([^"]*)"', tag)
    if ref is None:
        return xml
    min_col, min_row, max_col, max_row = range_boundaries(ref.group(1).decode())
    header_rows = re.search(rb'\bheaderRowCount="(\d+)"', tag)
    if header_rows and header_rows.group(1) == b"0":
        names = None
    totals = re.search(rb'\btotalsRowCount="(\d+)"', tag)
    totals_rows = int(totals.group(1)) if totals else 0
    if names:
        max_col = min_col + len(names) - 1
    # (a Total Row stays where it is: rows below it are outside the Table)
    data_end = refitted_data_end(min_row, max_row, totals_rows, last_row)
    first = f"{get_column_letter(min_col)}{min_row}"
    new_ref = f"{first}:{get_column_letter(max_col)}{data_end + totals_rows}".encode()
    filter_ref = f"{first}:{get_column_letter(max_col)}{data_end}".encode()
    new_tag = tag[: ref.start(1)] + new_ref + tag[ref.end(1) :]
    out = xml[: root.start()] + new_tag + xml[root.end() :]
    auto = re.search(rb"<" + p + rb'autoFilter\b[^>]*?\bref="([^"]*)"', out)
    if auto:
        out = out[: auto.start(1)] + filter_ref + out[auto.end(1) :]
    if names:
        out = _refit_columns(out, p, names)
    if values_only is not None and b"calculatedColumnFormula" in out:
        out = _without_calculated_formulas(out, p, values_only)
    return out


def _without_calculated_formulas(xml: bytes, p: bytes, values_only) -> bytes:
    """``xml`` (a Table part) with the calculated-column formula of each column whose name
    ``values_only`` answers True for taken out."""
    column = re.compile(
        rb"<" + p + rb"tableColumn\b([^>]*?)(?<!/)>(.*?)</" + p + rb"tableColumn>", re.S
    )
    formula = re.compile(
        rb"<" + p + rb"calculatedColumnFormula\b[^>]*?(?:/>|>.*?</" + p
        + rb"calculatedColumnFormula>)",
        re.S,
    )  # fmt: skip

    def plain(m: re.Match) -> bytes:
        name = re.search(rb'\bname="([^"]*)"', m.group(1))
        if name is None or not values_only(html.unescape(name.group(1).decode("utf-8"))):
            return m.group(0)
        inner = formula.sub(b"", m.group(2))
        if inner == m.group(2):
            return m.group(0)
        if not inner.strip():
            return b"<" + p + b"tableColumn" + m.group(1) + b"/>"
        return b"<" + p + b"tableColumn" + m.group(1) + b">" + inner + b"</" + p + b"tableColumn>"

    return column.sub(plain, xml)


def _refit_columns(xml: bytes, p: bytes, names: list[str]) -> bytes:
    block = re.search(
        rb"<" + p + rb"tableColumns\b[^>]*>(.*?)</" + p + rb"tableColumns>", xml, re.S
    )
    if block is None:
        return xml
    columns = re.findall(
        rb"<" + p + rb"tableColumn\b[^>]*?(?:/>|>.*?</" + p + rb"tableColumn>)",
        block.group(1),
        re.S,
    )
    by_name: dict[str, bytes] = {}
    ids = []
    for column in columns:
        name = re.search(rb'\bname="([^"]*)"', column)
        ident = re.search(rb'\bid="(\d+)"', column)
        if name:
            by_name.setdefault(html.unescape(name.group(1).decode("utf-8")), column)
        if ident:
            ids.append(int(ident.group(1)))
    current = [
        html.unescape(n.decode("utf-8"))
        for n in re.findall(rb"<" + p + rb'tableColumn\b[^>]*?\bname="([^"]*)"', block.group(1))
    ]
    if current == names:
        return xml
    next_id = max(ids, default=0) + 1
    items = []
    for name in names:
        if name in by_name:
            items.append(by_name.pop(name))
        else:
            escaped = html.escape(name, quote=True).encode("utf-8")
            items.append(b"<" + p + b'tableColumn id="%d" name="%s"/>' % (next_id, escaped))
            next_id += 1
    new_block = (
        b"<" + p + b'tableColumns count="%d">' % len(names) + b"".join(items)
        + b"</" + p + b"tableColumns>"
    )  # fmt: skip
    return xml[: block.start()] + new_block + xml[block.end() :]


# --- the package -------------------------------------------------------------------------


_CHAIN_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?/>")
_CHAIN_OPEN = re.compile(rb"<(?:\w+:)?c\b")
_CHAIN_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_CHAIN_SHEET = re.compile(rb'\bi="(\d+)"')


def _table_ends(sheet: SheetPart, write: SheetWrite) -> list[TableEnd]:
    """How the data rows of the sheet's Table (the one ``_refit`` re-fits) move by ``write``:
    none, or one ``TableEnd``."""
    tables = [t for t in sheet.tables[:1] if t.ref]
    ends = (table_end(t.ref, t.totals, write.last_row) for t in tables)
    return [end for end in ends if end is not None]


def _follow_with_charts(zin, package, writes: dict[str, SheetWrite], replaced: dict) -> None:
    """Have the charts over the data rows of a Table column that ``writes`` lengthens or
    shortens follow it (``formatted_ranges.with_chart_series_moved``): into ``replaced``."""
    ends = {}
    for name, write in writes.items():
        if name in package.sheets and (found := _table_ends(package.sheets[name], write)):
            ends[name] = found
    if not ends:
        return
    for part in zin.namelist():
        if part.startswith("xl/charts/") and part.endswith(".xml") and part not in replaced:
            xml = zin.read(part)
            moved = with_chart_series_moved(xml, ends)
            if moved != xml:
                replaced[part] = moved


def _mend_calc_chain(zin, package, writes: dict[str, SheetWrite], replaced: dict) -> set[str]:
    """Take out of the calculation chain the cells ``writes`` put values into (their
    formulas are gone), into ``replaced``; when none is left, the chain goes: its
    relationship and content type are taken out too (into ``replaced``), and the set of
    parts to leave out of the package (the chain's) is returned. Nothing changes for a
    package without a chain, or when no written cell is in it."""
    part = _part_of_type(zin, package.workbook_part, "/calcChain")
    if part is None:
        return set()
    ids = {}
    for sheet in ElementTree.fromstring(zin.read(package.workbook_part)).iter(
        f"{{{MAIN_NS}}}sheet"
    ):
        if sheet.get("name") in writes and sheet.get("sheetId"):
            ids[sheet.get("sheetId").encode()] = writes[sheet.get("name")]

    def overwritten(sheet_id: bytes, ref: re.Match) -> bool:
        write = ids.get(sheet_id)
        if write is None:
            return False
        if write.rows is not None:  # the sheet's cells all replaced
            return True
        column = column_number(ref.group(1))
        if column not in (getattr(write, "columns", None) or (column,)):
            return False  # not one of the columns a write worked out later sets
        return (int(ref.group(2)), column) in write.cells

    chain = zin.read(part)
    kept = _chain_without(chain, overwritten)
    if kept is chain:
        return set()
    if kept is not None:
        replaced[part] = kept
        return set()
    rels_part = _rels_path(package.workbook_part)
    rels = replaced.get(rels_part) or zin.read(rels_part)
    replaced[rels_part] = re.sub(
        rb"<(?:\w+:)?Relationship\b[^>]*?\bType=\"[^\"]*/calcChain\"[^>]*?/>", b"", rels
    )
    types = replaced.get("[Content_Types].xml") or zin.read("[Content_Types].xml")
    replaced["[Content_Types].xml"] = re.sub(
        rb"<(?:\w+:)?Override\b[^>]*?\bPartName=\"/" + re.escape(part.encode()) + rb"\"[^>]*?/>",
        b"",
        types,
    )
    return {part}


def _chain_without(chain: bytes, overwritten) -> bytes | None:
    """The calcChain part ``chain`` without the cells for which ``overwritten(sheet_id,
    ref_match)`` is true: ``chain`` itself when there are none, None when no cell is left (a
    chain may not be empty). An entry names its sheet (``i``) only when it differs from the
    entry's before it, so an entry left right after one taken out is given its own ``i``
    when it had none."""
    sheet, kept, taken = None, [], False
    written = None  # the sheet the last entry kept names or follows
    first = last = None
    for cell in _CHAIN_CELL.finditer(chain):
        first = cell if first is None else first
        last = cell
        tag = cell.group(0)
        named = _CHAIN_SHEET.search(tag)
        sheet = named.group(1) if named else sheet
        ref = _CHAIN_REF.search(tag)
        if ref is not None and overwritten(sheet, ref):
            taken = True
            continue
        if named is None and sheet is not None and sheet != written:
            at = _CHAIN_OPEN.match(tag).end()
            tag = tag[:at] + b' i="%s"' % sheet + tag[at:]
        kept.append(tag)
        written = sheet
    if not taken:
        return chain
    if not kept:
        return None
    return chain[: first.start()] + b"".join(kept) + chain[last.end() :]


def _part_of_type(zin: zipfile.ZipFile, workbook_part: str, suffix: str) -> str | None:
    for kind, target in _relationships(zin, workbook_part).values():
        if kind.endswith(suffix) and target in zin.NameToInfo:
            return target
    return None


def _raw_entry(raw: IO[bytes], info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where the compressed bytes of ``info`` start in the file, and how many there are."""
    try:
        return deflate.entry_start(raw, info), info.compress_size
    except zipfile.BadZipFile as exc:
        raise NeedsFullRewrite(str(exc)) from exc


def _entry_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    out = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    out.compress_type = info.compress_type
    out.comment = info.comment
    out.create_system = info.create_system
    out.create_version = info.create_version
    out.extract_version = info.extract_version
    out.external_attr = info.external_attr
    out.internal_attr = info.internal_attr
    out.flag_bits = info.flag_bits & 0x800  # keep only "names are UTF-8"
    return out


def _copy_raw(zout: zipfile.ZipFile, raw: IO[bytes], info: zipfile.ZipInfo) -> None:
    """Copy one entry, compressed bytes as they are, into ``zout``."""
    if info.flag_bits & 0x1:
        raise NeedsFullRewrite(f"{info.filename} is encrypted")
    start, size = _raw_entry(raw, info)
    out = _entry_info(info)
    out.CRC, out.compress_size, out.file_size = info.CRC, info.compress_size, info.file_size
    raw.seek(start)
    _append_entry(zout, out, raw)


def _append_entry(zout: zipfile.ZipFile, out: zipfile.ZipInfo, data: IO[bytes]) -> None:
    """Append entry ``out`` (its sizes and CRC set) whose stored bytes ``data`` reads out."""
    zip64 = out.file_size > zipfile.ZIP64_LIMIT or out.compress_size > zipfile.ZIP64_LIMIT
    out.header_offset = zout.fp.tell()
    zout.fp.write(out.FileHeader(zip64))
    remaining = out.compress_size
    while remaining:
        chunk = data.read(min(remaining, 1 << 20))
        if not chunk:
            raise NeedsFullRewrite(f"{out.filename}: truncated entry")
        zout.fp.write(chunk)
        remaining -= len(chunk)
    zout.filelist.append(out)
    zout.NameToInfo[out.filename] = out
    zout.start_dir = zout.fp.tell()
    zout._didModify = True


class ReadAhead:
    """A part being read, inflated ahead in a worker thread (zlib lets go of the GIL).

    ``read`` hands out the pieces the thread read, whatever size is asked; ``b""`` at the
    end. At most two pieces wait.
    """

    def __init__(self, stream: IO[bytes], piece: int = 1 << 20):
        self._stream, self._piece = stream, piece
        self._queue: queue.Queue = queue.Queue(2)
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="inflate", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            while not self._stopping:
                data = self._stream.read(self._piece)
                self._queue.put(data)
                if not data:
                    return
        except BaseException as exc:  # handed to the reading thread
            self._queue.put(exc)

    def read(self, size: int = -1) -> bytes:
        data = self._queue.get()
        if isinstance(data, BaseException):
            raise data
        if not data:
            self._queue.put(data)  # the end stays the end
        return data

    def close(self) -> None:
        self._stopping = True
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()
        self._stream.close()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DeflatedPart:
    """A new part's content, deflated as it is written and kept until the package is written.

    Once the part passes ``THREAD_AFTER`` bytes, deflating moves to a worker thread (zlib
    and crc32 let go of the GIL), so it runs beside the Python code making the XML; at most
    ``QUEUED`` pieces wait for it. What is kept is the deflated stream (on disk past
    ``SPOOL_BYTES``), never the part itself. ``stored`` keeps the bytes as they are instead.
    """

    def __init__(self, stored: bool = False, file: IO[bytes] | None = None):
        self.stored = stored
        self.file = tempfile.SpooledTemporaryFile(SPOOL_BYTES) if file is None else file
        self.crc = self.size = 0
        self._deflate = None if stored else deflate.compressor()
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._queue is not None:
            if self._error is not None:
                raise self._error
            self._queue.put(data)
            return
        self._add(data)
        if self.size >= THREAD_AFTER:
            self._queue = queue.Queue(QUEUED)
            self._thread = threading.Thread(target=self._work, name="deflate", daemon=True)
            self._thread.start()

    def _add(self, data: bytes) -> None:
        self.crc = deflate.crc32(data, self.crc)
        self.size += len(data)
        self.file.write(data if self._deflate is None else self._deflate.compress(data))

    def _work(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._add(data)
                except BaseException as exc:  # handed to the writing thread
                    self._error = exc

    def _stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def finish(self) -> None:
        """Deflate what is still waiting and end the stream."""
        self._stop()
        if self._error is not None:
            raise self._error
        if self._deflate is not None:
            self.file.write(self._deflate.flush())
            self._deflate = None

    def append_to(self, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """Append the part to ``zout`` as entry ``info`` (its name, time and attributes)."""
        self.finish()
        out = _entry_info(info)
        out.compress_type = zipfile.ZIP_STORED if self.stored else zipfile.ZIP_DEFLATED
        out.CRC, out.file_size, out.compress_size = self.crc, self.size, self.file.tell()
        self.file.seek(0)
        _append_entry(zout, out, self.file)

    def close(self) -> None:
        self._stop()
        self.file.close()


def _write_new(zout: zipfile.ZipFile, info: zipfile.ZipInfo, content) -> None:
    if isinstance(content, (DeflatedPart, ChildPart)):
        content.append_to(zout, info)
        return
    out = _entry_info(info)
    if out.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        out.compress_type = zipfile.ZIP_DEFLATED
    for attr in ("compress_level", "_compresslevel"):  # its name from Python 3.13, and before
        if hasattr(out, attr) or attr in type(out).__slots__:
            setattr(out, attr, COMPRESS_LEVEL)
    out.file_size = len(content)
    with zout.open(out, "w") as f:
        f.write(content)


def write_sheets(
    src: Path | str, dst: Path | str, writes: dict[str, SheetWrite], started=None
) -> None:
    """Write ``writes`` into a copy of ``src`` at ``dst``, changing only the parts it must.

    ``started`` (from ``start_sheet``) is a sheet a child process began writing earlier:
    used when ``writes`` holds that very SheetWrite, stopped otherwise.
    Raises ``NeedsFullRewrite`` (and leaves no ``dst``) when it cannot.
    """
    src, dst = Path(src), Path(dst)
    try:
        _write(src, dst, writes, started)
    except BaseException:
        dst.unlink(missing_ok=True)
        raise
    finally:
        if started is not None:
            started.stop()


class StartedSheet:
    """A sheet a child process is writing (``start_sheet``) until ``write_sheets`` takes it;
    ``stop`` ends the child and deletes its file when no write will."""

    def __init__(self, src: Path, name: str, write: SheetWrite, child: _ChildSheet):
        self.src, self.name, self.write, self._child = src, name, write, child

    def take(self) -> _ChildSheet | None:
        child, self._child = self._child, None
        return child

    def stop(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.stop()


def start_sheet(src: Path | str, name: str, write: SheetWrite) -> StartedSheet | None:
    """Start writing sheet ``name`` of ``src`` in a child process now, while the caller goes
    on computing the other sheets' writes, when it is worth it (``_sheet_to_fork``: a large
    first refresh, on Linux); None otherwise. Hand the result to ``write_sheets`` with a
    ``writes`` holding this very ``write``, or ``stop`` it."""
    src = Path(src)
    try:
        with zipfile.ZipFile(src) as zin:
            package = read_package(zin)
            if name not in package.sheets or _sheet_to_fork(package, {name: write}, 0) != name:
                return None
            parts = (_part_of_type(zin, package.workbook_part, kind)
                     for kind in ("/styles", "/sharedStrings"))  # fmt: skip
            sheets = _Sheets(src, zin, package, [], {name: write}, *parts)
            sheet = package.sheets[name]
            stored = zin.getinfo(sheet.part).compress_type == zipfile.ZIP_STORED
            child = _ChildSheet.start(sheets, sheet, write, stored)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, NeedsFullRewrite):
        return None
    return None if child is None else StartedSheet(src, name, write, child)


def _write(src: Path, dst: Path, writes: dict[str, SheetWrite], started=None) -> None:
    with zipfile.ZipFile(src) as zin:
        package = read_package(zin)
        added = _new_sheets(zin, package, writes)
        styles_part = _part_of_type(zin, package.workbook_part, "/styles")
        strings_part = _part_of_type(zin, package.workbook_part, "/sharedStrings")
        sheets = _Sheets(src, zin, package, added, writes, styles_part, strings_part)
        spooled: list = []
        try:
            done = None
            if (
                started is not None and started.src == src
                and writes.get(started.name) is started.write
            ):  # fmt: skip
                done = sheets.beside_child(started.name, spooled, started.take())
            else:
                forked = _sheet_to_fork(package, writes)
                if forked is not None:
                    done = sheets.beside_child(forked, spooled)
            if done is None:
                done = sheets.in_order(sheets.new_styles(), spooled)
            replaced, new_entries = done
            dropped = _mend_calc_chain(zin, package, writes, replaced)
            _follow_with_charts(zin, package, writes, replaced)
            with open(src, "rb") as raw, zipfile.ZipFile(dst, "w") as zout:
                for info in zin.infolist():
                    if info.filename in dropped:
                        continue
                    if info.filename in replaced:
                        _write_new(zout, info, replaced[info.filename])
                    else:
                        _copy_raw(zout, raw, info)
                for name, content in new_entries:
                    _write_new(zout, _new_entry(name), content)
                zout.comment = zin.comment
        finally:
            for body in spooled:
                body.close()


class _Sheets:
    """The sheets of one ``_write``: rewritten in package order (``in_order``), or with the
    largest written by a child process meanwhile (``beside_child``)."""

    def __init__(self, src, zin, package, added, writes, styles_part, strings_part):
        self.src, self.zin, self.package, self.added, self.writes = src, zin, package, added, writes
        self.styles_part, self.strings_part = styles_part, strings_part
        self.strings = SharedStrings(zin, strings_part)

    def new_styles(self, zin: zipfile.ZipFile | None = None) -> Styles:
        """The package's cell styles as they are in the file (read from ``zin`` if given)."""
        zin, part = zin or self.zin, self.styles_part
        return Styles(zin.read(part) if part else None, part)

    def rewriter(self, sheet: SheetPart, write: SheetWrite, styles: Styles, source=None):
        return SheetRewriter(self.zin, sheet, write, styles, self.strings,
                             self.package.date1904, source)  # fmt: skip

    def in_order(self, styles: Styles, spooled: list, skip: str | None = None):
        """Rewrite every sheet written (but ``skip``), in package order so that the styles
        added are numbered the same every time; then add the new sheets. Returns the parts
        replaced and the entries added."""
        zin, writes = self.zin, self.writes
        replaced: dict[str, object] = {}
        for name, sheet in self.package.sheets.items():  # package order: deterministic styles
            write = writes.get(name)
            if name == skip or write is None:
                continue
            if not (write.cells or write.rows is not None or write.last_row):
                continue
            rewriter = self.rewriter(sheet, write, styles)
            if write.cells or write.rows is not None:
                stored = zin.getinfo(sheet.part).compress_type == zipfile.ZIP_STORED
                body = DeflatedPart(stored)
                spooled.append(body)
                rewriter.run(body)
                body.finish()
                replaced[sheet.part] = body
            if write.last_row is not None and sheet.tables:
                _refit(zin, sheet.tables[0], rewriter, write, replaced)
        new_entries: list[tuple[str, object]] = []
        for new in self.added:  # then the sheets added, in the order of ``writes``
            write = writes[new.name]
            rewriter = self.rewriter(new.sheet, write, styles, new.source)
            body = DeflatedPart()
            spooled.append(body)
            rewriter.run(body)
            body.finish()
            new_entries.append((new.sheet.part, body))
            new_entries.extend(new.parts(write))
        if self.added:
            replaced.update(_register_sheets(zin, self.package.workbook_part, self.added))
        if styles.changed:
            replaced[styles.part] = styles.to_bytes()
        return replaced, new_entries

    def beside_child(self, name: str, spooled: list, child: _ChildSheet | None = None):
        """``in_order``, with sheet ``name`` written by a child process while this one writes
        the others: the same bytes, on two cores. None (nothing kept) when the child could
        not be started or failed, or when both it and the other sheets added cell styles
        (their numbers would clash); then the caller writes every sheet itself."""
        sheet, write = self.package.sheets[name], self.writes[name]
        if child is None:  # else one started earlier (start_sheet)
            stored = self.zin.getinfo(sheet.part).compress_type == zipfile.ZIP_STORED
            child = _ChildSheet.start(self, sheet, write, stored)
        if child is None:
            return None
        own: list = []
        try:
            styles = self.new_styles()
            replaced, new_entries = self.in_order(styles, own, skip=name)
            made = child.result()
        except BaseException:
            child.stop()
            for body in own:
                body.close()
            raise
        if made is None or (made.styles is not None and styles.changed):
            for body in own:
                body.close()
            if made is not None:
                made.close()
            return None
        spooled.extend(own)
        spooled.append(made)
        replaced[sheet.part] = made
        if made.styles is not None:
            replaced[made.styles.part] = made.styles.to_bytes()
        if write.last_row is not None and sheet.tables:
            if isinstance(write, SheetWriteLater) and not write.made:
                # the child worked the cells out and wrote them; the re-fit needs none
                write = SheetWrite(last_row=write.last_row, number_formats=write.number_formats)
            rewriter = self.rewriter(sheet, write, made.styles or styles)
            rewriter.header = made.header
            _refit(self.zin, sheet.tables[0], rewriter, write, replaced)
        return replaced, new_entries


#: Write the largest sheet in a child process (``os.fork``) while this one writes the others,
#: when it sets at least this many rows by column (a first refresh of a large Notes sheet).
FORK_ROWS = 20_000
#: Linux only: there a forked child is a cheap copy-on-write of this process.
FORK = sys.platform.startswith("linux")
#: What the last child process reported of its memory (kB): ``{"peak": VmHWM, "own": the
#: pages it did not share with its parent}``, for the benchmark.
LAST_CHILD_MEMORY: dict[str, int] = {}


def _sheet_to_fork(package, writes: dict[str, SheetWrite], others: int = 1) -> str | None:
    """The sheet worth a child process: the largest first-refresh write of ``FORK_ROWS``
    rows or more, when ``others`` other sheets are written too and no other thread runs (a
    fork copies only the thread that calls it)."""
    if not FORK or threading.active_count() > 1:
        return None
    sizes = {
        name: _columns_written(write)
        for name, write in writes.items()
        if name in package.sheets and write.rows is None
    }
    sizes = {name: size for name, size in sizes.items() if size is not None}
    if not sizes:
        return None
    name = max(sizes, key=sizes.get)
    rest = [w for n, w in writes.items() if n != name and (w.rows is not None or _sets_cells(w))]
    return name if sizes[name] >= FORK_ROWS and len(rest) >= others else None


def _columns_written(write: SheetWrite) -> int | None:
    """The rows a write sets by column (CellColumns: a first refresh), else None. A
    ``SheetWriteLater`` not worked out yet is one, of about its ``expected_rows``."""
    if isinstance(write, SheetWriteLater) and not write.made:
        return write.expected_rows
    return len(write.cells.rows) if isinstance(write.cells, CellColumns) else None


def _sets_cells(write: SheetWrite) -> bool:
    """Whether ``write`` sets cells (a ``SheetWriteLater`` not worked out yet is taken to)."""
    return (isinstance(write, SheetWriteLater) and not write.made) or bool(write.cells)


class ChildPart:
    """A part a child process deflated into an unnamed file (``scratch``): appended like a
    DeflatedPart, and its file let go of on ``close``."""

    def __init__(self, file: IO[bytes], stored: bool, crc: int, size: int, header, styles):
        self.file, self.stored, self.crc, self.size = file, stored, crc, size
        #: The sheet's header row as the child read it (for the Table re-fit).
        self.header: dict[int, str] = header
        #: The child's cell styles when it added some, else None.
        self.styles: Styles | None = styles

    def append_to(self, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        out = _entry_info(info)
        out.compress_type = zipfile.ZIP_STORED if self.stored else zipfile.ZIP_DEFLATED
        self.file.seek(0)
        out.CRC, out.file_size = self.crc, self.size
        out.compress_size = os.fstat(self.file.fileno()).st_size
        _append_entry(zout, out, self.file)

    def close(self) -> None:
        with suppress(OSError):
            self.file.close()


class _ChildSheet:
    """One sheet rewritten by a forked child into an unnamed temporary file the child
    inherits (``scratch``: a refresh killed meanwhile leaves no file behind); its outcome
    comes back through a pipe as a pickled dict."""

    def __init__(self, pid: int, file: IO[bytes], pipe: int, stored: bool):
        self.pid, self.file, self.pipe, self.stored = pid, file, pipe, stored

    @classmethod
    def start(cls, sheets: _Sheets, sheet: SheetPart, write: SheetWrite, stored: bool):
        """Fork the child; None (nothing left behind) when the temporary folder, a pipe or
        a new process cannot be had: then this process writes the sheet itself."""
        try:
            file = scratch.unnamed_file()
        except OSError:
            return None
        parent = os.getpid()
        try:
            read_end, write_end = os.pipe()
        except OSError:
            file.close()
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            file.close()
            return None
        if pid == 0:  # the child: never returns
            os.close(read_end)
            die_with_parent(parent)
            _child_main(sheets, sheet, write, stored, file.fileno(), write_end)
        os.close(write_end)
        return cls(pid, file, read_end, stored)

    def result(self) -> ChildPart | None:
        """Wait for the child; its part, or None (file deleted) when it failed."""
        chunks = []
        try:
            while chunk := os.read(self.pipe, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(self.pipe)
            self.pipe = -1
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0  # reaped: its number may go to another process
        try:
            made = pickle.loads(b"".join(chunks)) if status == 0 and chunks else None
        except Exception:
            made = None
        if not made or "error" in made:
            with suppress(OSError):
                self.file.close()
            return None
        LAST_CHILD_MEMORY.clear()
        LAST_CHILD_MEMORY.update(made["memory"])
        return ChildPart(self.file, self.stored, made["crc"], made["size"], made["header"],
                         made["styles"])  # fmt: skip

    def stop(self) -> None:
        """Kill the child (this process is failing) and delete its file."""
        if self.pid > 0:
            with suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self.pipe >= 0:
            with suppress(OSError):
                os.close(self.pipe)
            self.pipe = -1
        with suppress(OSError):
            self.file.close()


def _child_main(sheets: _Sheets, sheet, write, stored: bool, fd: int, pipe: int):
    """The forked child: rewrite ``sheet`` into the file open as ``fd`` (shared with the
    parent, which reads it from the start once this has exited), report through ``pipe``,
    exit."""
    status = 1
    try:
        try:
            with zipfile.ZipFile(sheets.src) as zin, os.fdopen(os.dup(fd), "wb") as f:
                # a zip file of its own: the parent's shares its file offset with this one
                strings = SharedStrings(zin, sheets.strings_part)
                styles = sheets.new_styles(zin)
                rewriter = SheetRewriter(zin, sheet, write, styles, strings,
                                         sheets.package.date1904)  # fmt: skip
                body = DeflatedPart(stored, file=f)
                rewriter.run(body)
                body.finish()
            made = {
                "crc": body.crc,
                "size": body.size,
                "header": rewriter.header,
                "styles": styles if styles.changed else None,
                "memory": own_memory(),
            }
            status = 0
        except BaseException as exc:  # the parent writes the sheet itself, and meets it
            made = {"error": type(exc).__name__}
        data = pickle.dumps(made)
        while data:
            data = data[os.write(pipe, data) :]
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def die_with_parent(parent: int | None = None) -> None:
    """Have Linux kill this child when its parent dies (a refresh killed mid-save): nothing
    is left writing a part no one will read. ``parent``: exit at once if it is gone already
    (it died before this was set)."""
    with suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def own_memory() -> dict[str, int]:
    """This process's peak resident memory and the pages it does not share (kB)."""
    found = {}
    with suppress(OSError):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    found["peak"] = int(line.split()[1])
        with open("/proc/self/smaps_rollup") as f:
            private = [line for line in f if line.startswith(("Private_Clean", "Private_Dirty"))]
            found["own"] = sum(int(line.split()[1]) for line in private)
    return found


def _refit(zin, table: TablePart, rewriter: SheetRewriter, write: SheetWrite, replaced) -> None:
    min_col = range_boundaries(table.ref)[0] if table.ref else 1
    if write.rows is not None:
        rewriter.header = _header_from_rows(write)
    elif not rewriter.header:
        rewriter.header = _read_sheet_header(zin, rewriter)
    names = rewriter.header_names(min_col) or None
    old = zin.read(table.part)
    sheet = rewriter.sheet.name
    new = refit_table(old, names, write.last_row, lambda name: schema.values_only(sheet, name))
    if new != old:
        replaced[table.part] = new


def _read_sheet_header(zin, rewriter: SheetRewriter) -> dict[int, str]:
    with zin.open(rewriter.sheet.part) as stream:
        for kind, data in iter_row_chunks(stream, rewriter.p):
            if kind == "rows":
                rewriter._read_header(data)
                header = dict(rewriter.header)
                for (r, c), v in rewriter.write.cells.items():
                    if r == 1:
                        header[c] = "" if v is None else str(v)
                return header
    return {}


# --- sheets the package lacks ------------------------------------------------------------

WORKSHEET_REL = REL_NS + "/worksheet"
TABLE_REL = REL_NS + "/table"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
TABLE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
TABLE_STYLE = "TableStyleLight9"
#: The time stamp of the entries added (fixed, so the same write gives the same bytes).
NEW_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
_BAD_SHEET_NAME = re.compile(r"[\\/?*\[\]:]")


class NewSheet:
    """A sheet to add to the package: its parts, its starting XML and its Table (if any)."""

    def __init__(self, name: str, part: str, table_part: str | None, table_id: int,
                 table_name: str | None, names: list[str] | None):  # fmt: skip
        self.name = name
        self.sheet = SheetPart(name, part, _rels_path(part))
        self.table_part, self.table_id, self.table_name = table_part, table_id, table_name
        self.names = names
        self.source = _worksheet_xml(table_part is not None)

    def parts(self, write: SheetWrite) -> list[tuple[str, bytes]]:
        """The entries besides the worksheet itself: its relationships and its Table."""
        if self.table_part is None:
            return []
        target = posixpath.relpath(self.table_part, posixpath.dirname(self.sheet.part))
        rels = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="%s" Target="%s"/></Relationships>'
        ) % (TABLE_REL.encode(), _attr(target))
        return [
            (self.sheet.rels_part, rels),
            (
                self.table_part,
                _table_xml(self.table_id, self.table_name, self.names, write.last_row or 2),
            ),
        ]


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _attr(text: str) -> bytes:
    return html.escape(text, quote=True).encode("utf-8")


def _worksheet_xml(with_table: bool) -> bytes:
    """An empty worksheet (a frozen header row when it holds a Table)."""
    view = (
        b'<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
        b' state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
        if with_table
        else b'<sheetView workbookViewId="0"/>'
    )
    tables = b'<tableParts count="1"><tablePart r:id="rId1"/></tableParts>' if with_table else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="%s" xmlns:r="%s"><dimension ref="A1"/><sheetViews>%s</sheetViews>'
        b'<sheetFormatPr defaultRowHeight="15"/><sheetData/>%s</worksheet>'
    ) % (MAIN_NS.encode(), REL_NS.encode(), view, tables)


def _table_xml(table_id: int, name: str, names: list[str], last_row: int) -> bytes:
    """A Table over ``names`` (the header, from A1) down to ``last_row``."""
    empty = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<table xmlns="%s" id="%d" name="%s" displayName="%s" ref="A1:A2">'
        b'<autoFilter ref="A1:A2"/><tableColumns count="0"></tableColumns>'
        b'<tableStyleInfo name="%s" showFirstColumn="0" showLastColumn="0" showRowStripes="1"'
        b' showColumnStripes="0"/></table>'
    ) % (MAIN_NS.encode(), table_id, _attr(name), _attr(name), TABLE_STYLE.encode())
    return refit_table(empty, names, last_row)


def _new_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=NEW_ENTRY_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0
    return info


def _table_name(sheet: str, taken: set[str]) -> str:
    """A Table name from a sheet name (letters, digits, ``_`` and ``.``), unique in the book."""
    base = re.sub(r"[^\w.]", "", sheet) or "Table"
    if not (base[0].isalpha() or base[0] == "_"):
        base = "_" + base
    name, n = base, 2
    while name.casefold() in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _header_names(write: SheetWrite) -> list[str] | None:
    """The Table columns of a new sheet's header, or None when it cannot carry a Table
    (a header cell that is not text, a repeated or blank name)."""
    values = list(write.rows[0]) if write.rows else []
    for (r, c), v in write.cells.items():
        if r == 1:
            values.extend([None] * (c - len(values)))
            values[c - 1] = v
    while values and values[-1] in (None, ""):
        values.pop()
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        return None
    names = [v.strip() for v in values]
    if len({n.casefold() for n in names}) != len(names):
        return None
    return names


def _new_sheets(zin: zipfile.ZipFile, package, writes: dict[str, SheetWrite]) -> list[NewSheet]:
    """The sheets of ``writes`` that the package lacks and that have something to write."""
    wanted = [
        name
        for name, write in writes.items()
        if name not in package.sheets and (write.rows is not None or write.cells)
    ]
    if not wanted:
        return []
    taken_parts = {n.casefold() for n in zin.NameToInfo}
    folders = [posixpath.dirname(s.part) for s in package.sheets.values()]
    folder = (
        folders[0]
        if folders
        else posixpath.join(posixpath.dirname(package.workbook_part), "worksheets")
    )
    table_folder = posixpath.join(posixpath.dirname(folder), "tables")
    tables = [t for s in package.sheets.values() for t in s.tables]
    taken_names = {t.name.casefold() for t in tables} | _defined_names(zin, package.workbook_part)
    next_table_id = 1 + max((_table_id(zin.read(t.part)) for t in tables), default=0)
    existing_sheets = {n.casefold() for n in package.sheets}

    def free(pattern: str) -> str:
        n = 1
        while pattern.format(n).casefold() in taken_parts:
            n += 1
        taken_parts.add(pattern.format(n).casefold())
        return pattern.format(n)

    added = []
    for name in wanted:
        if not name or len(name) > 31 or _BAD_SHEET_NAME.search(name):
            raise NeedsFullRewrite(f"{name!r} cannot be the name of a new sheet")
        if name.casefold() in existing_sheets:
            raise NeedsFullRewrite(f"sheet {name!r} differs only in case from one in the book")
        existing_sheets.add(name.casefold())
        part = free(posixpath.join(folder, "sheet{}.xml"))
        write = writes[name]
        names = _header_names(write) if write.last_row is not None else None
        table_part = table_name = None
        if names:
            table_part = free(posixpath.join(table_folder, "table{}.xml"))
            table_name = _table_name(name, taken_names)
            taken_names.add(table_name.casefold())
        added.append(NewSheet(name, part, table_part, next_table_id, table_name, names))
        if names:
            next_table_id += 1
    return added


def _table_id(xml: bytes) -> int:
    root = re.search(rb"<(?:\w+:)?table\b[^>]*>", xml)
    ident = re.search(rb'\sid="(\d+)"', root.group(0)) if root else None
    return int(ident.group(1)) if ident else 0


def _defined_names(zin: zipfile.ZipFile, workbook_part: str) -> set[str]:
    names = re.findall(rb'<(?:\w+:)?definedName\b[^>]*?\bname="([^"]*)"', zin.read(workbook_part))
    return {html.unescape(n.decode("utf-8")).casefold() for n in names}


def _insert_before(xml: bytes, closing: bytes, item: bytes, what: str) -> bytes:
    """``item`` inserted before the last ``</prefix:closing>`` of ``xml``."""
    found = list(re.finditer(rb"</(?:\w+:)?" + closing + rb">", xml))
    if not found:
        raise NeedsFullRewrite(f"{what} has no {closing.decode()} element")
    at = found[-1].start()
    return xml[:at] + item + xml[at:]


def _prefix_of(xml: bytes, local: bytes) -> bytes:
    m = re.search(rb"<(\w+:)?" + local + rb"\b", xml)
    return (m.group(1) or b"") if m else b""


def _register_sheets(zin: zipfile.ZipFile, workbook_part: str, added: list[NewSheet]):
    """workbook.xml, its relationships and [Content_Types].xml with the new sheets listed."""
    workbook = zin.read(workbook_part)
    rels_part = _rels_path(workbook_part)
    try:
        rels = zin.read(rels_part)
        types = zin.read("[Content_Types].xml")
    except KeyError as exc:
        raise NeedsFullRewrite(f"the package lacks {exc}") from None
    used_ids = set(re.findall(rb'\bId="([^"]*)"', rels))
    sheet_ids = [int(i) for i in re.findall(rb'<(?:\w+:)?sheet\b[^>]*?\bsheetId="(\d+)"', workbook)]
    next_sheet_id = max(sheet_ids, default=0) + 1
    p = _prefix_of(workbook, b"sheets")
    declared = re.search(rb'xmlns:(\w+)="' + re.escape(REL_NS.encode()) + rb'"', workbook)
    r_prefix = declared.group(1) if declared else b"r"
    local_ns = b"" if declared else b' xmlns:r="%s"' % REL_NS.encode()
    rp = _prefix_of(rels, b"Relationships")
    tp = _prefix_of(types, b"Types")
    base = posixpath.dirname(workbook_part)
    sheets, relationships, overrides = [], [], []
    n = 1
    for new in added:
        while b"rId%d" % n in used_ids:
            n += 1
        rid = b"rId%d" % n
        used_ids.add(rid)
        sheets.append(
            b'<%ssheet name="%s" sheetId="%d" %s:id="%s"%s/>'
            % (p, _attr(new.name), next_sheet_id, r_prefix, rid, local_ns)
        )
        next_sheet_id += 1
        target = posixpath.relpath(new.sheet.part, base) if base else new.sheet.part
        relationships.append(
            b'<%sRelationship Id="%s" Type="%s" Target="%s"/>'
            % (rp, rid, WORKSHEET_REL.encode(), _attr(target))
        )
        overrides.append(
            b'<%sOverride PartName="/%s" ContentType="%s"/>'
            % (tp, _attr(new.sheet.part), WORKSHEET_TYPE.encode())
        )
        if new.table_part:
            overrides.append(
                b'<%sOverride PartName="/%s" ContentType="%s"/>'
                % (tp, _attr(new.table_part), TABLE_TYPE.encode())
            )
    return {
        workbook_part: _insert_before(workbook, b"sheets", b"".join(sheets), workbook_part),
        rels_part: _insert_before(rels, b"Relationships", b"".join(relationships), rels_part),
        "[Content_Types].xml": _insert_before(
            types, b"Types", b"".join(overrides), "[Content_Types].xml"
        ),
    }
