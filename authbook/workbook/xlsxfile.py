"""The workbook file on disk: reading sheets, writing cells back safely.

``WorkbookFile(path)`` reads sheets as ``SheetRead`` and applies ``SheetWrite`` changes, then
saves atomically: the new file is written beside the old one and moved over it in one step,
after the old one has been kept as ``PATH.bak``. A workbook open in Excel or LibreOffice, or
being refreshed by another AuthBook run, is refused (``locks``); so are paths that cannot be
written (``paths``) and packages past ``limits``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from authbook.workbook import schema
from authbook.workbook.errors import WorkbookError
from authbook.workbook.formatted_ranges import TableEnd, moved_sqref, table_end
from authbook.workbook.limits import limits_problem
from authbook.workbook.locks import RefreshLock as RefreshLock  # (re-exported)
from authbook.workbook.locks import check_not_open
from authbook.workbook.locks import lock_file_of as lock_file_of
from authbook.workbook.paths import check_can_read, check_can_write, real_path, save_problem
from authbook.workbook.sheetdata import (
    Formula,
    RowRead,
    SheetRead,
    SheetsInTurn,
    SheetWrite,
    merge_writes,
    total_rows_of,
    without_rows,
)
from authbook.workbook.store import StoreDefaults
from authbook.workbook.tablefit import refitted_table

DATE_FORMAT = "mm/dd/yyyy"


if TYPE_CHECKING:  # openpyxl is imported where it is used: a surgical refresh never loads it
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell


#: How a file in the compound format of Office 97-2003 starts: an old .xls, or an .xlsx that
#: Excel encrypted because it was given a password to open.
_COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: The namespaces of "Strict Open XML Spreadsheet", which Excel can save and few programs read.
_STRICT = b"http://purl.oclc.org/ooxml/"


def package_problem(path: Path) -> str | None:
    """Why the file at ``path`` cannot be read as an .xlsx package, said so that a user
    knows what to do; None when it is one. Tells a password-protected workbook (or an old
    .xls) and a workbook saved as Strict Open XML from any other file, and refuses a
    package past ``limits.LIMITS`` (checked before any part is inflated)."""
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            start = f.read(len(_COMPOUND_FILE))
        if start == _COMPOUND_FILE:
            return (
                f"{path.name} is protected with a password, or saved in the old .xls format: "
                "open it in Excel and save it as an Excel Workbook (.xlsx) without a password "
                "to open"
            )
        return f"{path.name} is not an Excel workbook (it is not an .xlsx package)"
    try:
        with zipfile.ZipFile(path) as package:
            too_large = limits_problem(package, path.name)
            if too_large:
                return too_large
            rels = package.read("_rels/.rels")
    except (KeyError, OSError, zipfile.BadZipFile):  # said by whatever reads it next
        return None
    if _STRICT in rels:
        return (
            f"{path.name} is saved as Strict Open XML Spreadsheet: open it in Excel and save "
            "it as an Excel Workbook (.xlsx)"
        )
    return None


def check_can_open(path: Path) -> None:
    """Refuse a missing file, a folder, a non-workbook, an over-large package, or a workbook
    open in Excel or LibreOffice, with a clear message."""
    check_can_read(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise WorkbookError(f"{path.name} is not an .xlsx or .xlsm workbook")
    try:
        problem = package_problem(path)
    except OSError as exc:
        raise WorkbookError(f"{path.name} could not be read: {exc.strerror or exc}") from None
    if problem:
        raise WorkbookError(problem)
    check_not_open(path)


class WorkbookFile(StoreDefaults):
    """One workbook file, loaded once with openpyxl, read and changed through the contract types."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        check_can_open(self.path)
        from openpyxl import load_workbook  # here, not at the top: start-up time

        try:
            self.wb = load_workbook(self.path, keep_vba=self.path.suffix.lower() == ".xlsm")
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise WorkbookError(
                f"{self.path.name} could not be read as a workbook: {exc}"
            ) from None
        self._cached = None

    @property
    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def drawing_book(self) -> Workbook | None:
        """The openpyxl workbook ``save`` writes (charts drawn into it are saved)."""
        return self.wb

    def saved_file(self) -> Path:
        return self.path

    def _cached_values(self):
        """The same workbook loaded for formula results (only when a read cell is a formula)."""
        if self._cached is None:
            from openpyxl import load_workbook  # here, not at the top: start-up time

            self._cached = load_workbook(self.path, data_only=True, read_only=True)
        return self._cached

    def read_sheets(self, names) -> dict[str, SheetRead]:
        """The named sheets that exist in the file, as SheetRead."""
        return {name: self._read(name) for name in names if name in self.wb.sheetnames}

    def _read(self, name: str) -> SheetRead:
        ws = self.wb[name]
        width = ws.max_column
        headers = [_header_text(ws.cell(1, c).value) for c in range(1, width + 1)]
        while headers and not headers[-1]:
            headers.pop()
        width = len(headers)
        rows: list[RowRead] = []
        formula_cells: list[tuple[int, int]] = []
        if width:
            for cells in ws.iter_rows(min_row=2, max_col=width):
                values, formulas = [], set()
                for cell in cells:
                    value = cell.value
                    if cell.data_type == "f":
                        formulas.add(cell.column)
                        formula_cells.append((cell.row, cell.column))
                    values.append(value)
                if any(v is not None and v != "" for v in values):
                    rows.append(RowRead(cells[0].row, values, frozenset(formulas)))
        if formula_cells:
            self._fill_formula_results(name, rows)
        hidden = frozenset(r for r, dim in ws.row_dimensions.items() if dim.hidden)
        table = next(iter(ws.tables.values()), None)
        filter_ref = None
        if table is not None and table.autoFilter is not None:
            filter_ref = table.autoFilter.ref or table.ref
        elif ws.auto_filter and ws.auto_filter.ref:
            filter_ref = ws.auto_filter.ref
        totals = total_rows_of(table.ref, table.totalsRowCount or 0) if table else frozenset()
        calculated = {}
        if table is not None:
            formulas = {
                c.name: c.calculatedColumnFormula.attr_text
                for c in table.tableColumns
                if c.calculatedColumnFormula is not None
                and c.calculatedColumnFormula.attr_text
                and not c.calculatedColumnFormula.array
            }
            calculated = {i: formulas[h] for i, h in enumerate(headers, start=1) if h in formulas}
        return SheetRead(
            name=name,
            headers=headers,
            rows=without_rows(rows, totals),
            hidden_rows=hidden,
            filter_ref=filter_ref,
            table_name=table.displayName if table is not None else None,
            table_ref=table.ref if table is not None else None,
            total_rows=totals,
            calculated=calculated,
        )

    def _fill_formula_results(self, name: str, rows: list[RowRead]) -> None:
        cached = self._cached_values()[name]
        by_row = {r.row: r for r in rows}
        for cells in cached.iter_rows(min_row=2):
            for cell in cells:
                row = by_row.get(getattr(cell, "row", None))
                if row is not None and cell.column in row.formulas:
                    row.values[cell.column - 1] = cell.value

    def apply(self, writes: dict[str, SheetWrite]) -> None:
        """Apply changes to the loaded workbook (nothing is saved until ``save``)."""
        for name, write in writes.items():
            if name not in self.wb.sheetnames:
                self.wb.create_sheet(name)
            ws = self.wb[name]
            if write.rows is not None:
                _replace_content(ws, write.rows, write.number_formats)
            for (row, col), value in sorted(write.cells.items()):
                cell = ws.cell(row, col)
                set_cell(cell, value, write.number_formats.get(col))
            if write.last_row is not None:
                refit_table(ws, write.last_row)

    def save(self, backup: bool = True) -> None:
        """Save atomically beside the original, keeping the previous file as ``PATH.bak``."""
        save_atomically(self.wb, self.path, backup=backup)


def _header_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def set_cell(cell: Cell, value: object, number_format: str | None = None) -> None:
    """Write a plain value; text stays text even when it starts with '=' (never a formula).
    A ``Formula`` (a Table's calculated column) is written as the formula, with no result."""
    if isinstance(value, Formula):
        cell.value = "=" + value.text
        return
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    if isinstance(value, (date, datetime)):
        cell.number_format = number_format or DATE_FORMAT
    elif number_format and value is not None:
        cell.number_format = number_format


def _replace_content(ws, rows: list[list[object]], number_formats: dict[int, str]) -> None:
    if ws.max_row > len(rows):
        ws.delete_rows(len(rows) + 1, ws.max_row - len(rows))
    width = max((len(r) for r in rows), default=0)
    for r, values in enumerate(rows, start=1):
        for c in range(1, max(width, ws.max_column) + 1):
            value = values[c - 1] if c - 1 < len(values) else None
            set_cell(ws.cell(r, c), value, number_formats.get(c) if r > 1 else None)


def refit_table(ws, last_row: int) -> None:
    """Fit the sheet's Table (and its AutoFilter) to the header's columns and ``last_row``.

    Where it ends is ``tablefit``'s rule, as for every adapter. A column AuthBook writes values
    into (``schema.values_only``) stops being a calculated column. Conditional formats and
    data validations over the Table's data rows follow its end (``formatted_ranges``).
    """
    if not ws.tables:
        return
    from openpyxl.utils import range_boundaries  # here: start-up time
    from openpyxl.worksheet.table import TableColumn

    table = next(iter(ws.tables.values()))
    end = table_end(table.ref, table.totalsRowCount or 0, last_row)
    if end is not None:
        _move_formatted_ranges(ws, [end])
    min_col, min_row, _, _ = range_boundaries(table.ref)
    names = []
    col = min_col
    while True:
        header = _header_text(ws.cell(min_row, col).value)
        if not header:
            break
        names.append(header)
        col += 1
    if not names:
        return
    fit = refitted_table(table.ref, table.totalsRowCount or 0, last_row, len(names))
    existing = {c.name: c for c in table.tableColumns}
    if [c.name for c in table.tableColumns] != names:
        columns = []
        for i, header in enumerate(names, start=1):
            column = existing.get(header) or TableColumn(id=i, name=header)
            column.id = i
            columns.append(column)
        table.tableColumns = columns
    for column in table.tableColumns:
        if column.calculatedColumnFormula is not None and schema.values_only(ws.title, column.name):
            column.calculatedColumnFormula = None  # AuthBook's values, not a formula's
    table.ref = fit.ref
    if table.autoFilter is not None:
        table.autoFilter.ref = fit.filter_ref  # (without the Total Row)


def _move_formatted_ranges(ws, ends: list[TableEnd]) -> None:
    """Make the sheet's conditional formats and data validations follow ``ends``."""
    # imported here, not at the top: start-up time
    from openpyxl.formatting.formatting import ConditionalFormatting, ConditionalFormattingList
    from openpyxl.worksheet.cell_range import MultiCellRange

    formats = ConditionalFormattingList()
    for found in ws.conditional_formatting:
        sqref = moved_sqref(str(found.sqref), ends)
        for rule in found.rules:
            formats.add(ConditionalFormatting(sqref=sqref, pivot=found.pivot), rule)
    formats.max_priority = max(formats.max_priority, ws.conditional_formatting.max_priority)
    ws.conditional_formatting = formats
    for validation in ws.data_validations.dataValidation:
        validation.sqref = MultiCellRange(moved_sqref(str(validation.sqref), ends))


def replace_atomically(path: Path, write, backup: bool = True, before_replace=None) -> None:
    """Have ``write(tmp)`` write the new file beside ``path``, then replace ``path`` with it.

    The old file is first copied to ``PATH.bak`` (itself replaced atomically), so at every
    moment both the workbook and its backup are complete files. A failed write leaves
    ``path`` and its backup as they were. A symbolic link is written through: the file it
    points at is replaced (its ``.bak`` beside it) and the link stays. A missing folder, a
    folder in the way or a read-only file is refused before anything is written.
    ``before_replace()``, if given, runs once the new file is complete, just before it
    takes the old one's place (and may refuse by raising).
    """
    path = real_path(path)
    check_can_write(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WorkbookError(save_problem(exc, path)) from None
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        keep_permissions(path, tmp)
        if before_replace is not None:
            before_replace()
        if backup and path.exists():
            copy_atomically(path, path.with_name(path.name + ".bak"))
        os.replace(tmp, path)
    except OSError as exc:
        raise WorkbookError(save_problem(exc, path)) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def keep_permissions(path: Path, tmp: str) -> None:
    """Give the new file the old one's permission bits (a new file: what the umask allows), so
    colleagues who could open the workbook still can after a save."""
    if path.exists():
        shutil.copymode(path, tmp)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)


def save_atomically(wb: Workbook, path: Path, backup: bool = True) -> None:
    """Save an openpyxl workbook to ``path`` atomically, keeping ``PATH.bak``; refused when
    Excel or LibreOffice has the file open by then."""
    replace_atomically(path, wb.save, backup=backup, before_replace=lambda: check_not_open(path))


def copy_atomically(src: Path, dst: Path) -> None:
    """Put a copy of ``src`` over ``dst`` in one step (a reader never sees half a copy).

    The copy is a second name for the file itself (a hard link) where the file system has
    them: a save never writes into the old file, it puts a new one in its place, so the old
    one lives on, unchanged, as the backup (no bytes copied: 10-40 ms on a large workbook).
    Elsewhere (FAT, some network shares) its bytes are copied."""
    fd, tmp = tempfile.mkstemp(prefix="." + dst.name + ".", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        try:
            os.unlink(tmp)
            os.link(src, tmp)
        except OSError:
            shutil.copy2(src, tmp)
        os.replace(tmp, dst)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


# --- BEGIN fast file adapter (issue 7; owned by the fastread/surgical helper) ---------------
# Reads with python-calamine plus a streaming scan (authbook.workbook.fastread) and saves by
# rewriting only the changed cells, Tables and styles of the package
# (authbook.workbook.xlsx); openpyxl is loaded only when one of them cannot do the job.


#: Package parts openpyxl does not carry over when it re-saves a workbook it did not make.
FRAGILE_PARTS = (
    "xl/charts/",
    "xl/drawings/",
    "xl/media/",
    "xl/pivotTables/",
    "xl/pivotCache/",
    "xl/slicers/",
    "xl/slicerCaches/",
    "xl/embeddings/",
    "xl/ctrlProps/",
    "xl/model/",
    "xl/timelines/",
    "customXml/",
)


def _fragile_parts_in(package: zipfile.ZipFile, kept: set[str] | frozenset = frozenset()) -> bool:
    """Whether ``package`` holds a ``FRAGILE_PARTS`` part other than those in ``kept``.
    Comments' legacy drawings (.vml) do not count: openpyxl writes those again."""
    return any(
        part.startswith(FRAGILE_PARTS) and not part.endswith((".vml", ".rels")) and part not in kept
        for part in package.namelist()
    )


def user_parts_openpyxl_would_drop(path) -> bool:
    """``openpyxl_would_drop``, leaving out the Dashboard sheet's own charts (and their
    drawing): AuthBook draws those again after a save that lost them. A refresh the
    surgical writer cannot make is refused when this is true."""
    # here, not at the top: only the path taken is loaded (start-up: tests/test_startup.py)
    from authbook.workbook.xlsx.layout import _relationships, read_package

    with zipfile.ZipFile(path) as package:
        sheet = read_package(package).sheets.get(schema.DASHBOARD_SHEET)
        redrawn, todo = set(), [sheet.part] if sheet else []
        while todo:  # every part the Dashboard sheet leads to
            part = todo.pop()
            if part not in redrawn:
                redrawn.add(part)
                todo.extend(target for _, target in _relationships(package, part).values())
        return _fragile_parts_in(package, redrawn)


def openpyxl_would_drop(path) -> bool:
    """True when the workbook holds parts an openpyxl re-save could lose (charts, pictures,
    pivot tables, slicers, embedded objects, custom XML). Such a workbook keeps a Dashboard
    of values only: its charts are never drawn at the price of the user's own parts."""
    with zipfile.ZipFile(path) as package:
        return _fragile_parts_in(package)


class FastWorkbookFile(WorkbookFile):
    """``WorkbookFile`` that reads fast and writes surgically; same contract, same safety."""

    def __init__(self, path: Path | str, ahead=None):
        """``ahead``: the sheets being parsed since the command began
        (``readahead.read_ahead``), taken by the first ``read_sheets``."""
        # here, not at the top: only the path taken is loaded (start-up: tests/test_startup.py)
        from xml.etree.ElementTree import ParseError

        # here, not at the top: only the path taken is loaded (start-up: tests/test_startup.py)
        from authbook.workbook import fastread

        self.path = Path(path)
        check_can_open(self.path)
        try:
            with zipfile.ZipFile(self.path) as zf:
                self._names = list(fastread.read_package(zf).sheets)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, ParseError) as exc:
            raise WorkbookError(
                f"{self.path.name} could not be read as a workbook: {exc}"
            ) from None
        self._wb = None
        self._cached = None
        self._writes: dict[str, SheetWrite] = {}
        self._started = None
        self._ahead = ahead

    def start_writing(self, name: str, write: SheetWrite) -> bool:
        """Begin writing sheet ``name``'s cells ``write`` now, in a child process, while the
        caller computes the rest (a large first refresh, on Linux; otherwise nothing happens
        yet). ``apply`` the same ``write`` and ``save`` as usual; ``stop_writing`` if not.
        Returns whether a child process was started (it works ``write``'s cells out)."""
        # here, not at the top: only the path taken is loaded (start-up: tests/test_startup.py)
        from authbook.workbook.xlsx import writer

        self.stop_writing()
        self._started = writer.start_sheet(self.path, name, write)
        return self._started is not None

    def stop_writing(self) -> None:
        """End a write begun by ``start_writing`` that no ``save`` took."""
        started, self._started = self._started, None
        if started is not None:
            started.stop()

    def drawing_book(self) -> None:
        """None: ``save`` writes the package surgically, not an openpyxl workbook."""
        return None

    @property
    def wb(self) -> Workbook:
        """The openpyxl workbook, loaded only for the fallback paths."""
        if self._wb is None:
            from openpyxl import load_workbook  # here, not at the top: start-up time

            try:
                self._wb = load_workbook(self.path, keep_vba=self.path.suffix.lower() == ".xlsm")
            except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
                raise WorkbookError(
                    f"{self.path.name} could not be read as a workbook: {exc}"
                ) from None
        return self._wb

    @property
    def sheet_names(self) -> list[str]:
        return list(self._names)

    def read_sheets(self, names) -> dict[str, SheetRead]:
        with self.read_sheets_in_turn(names, ()) as turns:
            return turns.first

    def read_sheets_in_turn(self, names, later) -> SheetsInTurn:
        """``read_sheets`` in two turns (``fastread.read_in_turn``): the largest sheet, when
        held back, is parsed by other threads while the caller works on the first turn. A
        sheet calamine cannot read is read by openpyxl, in either turn."""
        # here, not at the top: only the path taken is loaded (start-up: tests/test_startup.py)
        from python_calamine import CalamineError

        from authbook.workbook import fastread  # (as the line above)

        names = list(names)
        unreadable = (fastread.UnreadableSheet, CalamineError)
        ahead, self._ahead = self._ahead, None
        try:
            turns = fastread.read_in_turn(self.path, names, later, ahead)
        except unreadable:
            return SheetsInTurn.at_once(super().read_sheets(names), later)
        return SheetsInTurn(self._rest_or_openpyxl(turns, unreadable), turns.coming)

    def _rest_or_openpyxl(self, turns: SheetsInTurn, unreadable: tuple) -> Iterator[dict]:
        """The turns of ``turns``, its rest read by openpyxl when calamine cannot read it."""
        with turns:
            yield turns.first
            try:
                rest = turns.rest()
            except unreadable:
                rest = super().read_sheets(turns.coming)
        yield rest

    def apply(self, writes: dict[str, SheetWrite]) -> None:
        """Take in ``writes``, merged with those applied before (``merge_writes``)."""
        self._writes = merge_writes(self._writes, writes)

    def save(self, backup: bool = True) -> None:
        """Write the changes beside the original, keep ``PATH.bak``, then replace ``PATH``."""
        # here, not at the top: only the path taken is loaded (start-up: tests/test_startup.py)
        from authbook.workbook import memory
        from authbook.workbook.xlsx import writer

        # the memory, whenever written, is made very hidden (nobody is to take it for data)
        hidden = (memory.SHEET,) if memory.SHEET in self._writes else ()

        def write(tmp: str) -> None:
            started, self._started = self._started, None
            try:
                writer.write_sheets(self.path, tmp, self._writes, started, very_hidden=hidden)
            except writer.NeedsFullRewrite as exc:
                if user_parts_openpyxl_would_drop(self.path):
                    raise WorkbookError(
                        f"{self.path.name} was not changed: {exc}. Saving it any other way "
                        "would lose its charts, pictures or pivot tables."
                    ) from None
                super(FastWorkbookFile, self).apply(self._writes)
                self.wb.save(tmp)
                if hidden:  # (openpyxl's save: the package is patched after it)
                    memory.keep_very_hidden(tmp, workbook=real_path(self.path))

        try:
            replace_atomically(
                self.path, write, backup=backup, before_replace=lambda: check_not_open(self.path)
            )
        finally:
            self.stop_writing()
        self._writes = {}


# --- END fast file adapter ------------------------------------------------------------------
