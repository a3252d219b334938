"""The Dashboard sheet: small tables of figures, each with a native Excel chart beside it.

A ``Panel`` is one table (a title, a header row, rows of a label and numbers) and how to chart
it. ``layout`` places panels one under the other, each block tall enough for its chart, so the
values and the charts always agree on where things are.

Charts point at cell ranges, so they stay right as long as the panels keep their shape (same
number of rows and columns). Each refresh writes the values as a plain SheetWrite, which every
store takes (the fast surgical writer, live Excel). ``save_with_dashboard`` adds the charts:
on the openpyxl adapter it draws them in memory before saving; on the fast file adapter it
saves, then compares the ranges the file's charts point at with the ones this layout needs,
and only when they differ (first refresh, a payer or a kind of denial added...) reopens the
saved file with openpyxl, draws and saves again (atomically, keeping the refresh's ``.bak``).
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import NumFmt
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.pagebreak import Break

from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.xlsxfile import WorkbookError, WorkbookFile, save_atomically, set_cell

MONEY = "#,##0.00"
PERCENT = "0%"
#: Rows each panel takes at least (a chart 7.5 cm high spans about 15 rows).
BLOCK_ROWS = 18
#: Panels per printed page (a page break after each group of them).
PANELS_PER_PAGE = 2
FIRST_ROW = 4
CHART_COLUMN = "G"
#: Printed columns: the tables and the charts beside them.
PRINT_LAST_COLUMN = "P"
TITLE_FONT = Font(bold=True, size=12, color="1F4E78")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")


@dataclass(frozen=True)
class Panel:
    """One table of figures and its chart.

    ``rows`` hold a label then one value per header after the first. ``chart`` is ``col``
    (vertical bars), ``bar`` (horizontal) or None; ``charted`` the 1-based header positions of
    the first and last value columns drawn (default: all of them). ``formats`` maps a 1-based
    header position to a number format.
    """

    title: str
    headers: list[str]
    rows: list[list[object]]
    chart: str | None = "col"
    charted: tuple[int, int] | None = None
    formats: dict[int, str] = field(default_factory=dict)
    axis_title: str | None = None
    #: The chart's title when ``title`` changes with the figures (a chart title is fixed text).
    chart_title: str | None = None


def layout(panels: list[Panel]) -> list[int]:
    """The sheet row of each panel's title."""
    rows, row = [], FIRST_ROW
    for panel in panels:
        rows.append(row)
        row += max(BLOCK_ROWS, len(panel.rows) + 4)
    return rows


def dashboard_rows(heading: list[str], panels: list[Panel]) -> list[list[object]]:
    """The whole sheet as rows of values (row 1 first), as ``layout`` places the panels."""
    starts = layout(panels)
    height = (starts[-1] + len(panels[-1].rows) + 2) if panels else len(heading)
    rows: list[list[object]] = [[] for _ in range(height)]
    for i, text in enumerate(heading):
        rows[i] = [text]
    for start, panel in zip(starts, panels):
        rows[start - 1] = [panel.title]
        rows[start] = list(panel.headers)
        for offset, values in enumerate(panel.rows, start=1):
            rows[start + offset] = list(values)
    return rows


def dashboard_write(heading: list[str], panels: list[Panel]) -> SheetWrite:
    """The Dashboard's values as a SheetWrite (every store takes it; charts are separate)."""
    return SheetWrite(rows=dashboard_rows(heading, panels))


def can_draw(store) -> bool:
    """True for the openpyxl file adapter itself (its ``save`` writes ``store.wb``)."""
    return type(store) is WorkbookFile


def save_with_dashboard(store, name: str, heading: list[str], panels: list[Panel]) -> None:
    """Save ``store`` with the Dashboard's charts drawn where needed (see the module help).
    Stores that are not workbook files (live Excel) keep the values only."""
    if can_draw(store):
        draw(store.wb, name, heading, panels)
        store.save()
        return
    store.save()
    if isinstance(store, WorkbookFile) and saved_chart_refs(store.path, name) != chart_refs(
        name, panels
    ):
        redraw_file(store.path, name, heading, panels)


_FORMULA = re.compile(rb"<(?:\w+:)?f>([^<]*)</(?:\w+:)?f>")


def saved_chart_refs(path, name: str) -> set[str]:
    """The cell ranges on sheet ``name`` that the charts saved in a workbook file point at."""
    refs: set[str] = set()
    with zipfile.ZipFile(path) as package:
        for part in package.namelist():
            if part.startswith("xl/charts/") and part.endswith(".xml"):
                for match in _FORMULA.finditer(package.read(part)):
                    text = html.unescape(match.group(1).decode("utf-8", "replace"))
                    if text.lstrip("'").startswith(name):
                        refs.add(text)
    return refs


def chart_refs(name: str, panels: list[Panel]) -> set[str]:
    """The cell ranges the Dashboard's charts point at for this layout."""
    ws = Workbook().active
    ws.title = name
    refs: set[str] = set()
    for start, panel in zip(layout(panels), panels):
        if panel.chart and panel.rows:
            for series in _chart(ws, start, panel).series:
                for ref in (series.val.numRef, series.cat.numRef or series.cat.strRef):
                    refs.add(ref.f)
                if series.tx is not None and series.tx.strRef is not None:
                    refs.add(series.tx.strRef.f)
    return refs


def redraw_file(path, name: str, heading: list[str], panels: list[Panel]) -> None:
    """Open a saved workbook file with openpyxl, rebuild the Dashboard with charts, save it
    atomically (the ``.bak`` left by the refresh is kept as it is)."""
    try:
        wb = load_workbook(path, keep_vba=str(path).lower().endswith(".xlsm"))
    except (OSError, ValueError, KeyError) as exc:
        raise WorkbookError(f"could not draw the Dashboard charts: {exc}") from None
    draw(wb, name, heading, panels)
    save_atomically(wb, path, backup=False)


def draw(wb, name: str, heading: list[str], panels: list[Panel]) -> None:
    """Recreate sheet ``name`` of an openpyxl workbook (same position) with panels and charts."""
    position = None
    if name in wb.sheetnames:
        position = wb.sheetnames.index(name)
        wb.remove(wb[name])
    ws = wb.create_sheet(name, position)
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.column_dimensions["A"].width = 26
    for letter in "BCDE":
        ws.column_dimensions[letter].width = 14
    for r, values in enumerate(dashboard_rows(heading, panels), start=1):
        for c, value in enumerate(values, start=1):
            set_cell(ws.cell(r, c), value)
    ws["A1"].font = Font(bold=True, size=16, color="1F4E78")
    starts = layout(panels)
    last = (starts[-1] + BLOCK_ROWS) if starts else len(heading)
    ws.print_area = f"A1:{PRINT_LAST_COLUMN}{last}"
    for later in starts[PANELS_PER_PAGE::PANELS_PER_PAGE]:
        ws.row_breaks.append(Break(id=later - 1))
    for start, panel in zip(starts, panels):
        ws.cell(start, 1).font = TITLE_FONT
        for c in range(1, len(panel.headers) + 1):
            cell = ws.cell(start + 1, c)
            cell.fill, cell.font = HEADER_FILL, HEADER_FONT
            cell.alignment = Alignment(wrap_text=True, horizontal="center")
        for c, code in panel.formats.items():
            for r in range(start + 2, start + 2 + len(panel.rows)):
                ws.cell(r, c).number_format = code
        if panel.chart and panel.rows:
            ws.add_chart(_chart(ws, start, panel), f"{CHART_COLUMN}{start}")


def _chart(ws, start: int, panel: Panel) -> BarChart:
    header, first, last = start + 1, start + 2, start + 1 + len(panel.rows)
    low, high = panel.charted or (2, len(panel.headers))
    chart = BarChart()
    chart.type = panel.chart
    chart.grouping = "clustered"
    chart.title = panel.chart_title or panel.title
    chart.style = 10
    chart.width, chart.height = 16, 7.5
    data = Reference(ws, min_col=low, max_col=high, min_row=header, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.majorGridlines = None if panel.chart == "bar" else chart.y_axis.majorGridlines
    if panel.chart == "bar":  # first row on top, as in the table
        chart.x_axis.scaling.orientation = "maxMin"
    if panel.axis_title:
        chart.y_axis.title = panel.axis_title
    if low == high:
        chart.legend = None
    if panel.formats.get(low) == PERCENT:
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.y_axis.numFmt = NumFmt(formatCode=PERCENT, sourceLinked=False)
    return chart
