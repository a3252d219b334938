"""Read sheets from an .xlsx/.xlsm quickly: python-calamine for the values, a streaming scan
of the sheet XML for what calamine does not report (hidden rows, formula cells, error cells,
AutoFilter) and the package's small parts for the Table of each sheet.

It gives the same ``SheetRead`` as the openpyxl adapter, in a fraction of the time and memory:
no DOM of a worksheet is ever built. Dates come back as ``datetime`` (as openpyxl gives them),
integral numbers as ``int``, empty cells (and empty text) as ``None``, an error cell as its
text (``"#N/A"``), a formula cell as its cached result. Equal text and dates in a column
are one shared object (a large sheet repeats client IDs, codes and dates many times).

Time goes mostly to calamine parsing the largest sheet (Notes); ``read_sheets`` has that
done by two threads at once, the sheet cut into pieces at row boundaries, while it converts
the other sheets, then converts the largest a block of rows at a time. Measure with
``benchmarks/refresh.py`` (its load figure).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import compress, islice
from pathlib import Path
from typing import IO

from python_calamine import CalamineWorkbook

from authbook.workbook import readahead, scratch
from authbook.workbook.deflate import crc32, open_part
from authbook.workbook.parsers import Parsers
from authbook.workbook.sheetdata import (
    ColumnRows,
    RowRead,
    SheetRead,
    SheetsInTurn,
    total_rows_of,
    without_rows,
)
from authbook.workbook.xlsx.layout import (
    REL_NS,
    Package,
    SheetPart,
    _relationships,
    _rels_of,
    read_package,
)
from authbook.workbook.xlsx.rows import (
    UnreadableSheet,
    iter_row_chunks,
    namespace_prefix,
)
from authbook.workbook.xlsx.scan import SheetScan, _Scanner, scan_sheet

#: What a caller reads sheets with, and the error it may meet.
__all__ = ["UnreadableSheet", "read_in_turn", "read_package", "read_sheets"]


_MAX_EXACT_INT = 2**53


def plain(value: object, seen: dict | None = None) -> object:
    """A calamine value as openpyxl would give it.

    ``seen`` shares equal text and dates between cells (a large sheet repeats them a lot).
    """
    kind = type(value)
    if kind is float:
        if value.is_integer() and -_MAX_EXACT_INT < value < _MAX_EXACT_INT:
            return int(value)
        return value
    if kind is str:
        if not value:
            return None
        return value if seen is None else seen.setdefault(value, value)
    if kind is date:
        if seen is not None and value in seen:
            return seen[value]
        moment = datetime(value.year, value.month, value.day)
        if seen is not None:
            seen[value] = moment
        return moment
    return value


def _header_text(value: object) -> str:
    return "" if value is None else str(value).strip()


#: Rows converted at a time: few enough that the cells of one block stay in the processor's
#: cache while each column is converted (measured: 1,024 rows convert a 500,000-row sheet
#: about 25% faster than 16,384).
BLOCK_ROWS = 1024
#: Rows looked at to tell a column of mostly distinct text (note IDs) from one that repeats.
SAMPLE_ROWS = 16384
#: ``"" -> None``: ``_NO_EMPTY_TEXT.get(v, v)`` is ``v`` for any other text.
_NO_EMPTY_TEXT: dict = {"": None}
_NUMBERS = (int, float)
_DATES = {date}


class _Converter:
    """Turns calamine's cells into ``plain`` values a column at a time.

    A column's values mostly share one type and repeat (codes, client IDs, dates, statuses):
    each distinct value is converted once and every equal cell gets that same object, so
    the sheets read hold one object per distinct value. Text columns whose values are
    nearly all distinct (note IDs) are only cleared of empty text, not remembered.
    """

    def __init__(self) -> None:
        # Equal text and dates share one object across all sheets read (str and date keys
        # never compare equal to each other; numbers are kept out of it: 1 == 1.0 == True).
        self.seen: dict = {"": None}

    def column(self, cells: tuple, distinct_text: bool) -> list:
        """The ``plain`` values of one column of a block of rows."""
        if cells and cells[0] == "" and cells.count("") == len(cells):
            # a column nobody typed in (calamine gives "" for an empty cell): most of the
            # Notes sheet's columns to the right on a first refresh, ~40% of its cells
            return [None] * len(cells)
        kinds = set(map(type, cells))
        if kinds == {str}:
            if distinct_text:
                return list(map(_NO_EMPTY_TEXT.get, cells, cells))
            return list(map(self.seen.setdefault, cells, cells))
        seen = self.seen
        if kinds == _DATES:
            # each date met for the first time is made a datetime once, for every sheet
            # (``plain``), and looked up after that
            for value in set(cells).difference(seen):
                plain(value, seen)
            return list(map(seen.__getitem__, cells))
        numbers = kinds.intersection(_NUMBERS)
        if len(numbers) > 1 or (numbers and bool in kinds):
            # Equal keys of different types (1, 1.0, True) would share one result.
            return [plain(v, seen) for v in cells]
        table = {v: plain(v, seen) for v in set(cells)}
        return list(map(table.__getitem__, cells))

    @staticmethod
    def distinct_text(cells: tuple) -> bool:
        """Whether a column's first cells are nearly all distinct (not worth remembering)."""
        return len(set(cells)) >= 0.98 * len(cells)


def _blocks(first: list[list], rest: Iterator[list], size: int) -> Iterator[list[list]]:
    """The rows of ``first`` then of ``rest``, ``size`` at a time (``first`` is emptied)."""
    for start in range(0, len(first), size):
        yield first[start : start + size]
    first.clear()
    while block := list(islice(rest, size)):
        yield block


#: A largest sheet of at least this many rows is read by column (``ColumnRows``): no RowRead
#: and list per row, and the raw book takes its columns as they are. Measured on the demo
#: workbook (5,645 notes): a refresh 15-20 ms faster than with its Notes read by row.
COLUMN_ROWS_FROM = 1_000


class _Columns:
    """The rows of a sheet gathered by column, a converted block at a time."""

    def __init__(self, width: int) -> None:
        self.numbers: list[int] = []
        self.columns: list[list] = [[] for _ in range(width)]

    def add(self, numbers: range, columns: list[list]) -> None:
        """Add a block: its row numbers and its columns, leaving out rows empty in every one."""
        if any(None not in c for c in columns):  # a column filled in every row: none empty
            self.numbers.extend(numbers)
            for mine, column in zip(self.columns, columns):
                mine.extend(column)
            return
        blank = (None,) * len(columns)
        keep = list(map(blank.__ne__, zip(*columns)))
        self.numbers.extend(compress(numbers, keep))
        for mine, column in zip(self.columns, columns):
            mine.extend(compress(column, keep))

    def rows(self, scan: SheetScan) -> ColumnRows | list[RowRead]:
        """The rows gathered: ``ColumnRows`` from ``COLUMN_ROWS_FROM`` rows on, else RowReads."""
        width = len(self.columns)
        formulas = _formula_columns(scan, width, self.numbers)
        held = ColumnRows(self.numbers, self.columns, formulas)
        return held if len(self.numbers) >= COLUMN_ROWS_FROM else list(held)


def _formula_columns(scan: SheetScan, width: int, rows: Iterable[int]) -> dict[int, frozenset]:
    """Row -> the columns (up to ``width``) whose cell holds a formula, for ``rows``; rows
    with formulas in the same columns share one frozenset (~200 bytes each)."""
    found: dict[int, frozenset[int]] = {}
    if not scan.formulas:
        return found
    shared: dict[frozenset[int], frozenset[int]] = {}
    for row in rows:
        marked = scan.formulas.get(row)
        if marked:
            key = frozenset(marked)
            cols = shared.get(key)
            if cols is None:
                cols = shared[key] = frozenset(c for c in key if c <= width)
            found[row] = cols
    return found


def _convert_rows(
    grid: Iterator[list],
    first_row: int,
    first_col: int,
    width: int,
    scan: SheetScan,
    conv,
    into: _Columns | None = None,
) -> list[RowRead]:
    """``RowRead`` for the rows calamine yields (the first is ``first_row``), each ``width``
    columns wide; the grid starts at 0-based column ``first_col``. With ``into``, the rows
    are added to it by column instead (and none are returned).

    Works a block of rows at a time: the block is turned into columns, each column
    converted (``_Converter``), and the columns turned back into rows.
    """
    rows: list[RowRead] = []
    errors = scan.errors
    sample = list(islice(grid, SAMPLE_ROWS))
    distinct = [conv.distinct_text(c) for c in zip(*sample)]
    row0 = first_row
    for block in _blocks(sample, grid, BLOCK_ROWS):
        n = len(block)
        raw = list(zip(*block))[: max(width - first_col, 0)]
        del block
        columns = [[None] * n for _ in range(min(first_col, width))]
        for i, cells in enumerate(raw):
            columns.append(conv.column(cells, distinct[i]))
        del raw
        columns.extend([None] * n for _ in range(width - len(columns)))
        if errors:
            for row in range(row0, row0 + n):
                for col, text in errors.get(row, {}).items():
                    if col <= width:
                        columns[col - 1][row - row0] = text
        numbers = range(row0, row0 + n)
        if into is not None:
            into.add(numbers, columns)
            row0 += n
            continue
        values = map(list, zip(*columns))
        if any(None not in c for c in columns):  # a column filled in every row: none empty
            rows.extend(map(RowRead, numbers, values))
        else:
            rows.extend(RowRead(r, v) for r, v in zip(numbers, values) if v.count(None) < width)
        row0 += n
    if scan.formulas and rows:
        formulas = _formula_columns(scan, width, (read.row for read in rows))
        for read in rows:
            read.formulas = formulas.get(read.row, read.formulas)
    return rows


class _PiecesOutOfOrder(Exception):
    """The pieces of a sheet parsed apart hold rows out of order (its XML lists them so)."""


def _read_sheet(
    pieces: Iterator, scan: SheetScan, sheet: SheetPart, conv: _Converter, by_column=False
) -> SheetRead:
    """The ``SheetRead`` of one sheet from the scan of its XML and calamine's data of its
    rows: one piece (the whole sheet), or several whose rows follow one another, the first
    holding row 1. A piece is dropped as soon as it is converted. ``by_column``: a sheet of
    ``COLUMN_ROWS_FROM`` rows or more is read as ``ColumnRows``.

    Raises ``_PiecesOutOfOrder`` when a piece holds a row above the end of the one before.
    """
    header: list[object] = []
    rows: list[RowRead] = []
    data = next(pieces, None)
    # calamine's grid starts at the first used column; a sheet whose row 1 is empty has no
    # header, so nothing under it is read.
    if data is not None and data.height and data.start[0] == 0:
        first_col = data.start[1]
        grid = iter(data.iter_rows())
        top = next(grid)
        header = [_header_text(plain(v)) for v in [None] * first_col + list(top)]
        while header and not header[-1]:
            header.pop()
        if header:
            width = len(header)
            into = _Columns(width) if by_column else None
            rows = _convert_rows(grid, 2, first_col, width, scan, conv, into)
            last = data.end[0]
            del grid, data
            for data in pieces:
                if data.height:
                    # the grid of a piece starts at its first used column, but at row 1:
                    # the empty rows above its first used row are skipped
                    first_row, first_col = data.start
                    if first_row <= last:
                        raise _PiecesOutOfOrder(sheet.name)
                    grid = iter(data.iter_rows())
                    next(islice(grid, first_row, first_row), None)
                    rows += _convert_rows(grid, first_row + 1, first_col, width, scan, conv, into)
                    last = data.end[0]
                    del grid
                del data
            if into is not None:
                rows = into.rows(scan)
    table = sheet.tables[0] if sheet.tables else None
    filter_ref = scan.filter_ref
    if table is not None and table.has_filter:
        filter_ref = table.filter_ref or table.ref
    totals = total_rows_of(table.ref, table.totals) if table is not None else frozenset()
    calculated = {}
    if table is not None and table.calculated:
        calculated = {
            i: table.calculated[h] for i, h in enumerate(header, start=1) if h in table.calculated
        }
    return SheetRead(
        name=sheet.name,
        headers=[str(h) for h in header],
        rows=without_rows(rows, totals),
        hidden_rows=frozenset(scan.hidden_rows),
        filter_ref=filter_ref,
        table_name=table.name if table is not None else None,
        table_ref=table.ref if table is not None else None,
        total_rows=totals,
        calculated=calculated,
    )


def _return_freed_memory() -> None:
    """Hand the memory calamine has freed back to the system. glibc keeps it for later
    ``malloc`` calls, but Python's small objects come from their own pools and would not
    reuse most of it: without this a refresh carries ~100-150 MB of dead heap (measured on
    a 500,000-note workbook; the call takes ~30 ms)."""
    if sys.platform.startswith("linux"):
        import ctypes  # (only after a large read: a small one has little to hand back)

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _parse(path: Path, name: str):
    """calamine's data of one sheet, from a workbook opened for it alone (so that another
    thread can parse other sheets of the same file meanwhile)."""
    with CalamineWorkbook.from_path(str(path)) as book:
        return book.get_sheet_by_name(name)


#: A sheet whose XML holds at least this many bytes is parsed in pieces by several threads
#: at once (calamine lets go of the GIL while it parses); a smaller one in one go. Measured
#: on the 5k/50k benchmark workbook (Notes 18 MB of XML, 7 reads each): read_sheets median
#: 0.49-0.65 s whole, 0.34-0.48 s in two pieces. (A workbook with such a sheet is not read
#: ahead: ``readahead``, which holds the figure.)
SPLIT_BYTES = readahead.SPLIT_BYTES
#: About how many bytes of rows each piece holds (at least 2 pieces are made). Each piece
#: parses the workbook's shared strings again (26.6 MB of them in the LibreOffice-saved
#: 50k/500k workbook, 0.17 s each). Measured there since the refresh prepares its base while
#: the pieces are parsed: 96 MB (2 pieces of its 207 MB Notes sheet) saved with medians of
#: 8.08-8.14 s against 8.26 s at 48 MB (4 pieces), in process, alternated; peak memory
#: 577-585 MB against 516-547 MB.
PIECE_BYTES = 96 << 20
#: Threads parsing: the other sheets, then the largest (whole or its pieces).
PARSERS = 2
#: Parts a piece's package carries over from the workbook: those calamine reads to open a
#: workbook and type its cells (sheet list, date system, number formats, shared strings),
#: at the places it looks for them.
_CARRIED = (
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "xl/sharedStrings.xml",
)
_CARRIED_TYPES = (REL_NS + "/styles", REL_NS + "/sharedStrings")


def _carried_parts(zf: zipfile.ZipFile, package: Package) -> dict[str, bytes]:
    """The ``_CARRIED`` parts the workbook has, and its styles and shared strings wherever
    its relationships put them: name -> bytes."""
    names = set(_CARRIED) | {package.workbook_part, _rels_of(package.workbook_part)}
    for kind, target in _relationships(zf, package.workbook_part).values():
        if kind in _CARRIED_TYPES:
            names.add(target)
    return {name: zf.read(name) for name in sorted(names) if name in zf.NameToInfo}


def _parse_sheets(path: Path, names: list[str]) -> dict:
    """calamine's data of the named sheets, from a workbook opened for them."""
    with CalamineWorkbook.from_path(str(path)) as book:
        return {name: book.get_sheet_by_name(name) for name in names}


def _parse_piece(piece: _PieceFile, name: str):
    """calamine's data of sheet ``name`` in ``piece``, which is then discarded."""
    try:
        with CalamineWorkbook.from_path(piece.path) as book:
            return book.get_sheet_by_name(name)
    finally:
        piece.discard()


class _Carried:
    """The carried parts (``_CARRIED``) written once into a package of their own, for every
    piece to start from: its bytes copied, not the parts written (and their CRC-32 worked
    out) again. A LibreOffice-saved workbook's shared strings are 26.6 MB at 50,000 auths,
    written into each of four pieces: 0.3 s of the read, measured. An unnamed file
    (``scratch``); ``close`` lets it go."""

    def __init__(self, carried: dict[str, bytes]) -> None:
        self._file = scratch.unnamed_file()
        try:
            with zipfile.ZipFile(self._file, "w", zipfile.ZIP_STORED) as package:
                for name, data in carried.items():
                    package.writestr(name, data)
            self.size = self._file.tell()
        except BaseException:
            self.close()
            raise

    def copy_into(self, out: IO[bytes]) -> None:
        """Write the package's bytes at the start of ``out`` (the system copies them where it
        can), leaving ``out`` at their end."""
        src, dst, left = self._file.fileno(), out.fileno(), self.size
        try:
            while left:
                done = os.copy_file_range(src, dst, left, self.size - left, self.size - left)
                if not done:
                    raise OSError("copy_file_range copied nothing")
                left -= done
        except (OSError, AttributeError):  # (not on this system: copied here)
            self._file.seek(0)
            out.seek(0)
            shutil.copyfileobj(self._file, out)
        out.seek(self.size)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._file.close()


class _PieceFile:
    """A private temporary package holding the carried parts and one piece of a worksheet's
    rows at the worksheet's own place (stored, not compressed: it is read once, at once).
    An unnamed file (``scratch``): a refresh killed while reading leaves none behind.

    The worksheet's entry is written here, not by ``zipfile``, for its CRC-32: ``deflate``'s
    (ISA-L) takes 0.005 s over the 207 MB of the 50k/500k benchmark's Notes sheet where
    ``zipfile``'s (zlib) took 0.06 s of the thread the read waits on (measured)."""

    def __init__(self, carried: _Carried, part: str, head: bytes, large: bool) -> None:
        self._file = scratch.unnamed_file()
        try:
            carried.copy_into(self._file)
            self._zip = zipfile.ZipFile(self._file, "a", zipfile.ZIP_STORED)
            self._info = zipfile.ZipInfo(part, date_time=(1980, 1, 1, 0, 0, 0))
            self._info.header_offset = self._zip.fp.tell()
            self._info.CRC = self._info.file_size = self._info.compress_size = 0
            self._large = large
            # (written again once the sizes and CRC are known: the same length)
            self._zip.fp.write(self._info.FileHeader(large))
            self._start = self._zip.fp.tell()  # where the worksheet's bytes start
            self._zip.fp.write(head)
        except BaseException:
            self.discard()
            raise
        self._crc = crc32(head)
        #: Bytes of rows written (the head not counted).
        self.size = 0

    def write(self, rows: bytes) -> None:
        self._zip.fp.write(rows)
        self._crc = crc32(rows, self._crc)
        self.size += len(rows)

    def close(self, tail: bytes) -> _PieceFile:
        """End the worksheet with ``tail`` and the package, ready for calamine to read at
        ``path`` (the file stays until ``discard``)."""
        try:
            self.write(tail)
            info, fp = self._info, self._zip.fp
            end = fp.tell()
            info.CRC = self._crc
            info.file_size = info.compress_size = end - self._start
            fp.seek(info.header_offset)
            fp.write(info.FileHeader(self._large))
            fp.seek(end)
            self._zip.filelist.append(info)
            self._zip.NameToInfo[info.filename] = info
            self._zip.start_dir = end
            self._zip._didModify = True
            self._zip.close()
            self._file.flush()
        except BaseException:
            self.discard()
            raise
        return self

    @property
    def path(self) -> str:
        """Where calamine opens it, once closed."""
        return scratch.path_of(self._file)

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self._file.close()


def _split_sheet(
    zf: zipfile.ZipFile, package: Package, sheet: SheetPart, parsers: Parsers
) -> tuple[SheetScan, Iterator]:
    """Inflate a large worksheet once: scan it (``scan_sheet``) and cut its rows, at row
    boundaries, into pieces of about ``PIECE_BYTES``, each written as a package of its own
    and handed to ``parsers`` as soon as it is written.

    Returns the scan and an iterator over calamine's data of the pieces in row order
    (waiting for each), for ``_read_sheet``. Every piece's file is gone once parsed.
    """
    prefix = namespace_prefix(zf, sheet.part)
    scanner = _Scanner(sheet.part, prefix)
    info = zf.getinfo(sheet.part)
    count = max(2, round(info.file_size / PIECE_BYTES))
    target = info.file_size // count
    large = info.file_size >= zipfile.ZIP64_LIMIT
    dimension = re.compile(
        rb"<" + prefix + rb"dimension\b[^>]*?(?:/>|>.*?</" + prefix + rb"dimension>)", re.S
    )
    # a piece starts only at a row that carries its number (calamine counts on from the
    # row before one without)
    numbered = re.compile(rb"\s*<" + prefix + rb'row\b[^>]*?\br="\d+"')
    tail = b"</" + prefix + b"sheetData></" + prefix + b"worksheet>"
    futures = []
    head = b""
    piece: _PieceFile | None = None
    carried = _Carried(_carried_parts(zf, package))
    try:
        with open_part(zf, sheet.part) as stream:
            for kind, data in iter_row_chunks(stream, prefix):
                scanner.feed(kind, data)
                if kind == "head":
                    # the dimension of the whole sheet would only mislead the parse of a piece
                    head = dimension.sub(b"", data)
                elif kind == "rows":
                    if piece is not None and piece.size >= target and numbered.match(data):
                        futures.append(parsers.submit(_parse_piece, piece.close(tail), sheet.name))
                        piece = None
                    if piece is None:
                        piece = _PieceFile(carried, sheet.part, head, large)
                    piece.write(data)
        if piece is not None:
            futures.append(parsers.submit(_parse_piece, piece.close(tail), sheet.name))
            piece = None
    finally:
        if piece is not None:
            piece.discard()
        carried.close()
    return scanner.scan, _results(futures)


class _Taken:
    """The data of sheets ``names`` from a ``readahead.ReadAhead`` (``take``, what its
    ``take`` gave), as ``read_sheets`` takes a future's: ``result()`` waits for each."""

    def __init__(self, take, names: list[str]) -> None:
        self._take, self._names = take, names

    def result(self) -> dict:
        return {name: self._take(name) for name in self._names}


def _results(futures: list) -> Iterator:
    """The futures' results in order, each future let go of once its result is taken."""
    futures.reverse()
    while futures:
        yield futures.pop().result()


def read_sheets(
    path: Path | str, names: Iterable[str], ahead: readahead.ReadAhead | None = None
) -> dict[str, SheetRead]:
    """The named sheets that exist in the workbook at ``path``, as ``SheetRead``, in the
    order of ``names``. With ``ahead`` (``readahead.read_ahead``), calamine's data of the
    sheets is taken from it when the file is still the one it parses.

    calamine parses in ``PARSERS`` other threads (it lets go of the GIL meanwhile): first
    the other sheets, then the largest, in one go or, from ``SPLIT_BYTES`` of XML on, cut
    into pieces parsed side by side, each a small package of its own in a private unnamed
    temporary file (``scratch``) gone once parsed (no room for them, or no ``/proc`` for
    calamine to open them by: in one go). This thread meanwhile cuts the
    largest sheet (its XML inflated once, for the cut and the scan), scans and converts
    the others, then converts the largest a piece at a time. Each sheet's calamine data is
    dropped as soon as it is converted. Raises ``UnreadableSheet`` for a worksheet whose
    cells carry no references (no program we know writes those; the openpyxl adapter reads
    them), and calamine's own errors.
    """
    names = list(names)
    with read_in_turn(path, names, (), ahead) as turns:
        return turns.first


def read_in_turn(
    path: Path | str,
    names: Iterable[str],
    later: Iterable[str],
    ahead: readahead.ReadAhead | None = None,
) -> SheetsInTurn:
    """``read_sheets`` in two turns (``SheetsInTurn``): the named sheets but those in
    ``later`` first, then those. When the largest sheet is held back, the first turn is
    handed out as soon as the others are converted, while other threads go on parsing the
    largest; ``rest()`` converts it. Raises what ``read_sheets`` raises, either turn."""
    coming: list[str] = []  # (filled in by the first turn, which the SheetsInTurn takes)
    return SheetsInTurn(_turns(Path(path), list(names), list(later), ahead, coming), coming)


def _turns(path: Path, names: list[str], held: list[str], ahead, coming: list[str]):
    """The two turns of ``read_in_turn``: the sheets but those ``held`` back, then those.
    Before the first, ``coming`` gets the held-back sheets the workbook has."""
    with zipfile.ZipFile(path) as zf:
        package = read_package(zf)
        parts = {n: package.sheets[n] for n in names if n in package.sheets}
        coming.extend(name for name in held if name in parts)
        later = set(coming)
        if not parts:
            yield {}
            yield {}
            return
        largest = max(parts, key=lambda n: zf.getinfo(parts[n].part).file_size)
        big = parts[largest]
        done: dict[str, SheetRead] = {}
        conv = _Converter()
        # (the caller pauses the garbage collector over a large read: authbook.parallel)
        # (the file this reads, not the path: what calamine parsed must be what is scanned)
        taken = ahead.take(zf.fp, list(parts)) if ahead is not None else None
        with Parsers(PARSERS) as parsers:
            scan = pieces = None
            if taken is not None:  # parsed, or being parsed, since the command began
                others = _Taken(taken, [n for n in parts if n != largest])
                pieces = (taken(name) for name in [largest])
            else:
                # the other sheets first: each is small next to the largest, and they are
                # ready to convert by the time this thread has cut the largest
                others = parsers.submit(_parse_sheets, path, [n for n in parts if n != largest])
            if (
                pieces is None
                and zf.getinfo(big.part).file_size >= SPLIT_BYTES
                and scratch.NAMEABLE
            ):
                # no room for the pieces in the temporary folder: parse the sheet whole
                with contextlib.suppress(OSError):
                    scan, pieces = _split_sheet(zf, package, big, parsers)
            if pieces is None:
                pieces = _results([parsers.submit(_parse, path, largest)])
            if scan is None:
                scan = scan_sheet(zf, big.part)
            scans = {n: scan_sheet(zf, parts[n].part) for n in parts if n != largest}
            parsed = others.result()
            del others  # the future would keep calamine's data alive
            for name, scanned in scans.items():
                data = iter([parsed.pop(name)])
                done[name] = _read_sheet(data, scanned, parts[name], conv)
                del data
            if largest in later:  # handed out now, while the largest is still being parsed
                yield {n: done[n] for n in parts if n not in later}
            try:
                done[largest] = _read_sheet(pieces, scan, big, conv, by_column=True)
            except _PiecesOutOfOrder:
                del pieces
                whole = iter([_parse(path, largest)])
                done[largest] = _read_sheet(whole, scan, big, conv, by_column=True)
        if zf.getinfo(big.part).file_size >= SPLIT_BYTES:
            _return_freed_memory()
    if largest not in later:
        yield {n: done[n] for n in parts if n not in later}
    yield {n: done[n] for n in parts if n in later}
