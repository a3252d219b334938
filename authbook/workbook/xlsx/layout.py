"""The package's layout as the reader finds it: the workbook part, its sheets in order, each
sheet's worksheet part and Tables, found through the relationships (``_rels``) parts."""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import field
from xml.etree import ElementTree

from authbook.modelbase import dataclass
from authbook.workbook.xlsx.rows import _tail

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
TABLE_REL_TYPE = REL_NS + "/table"


@dataclass
class TablePart:
    """One Table of a sheet: its part in the package and what the part says."""

    part: str
    name: str
    ref: str
    filter_ref: str | None
    has_filter: bool
    #: Rows of its Total Row (``totalsRowCount``; 0 without one).
    totals: int = 0
    #: Its calculated columns: column name -> formula (``calculatedColumnFormula``).
    calculated: dict[str, str] = field(default_factory=dict)


@dataclass
class SheetPart:
    """Where a sheet lives in the package and which Tables it has (in the sheet's order)."""

    name: str
    part: str
    rels_part: str
    tables: list[TablePart] = field(default_factory=list)


@dataclass
class Package:
    """The map of a workbook package: sheets by name, and whether dates count from 1904."""

    sheets: dict[str, SheetPart]
    workbook_part: str
    date1904: bool


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relationships(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """``rId -> (type, resolved target part)`` for ``part`` (empty if it has no rels)."""
    rels_part = _rels_of(part)
    try:
        root = ElementTree.fromstring(zf.read(rels_part))
    except KeyError:
        return {}
    out = {}
    for rel in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        out[rel.get("Id")] = (rel.get("Type", ""), _resolve(part, rel.get("Target", "")))
    return out


def _main_part(zf: zipfile.ZipFile) -> str:
    root = ElementTree.fromstring(zf.read("_rels/.rels"))
    for rel in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            return _resolve("", rel.get("Target", ""))
    return "xl/workbook.xml"


def read_package(zf: zipfile.ZipFile) -> Package:
    """Map the package: each worksheet's part and its Tables (small parts only are parsed)."""
    workbook_part = _main_part(zf)
    root = ElementTree.fromstring(zf.read(workbook_part))
    rels = _relationships(zf, workbook_part)
    pr = root.find(f"{{{MAIN_NS}}}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    sheets: dict[str, SheetPart] = {}
    for sheet in root.iter(f"{{{MAIN_NS}}}sheet"):
        rel = rels.get(sheet.get(f"{{{REL_NS}}}id"))
        if rel is None or not rel[0].endswith("/worksheet") or rel[1] not in zf.NameToInfo:
            continue
        name = sheet.get("name")
        sheets[name] = SheetPart(name, rel[1], _rels_of(rel[1]), _tables_of(zf, rel[1]))
    return Package(sheets, workbook_part, date1904)


def _tables_of(zf: zipfile.ZipFile, sheet_part: str) -> list[TablePart]:
    rels = _relationships(zf, sheet_part)
    table_ids = [rid for rid, (kind, _) in rels.items() if kind == TABLE_REL_TYPE]
    if not table_ids:
        return []
    order = table_ids
    if len(table_ids) > 1:
        # The order of <tablePart> in the sheet (near its end) is the sheet's order of Tables;
        # finding it means streaming the whole part, so only when there is a choice.
        tail = _tail(zf, sheet_part)
        ordered = re.findall(rb'<(?:\w+:)?tablePart\b[^>]*?\bid="([^"]+)"', tail)
        order = [i.decode() for i in ordered if i.decode() in table_ids] or table_ids
    tables = []
    for rid in order:
        part = rels[rid][1]
        if part not in zf.NameToInfo:
            continue
        root = ElementTree.fromstring(zf.read(part))
        auto = root.find(f"{{{MAIN_NS}}}autoFilter")
        tables.append(
            TablePart(
                part=part,
                name=root.get("displayName") or root.get("name") or "",
                ref=root.get("ref", ""),
                filter_ref=auto.get("ref") if auto is not None else None,
                has_filter=auto is not None,
                totals=_count(root.get("totalsRowCount")),
                calculated=_calculated_columns(root),
            )
        )
    return tables


def _calculated_columns(table) -> dict[str, str]:
    """A Table part's calculated columns (parsed): column name -> formula text. An array
    formula is left out (AuthBook would not know how to fill it in)."""
    found = {}
    for column in table.iter(f"{{{MAIN_NS}}}tableColumn"):
        formula = column.find(f"{{{MAIN_NS}}}calculatedColumnFormula")
        if formula is not None and formula.text and formula.get("array") not in ("1", "true"):
            found[column.get("name", "")] = formula.text
    return found


def _count(text: str | None) -> int:
    """A count attribute's value (0 when missing or unreadable)."""
    return int(text) if text and text.isdigit() else 0
