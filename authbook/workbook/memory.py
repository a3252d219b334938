"""AuthBook's memory of the Auths input cells as it last saved them, kept in the workbook.

A refresh compares the Auths sheet with this memory to find cells typed by hand since
(``authbook.rules.handedits``). It is kept where no user takes it for data and where it
travels with the file through Excel and LibreOffice:

- a worksheet named ``AuthBookMemory``, *very hidden* (Excel lists it nowhere, not even
  under Unhide; only VBA shows it). A worksheet, because both programs keep every
  worksheet's cells when they save (a custom XML part is dropped by LibreOffice; document
  properties hold 255 characters). LibreOffice has no "very hidden" and saves it as
  hidden, so the next save that writes the memory makes it very hidden again.
- its first row says what it is; row 2 holds, in its first three cells, 0, the workbook's
  ``lastModifiedBy`` and ``modified`` (docProps/core.xml) as AuthBook last saw them: when a
  person's program saves the file these change, which names who made the edits found.
- then one row per Auths row: the sheet row, then each input column's cell as saved.

This module reads and writes it; deciding what changed is for the rules.
"""

from __future__ import annotations

import copy
import hashlib
import html
import os
import pickle
import re
import struct
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from authbook.models import RawRows
from authbook.workbook import schema
from authbook.workbook.rawbook import raw_rows
from authbook.workbook.records import DATE_FORMAT
from authbook.workbook.sheetdata import SheetRead, SheetWrite

SHEET = "AuthBookMemory"
#: The Auths columns remembered: every input column (computed ones are AuthBook's own).
TRACKED = tuple(c for c in schema.AUTHS.columns if not c.computed)
FIELDS = tuple(c.field for c in TRACKED)
MEMORY = schema.Sheet(
    SHEET,
    (
        schema.Column("AuthBook memory: Auths row (not data; AuthBook rewrites it)", "row", "int"),
        *(schema.Column(c.header, c.field, c.kind) for c in TRACKED),
    ),
)


class Row(tuple):
    """One Auths row's input cells, in ``FIELDS`` order, read by field name as a mapping's
    ``get``: a tuple, not a dict, because a 50,000-auth workbook holds two sets of these
    (remembered and now) on every save (dicts: ~60 MB more at the peak of a daily
    refresh). Equal rows compare equal in C."""

    __slots__ = ()

    def get(self, field: str, default: object = None) -> object:
        at = _AT.get(field)
        return default if at is None else self[at]

    def with_cell(self, field: str, value: object) -> Row:
        """This row with the cell of ``field`` set to ``value``."""
        cells = list(self)
        cells[_AT[field]] = value
        return Row(cells)


_AT = {field: at for at, field in enumerate(FIELDS)}


class Memory:
    """What the memory sheet holds: Auths rows (sheet row -> its cells) and the document
    properties (last modified by, modified) AuthBook saw when it saved."""

    def __init__(self, rows: dict[int, Row], core: tuple[str, str]):
        self.rows, self.core = rows, core


def auth_rows(read: SheetRead | None, rows: RawRows | None = None) -> dict[int, Row]:
    """The Auths input cells of a sheet as read: sheet row -> its cells. ``rows``: its raw
    rows (``rawbook.raw_rows``), when the caller has them already (50,000 auths: ~0.1 s)."""
    if read is None:
        return {}
    if rows is None:
        rows = raw_rows(schema.AUTHS, read)
    return dict(zip(rows.rows, map(Row, zip(*rows.columns(FIELDS)))))


def read_memory(store) -> Memory | None:
    """The memory of ``store``, or None when the workbook has none yet."""
    return memory_of(store.read_sheets([SHEET]).get(SHEET))


def memory_of(read: SheetRead | None) -> Memory | None:
    """The memory the sheet ``read`` holds, or None when there is no such sheet."""
    if read is None:
        return None
    rows: dict[int, Row] = {}
    core = ("", "")
    read_rows = raw_rows(MEMORY, read)
    for number, *cells in zip(*read_rows.columns(("row", *FIELDS))):
        if number == 0:
            core = (_text(cells[0]), _text(cells[1]))
        elif isinstance(number, (int, float)) and number >= 2:
            rows[int(number)] = Row(cells)
    return Memory(rows, core)


def digest(rows: dict[int, Row]) -> str:
    """A fingerprint of ``rows`` (sheet row -> its cells), kept in the memory's second row:
    Auths rows whose fingerprint is the remembered one are the remembered rows, value for
    value, and then nothing needs reading beyond that row (``remembered_head``). 50,000
    rows: ~0.2 s, where reading and comparing the whole memory took ~1.5 s."""
    found = hashlib.blake2b(digest_size=16)
    numbers = sorted(rows)
    for start in range(0, len(numbers), 1000):  # a piece at a time: no 20 MB pickle at once
        piece = [(number, tuple(rows[number])) for number in numbers[start : start + 1000]]
        found.update(pickle.dumps(piece, protocol=4))
    return found.hexdigest()


def memory_write(
    rows: dict[int, Row], core: tuple[str, str], rows_digest: str | None = None
) -> SheetWrite:
    """The whole memory sheet for ``rows`` and ``core``, with the rows' ``digest``
    (``rows_digest``, when the caller has it already)."""
    rows_digest = rows_digest or digest(rows)
    head = [0, core[0] or None, core[1] or None, rows_digest]
    head += [None] * (len(MEMORY.columns) - len(head)) + _digest_numbers(rows_digest)
    body: list[list[object]] = [MEMORY.headers, head]
    for number in sorted(rows):
        body.append([number, *rows[number]])
    formats = {i: DATE_FORMAT for i, c in enumerate(MEMORY.columns, 1) if c.kind == "date"}
    return SheetWrite(rows=body, number_formats=formats)


def _text(value: object) -> str:
    return "" if value is None else str(value)


#: How much of the memory sheet's XML is read for its first two rows (the header row and
#: the head: a few KiB as AuthBook writes them).
_HEAD_BYTES = 1 << 16
_ROW_2 = re.compile(rb'<row r="2"[^>]*>(.*?)</row>', re.S)
_INLINE_CELL = re.compile(rb'<c r="([BCD])2"[^>]*?t="inlineStr"[^>]*>\s*<is>\s*<t[^>]*>([^<]*)</t>')
#: The digest again, as four whole numbers of 32 bits in the four cells right of the
#: memory's columns: Excel and LibreOffice save text into the shared strings part (which the
#: head is not read with) but keep numbers in their cells, so the head stays readable after
#: a person saves the workbook, and a daily refresh need not read the whole memory then.
_DIGEST_CELLS = tuple(schema.column_letter(len(MEMORY.columns) + i).encode() for i in (1, 2, 3, 4))
_NUMBER_CELL = re.compile(
    rb'<c r="(' + b"|".join(_DIGEST_CELLS) + rb')2"(?:\s[^>]*?)?(?<!/)>\s*<v>(\d+)(?:\.0*)?</v>'
)


def _digest_numbers(hexdigest: str) -> list[int]:
    """The 128-bit digest as four numbers of 32 bits (exact in a spreadsheet's cells)."""
    return [int(hexdigest[at : at + 8], 16) for at in range(0, 32, 8)]


def remembered_head(path: Path | str) -> tuple[tuple[str, str] | None, str] | None:
    """The document properties and the digest the memory of the workbook at ``path`` was
    written with, read from the start of its sheet alone; None when there is no memory or
    its second row holds no digest (written before the digest was kept): then the whole
    memory is read. After another program saved the workbook, the properties are None
    (unknown: its text went to the shared strings) and the digest is read from its
    numbers."""
    from authbook.workbook.xlsx.layout import read_package  # (only a save needs it)

    try:
        with zipfile.ZipFile(path) as z:
            sheet = read_package(z).sheets.get(SHEET)
            if sheet is None:
                return None
            with z.open(sheet.part) as part:
                xml = part.read(_HEAD_BYTES)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    row = _ROW_2.search(xml)
    if row is None:
        return None
    cells = {m.group(1): html.unescape(m.group(2).decode("utf-8", "replace")) for m in
             _INLINE_CELL.finditer(row.group(1))}  # fmt: skip
    if b"D" in cells:  # as AuthBook wrote it
        return (cells.get(b"B", ""), cells.get(b"C", "")), cells[b"D"]
    numbers = {m.group(1): int(m.group(2)) for m in _NUMBER_CELL.finditer(row.group(1))}
    if len(numbers) < 4 or any(n >= 1 << 32 for n in numbers.values()):
        return None
    return None, "".join(f"{numbers[letters]:08x}" for letters in _DIGEST_CELLS)


_CORE = "docProps/core.xml"


def core_properties(path: Path) -> tuple[str, str]:
    """(lastModifiedBy, modified) from the workbook's docProps/core.xml, '' where absent."""
    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read(_CORE).decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return "", ""
    return _element(xml, "lastModifiedBy"), _element(xml, "modified")


def _element(xml: str, local: str) -> str:
    found = re.search(rf"<(?:\w+:)?{local}\b[^>]*>([^<]*)</(?:\w+:)?{local}>", xml)
    return html.unescape(found.group(1)).strip() if found else ""


def modified_at(text: str) -> datetime | None:
    """The ``modified`` property as a local time without zone (as the AuditLog shows times)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(microsecond=0)


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?/?>")


def is_very_hidden(path: Path | str) -> bool:
    """Whether the package at ``path`` has the memory sheet, very hidden."""
    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read(_workbook_part(z))
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return any(
        b'name="' + SHEET.encode() + b'"' in tag and b'state="veryHidden"' in tag
        for tag in _SHEET_TAG.findall(xml)
    )


def keep_very_hidden(path: Path | str, workbook: Path | str | None = None) -> None:
    """Make the memory sheet of the package at ``path`` very hidden, if it is not already,
    after an openpyxl save (the surgical writer does it in its own write: ``very_hidden``).

    The package is written again entry by entry (only the workbook part changes), beside
    itself and renamed over it: this happens once per workbook, or after a LibreOffice save.
    ``workbook`` is the workbook ``path`` is about to replace: the copy is named as the
    workbook's own temporary files are (``.NAME.xxxxxxxx.tmp``), so one left by a run killed
    meanwhile is deleted by the next run (``locks``).
    """
    from authbook.workbook.xlsx.package import with_sheets_very_hidden  # (openpyxl's saves only)

    path = Path(path)
    name = Path(workbook).name if workbook is not None else path.name
    with zipfile.ZipFile(path) as z:
        part = _workbook_part(z)
        xml = z.read(part)
        patched = with_sheets_very_hidden(xml, (SHEET,))
        if patched == xml:
            return
        fd, tmp = tempfile.mkstemp(prefix="." + name + ".", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w") as out, open(path, "rb") as raw:
                for info in z.infolist():
                    if info.filename == part:
                        out.writestr(info, patched, compress_type=zipfile.ZIP_DEFLATED)
                    else:
                        _copy_raw(out, raw, info)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _copy_raw(out: zipfile.ZipFile, raw, info: zipfile.ZipInfo) -> None:
    """Copy an entry's compressed bytes as they are: the package stays byte for byte what
    the writer made of it (a refresh of it again writes the same bytes), and nothing is
    inflated or deflated again."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_length + extra_length)
    data = raw.read(info.compress_size)
    copied = copy.copy(info)
    copied.flag_bits &= ~0x08  # sizes in the local header, no data descriptor after it
    copied.header_offset = out.fp.tell()
    out.fp.write(copied.FileHeader())
    out.fp.write(data)
    out.filelist.append(copied)
    out.NameToInfo[copied.filename] = copied
    out.start_dir = out.fp.tell()


def _workbook_part(z: zipfile.ZipFile) -> str:
    rels = z.read("_rels/.rels").decode("utf-8", "replace")
    found = re.search(
        r'Target="/?([^"]*)"[^>]*officeDocument"|officeDocument"[^>]*Target="/?([^"]*)"', rels
    )
    if found:
        return found.group(1) or found.group(2)
    return "xl/workbook.xml"
