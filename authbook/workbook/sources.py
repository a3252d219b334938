"""Reading a tracker someone kept before AuthBook: an Excel file or a CSV file, as plain rows.

``read_source(path, sheet=None)`` gives every row of one sheet (blank rows included, up to the
last non-empty one) as ``(row number, [cell, ...])``, with the cells as the file holds them:

- ``.xlsx`` / ``.xlsm``: the values Excel last calculated (a formula cell gives its result),
  dates as dates; every cell of a merged range reads the value of its top-left cell.
  Hidden rows and columns are read too (nothing is dropped).
- ``.csv`` (and ``.txt``/``.tsv``): text, decoded as UTF-16 (Excel's "Unicode Text"), else
  UTF-8 (with or without a byte-order mark), else Windows-1252, else Latin-1; the delimiter
  (comma, semicolon, tab or bar) is detected.
  Row numbers are line numbers as a spreadsheet would show them.

No decisions are made here: which row is the header and what a cell means are for the rules.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from authbook.modelbase import dataclass
from authbook.workbook.xlsxfile import package_problem

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = ",;\t|"


class SourceError(Exception):
    """A source file that cannot be read; the message is for the user."""


@dataclass
class SourceTable:
    """One sheet of a source file: its rows as read, and how it was read."""

    path: Path
    sheet: str | None
    rows: list[tuple[int, list[object]]]
    is_csv: bool
    encoding: str | None = None
    delimiter: str | None = None
    sheets: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        return self.path.name


def read_source(path: Path | str, sheet: str | None = None) -> SourceTable:
    """The rows of a tracker file (``sheet``: which sheet of a workbook; default the first
    sheet that has anything in it)."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path} does not exist")
    if not path.is_file():  # a folder, a named pipe (opening it would wait forever), a device
        raise SourceError(f"{path} is not a regular file: give the path of the tracker file")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return read_excel(path, sheet)
    if suffix in CSV_SUFFIXES:
        if sheet:
            raise SourceError(f"{path.name} is a CSV file: it has no sheets (leave out --sheet)")
        return read_csv(path)
    raise SourceError(f"{path.name}: AuthBook imports .xlsx, .xlsm and .csv files")


def read_excel(path: Path, sheet: str | None = None) -> SourceTable:
    problem = package_problem(path)
    if problem:
        raise SourceError(problem)
    try:
        wb = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(f"{path.name} could not be read as a workbook: {exc}") from None
    names = tuple(wb.sheetnames)
    if sheet is not None:
        matches = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
        if not matches:
            raise SourceError(
                f"{path.name} has no sheet '{sheet}' (its sheets: {', '.join(names)})"
            )
        ws = wb[matches[0]]
    else:
        ws = next((wb[n] for n in names if wb[n].max_row > 1 or wb[n]["A1"].value), wb[names[0]])
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    for merged in ws.merged_cells.ranges:
        min_col, min_row, max_col, max_row = range_boundaries(merged.coord)
        top_left = ws.cell(min_row, min_col).value
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                    grid[r - 1][c - 1] = top_left
    rows = [(i, cells) for i, cells in enumerate(grid, start=1)]
    return SourceTable(path, ws.title, _trim(rows), is_csv=False, sheets=names)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding that read it: UTF-16 (Excel's "Unicode Text": a byte-order mark,
    or none and every other byte zero), else UTF-8 (BOM or not), else Windows-1252, else
    Latin-1 (which reads any bytes)."""
    utf16 = _utf16(data)
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: read it as the others
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def _utf16(data: bytes) -> str | None:
    """'utf-16' when ``data`` starts with a UTF-16 byte-order mark; 'utf-16-le'/'-be' when it
    has none but half its first bytes are zeros on one side (ASCII text in UTF-16)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4000]
    if len(head) < 4 or len(head) % 2:
        return None
    evens, odds = head[0::2].count(0), head[1::2].count(0)
    if odds > 0.9 * len(head) / 2 and evens == 0:
        return "utf-16-le"
    if evens > 0.9 * len(head) / 2 and odds == 0:
        return "utf-16-be"
    return None


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: of comma, semicolon, tab and bar, the one that splits the
    most lines of the first 200 into the same number of fields (two or more), more fields
    winning a tie. Title rows above the table do not sway it. Comma when none splits."""
    sample = "\n".join(text.splitlines()[:200])
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter)]
        except csv.Error:
            continue
        counts = Counter(w for w in widths if w >= 2)
        if not counts:
            continue
        width, lines = max(counts.items(), key=lambda item: (item[1], item[0]))
        if (lines, width) > best_score:
            best, best_score = delimiter, (lines, width)
    return best


def read_csv(path: Path) -> SourceTable:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path.name} could not be read: {exc.strerror or exc}") from None
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    rows: list[tuple[int, list[object]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # A spreadsheet shows one row per record (a quoted cell may span lines): count records.
        for number, cells in enumerate(reader, start=1):
            rows.append((number, [c if c != "" else None for c in cells]))
    except csv.Error as exc:
        raise SourceError(f"{path.name} line {reader.line_num}: {exc}") from None
    if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8"
    return SourceTable(path, None, _trim(rows), True, encoding, delimiter)


def _trim(rows: list[tuple[int, list[object]]]) -> list[tuple[int, list[object]]]:
    """Rows up to the last one with anything in it; trailing empty cells of each row dropped."""
    out = []
    for number, cells in rows:
        while cells and (cells[-1] is None or cells[-1] == ""):
            cells = cells[:-1]
        out.append((number, cells))
    while out and not out[-1][1]:
        out.pop()
    return out
