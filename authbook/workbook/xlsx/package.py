"""The package around the worksheets: its parts found by relationship type, and the sheets
a write adds (a generated sheet a newer AuthBook makes): their worksheet and Table parts,
their entries in workbook.xml, the workbook's relationships and [Content_Types].xml."""

from __future__ import annotations

import html
import posixpath
import re
import zipfile

from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.xlsx.errors import NeedsFullRewrite
from authbook.workbook.xlsx.layout import MAIN_NS, REL_NS, SheetPart, _relationships
from authbook.workbook.xlsx.tables import refit_table


def _part_of_type(zin: zipfile.ZipFile, workbook_part: str, suffix: str) -> str | None:
    """The part the workbook's relationship of type ``...suffix`` leads to, if the package
    holds it."""
    for kind, target in _relationships(zin, workbook_part).values():
        if kind.endswith(suffix) and target in zin.NameToInfo:
            return target
    return None


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


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?/?>")


def with_sheets_very_hidden(workbook: bytes, names) -> bytes:
    """workbook.xml with each sheet of ``names`` it lists made very hidden (``state=
    "veryHidden"``: Excel lists it nowhere, not even under Unhide); the same bytes when
    they all are already."""
    wanted = {b'name="' + _attr(name) + b'"' for name in names}

    def hidden(found: re.Match) -> bytes:
        tag = found.group(0)
        if not any(name in tag for name in wanted) or b'state="veryHidden"' in tag:
            return tag
        tag = re.sub(rb'\sstate="[^"]*"', b"", tag)
        end = -2 if tag.endswith(b"/>") else -1
        return tag[:end].rstrip() + b' state="veryHidden"' + tag[end:]

    return _SHEET_TAG.sub(hidden, workbook) if wanted else workbook
