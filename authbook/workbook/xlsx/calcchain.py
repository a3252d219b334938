"""The calculation chain (``xl/calcChain.xml``): Excel writes it for every workbook with
formulas and reports the workbook as damaged when it names a cell without one, so a value
written over a formula cell takes the cell out of it; a chain left empty is removed with its
relationship and content type."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.xlsx.layout import MAIN_NS
from authbook.workbook.xlsx.package import _part_of_type, _rels_path
from authbook.workbook.xlsx.rows import column_number

_CHAIN_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?/>")
_CHAIN_OPEN = re.compile(rb"<(?:\w+:)?c\b")
_CHAIN_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_CHAIN_SHEET = re.compile(rb'\bi="(\d+)"')


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
