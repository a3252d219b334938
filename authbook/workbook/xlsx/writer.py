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

import zipfile
from pathlib import Path

from authbook.workbook.sheetdata import SheetWrite, SheetWriteLater
from authbook.workbook.xlsx.calcchain import _mend_calc_chain
from authbook.workbook.xlsx.child import StartedSheet, _ChildSheet, _sheet_to_fork, worth_a_child
from authbook.workbook.xlsx.entries import DeflatedPart, _copy_raw, _write_new
from authbook.workbook.xlsx.errors import NeedsFullRewrite
from authbook.workbook.xlsx.layout import SheetPart, read_package
from authbook.workbook.xlsx.package import (
    _new_entry,
    _new_sheets,
    _part_of_type,
    _register_sheets,
    with_sheets_very_hidden,
)
from authbook.workbook.xlsx.sheet import SheetRewriter
from authbook.workbook.xlsx.strings import SharedStrings
from authbook.workbook.xlsx.styles import Styles
from authbook.workbook.xlsx.tables import _follow_with_charts, _read_sheet_header, _refit

__all__ = ["NeedsFullRewrite", "start_sheet", "write_sheets"]


def write_sheets(
    src: Path | str,
    dst: Path | str,
    writes: dict[str, SheetWrite],
    started=None,
    very_hidden: tuple[str, ...] = (),
) -> None:
    """Write ``writes`` into a copy of ``src`` at ``dst``, changing only the parts it must.

    ``started`` (from ``start_sheet``) is a sheet a child process began writing earlier:
    used when ``writes`` holds that very SheetWrite, stopped otherwise. The sheets named in
    ``very_hidden`` (existing or added) are made very hidden in the same write.
    Raises ``NeedsFullRewrite`` (and leaves no ``dst``) when it cannot.
    """
    src, dst = Path(src), Path(dst)
    try:
        _write(src, dst, writes, started, very_hidden)
    except BaseException:
        dst.unlink(missing_ok=True)
        raise
    finally:
        if started is not None:
            started.stop()


def start_sheet(src: Path | str, name: str, write: SheetWrite) -> StartedSheet | None:
    """Start writing sheet ``name`` of ``src`` in a child process now, while the caller goes
    on computing the other sheets' writes, when it is worth it (``_sheet_to_fork``: a large
    first refresh, on Linux); None otherwise. Hand the result to ``write_sheets`` with a
    ``writes`` holding this very ``write``, or ``stop`` it."""
    src = Path(src)
    if not worth_a_child(write):  # (known without opening the package)
        return None
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


def _write(
    src: Path, dst: Path, writes: dict[str, SheetWrite], started=None, very_hidden=()
) -> None:
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
            if very_hidden:
                part = package.workbook_part
                xml = replaced.get(part) or zin.read(part)
                hidden = with_sheets_very_hidden(xml, very_hidden)
                if hidden != xml:
                    replaced[part] = hidden
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
        refit = write.last_row is not None and bool(sheet.tables)
        try:
            styles = self.new_styles()
            replaced, new_entries = self.in_order(styles, own, skip=name)
            # the header row as the file has it, read while the child writes (it does not)
            header = self._header_in_file(sheet) if refit else None
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
        if refit:
            if isinstance(write, SheetWriteLater) and not write.made:
                # the child worked the cells out and wrote them; the re-fit needs none
                write = SheetWrite(last_row=write.last_row, number_formats=write.number_formats)
            rewriter = self.rewriter(sheet, write, made.styles or styles)
            # the child's header when it edited row 1, else the row as the file has it
            rewriter.header = header if made.header is None else made.header
            _refit(self.zin, sheet.tables[0], rewriter, write, replaced)
        return replaced, new_entries

    def _header_in_file(self, sheet: SheetPart) -> dict[int, str]:
        """Column -> the text of row 1 of ``sheet`` as the package has it."""
        return _read_sheet_header(self.zin, self.rewriter(sheet, SheetWrite(), self.new_styles()))


#: Write the largest sheet in a child process (``os.fork``) while this one writes the others,
