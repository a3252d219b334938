"""Table parts: re-fitted to the rows and header a write leaves (``tablefit``'s rule), and
the charts over a Table's data rows made to follow its new end."""

from __future__ import annotations

import html
import re

from authbook.workbook import schema
from authbook.workbook.formatted_ranges import TableEnd, table_end, with_chart_series_moved
from authbook.workbook.formatted_ranges import range_bounds as range_boundaries
from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.tablefit import refitted_table
from authbook.workbook.xlsx.layout import SheetPart, TablePart
from authbook.workbook.xlsx.rows import iter_row_chunks


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
    header_rows = re.search(rb'\bheaderRowCount="(\d+)"', tag)
    if header_rows and header_rows.group(1) == b"0":
        names = None
    totals = re.search(rb'\btotalsRowCount="(\d+)"', tag)
    totals_rows = int(totals.group(1)) if totals else 0
    fit = refitted_table(ref.group(1).decode(), totals_rows, last_row, len(names or ()))
    new_ref, filter_ref = fit.ref.encode(), fit.filter_ref.encode()
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


def _refit(zin, table: TablePart, rewriter, write: SheetWrite, replaced) -> None:
    """Re-fit ``table`` to ``write`` into ``replaced`` (when it changes): to the header the
    sheet's ``SheetRewriter`` met, wrote or, when it saw none, reads from the sheet."""
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


def _read_sheet_header(zin, rewriter) -> dict[int, str]:
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


def _header_from_rows(write: SheetWrite) -> dict[int, str]:
    values = list(write.rows[0]) if write.rows else []
    header = {c: "" if v is None else str(v) for c, v in enumerate(values, start=1)}
    for (r, c), v in write.cells.items():
        if r == 1:
            header[c] = "" if v is None else str(v)
    return header
