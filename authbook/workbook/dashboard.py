"""The Dashboard sheet: small tables of figures, each with a native Excel chart beside it.

Every panel has a fixed shape (``SHAPES``: title, headers, number of rows, chart), so its cells
and the ranges its chart points at never move. That lets a refresh write the Dashboard as
plain cells (``dashboard_write``) that every store takes - the fast surgical writer and live
Excel included - while the charts, drawn once, stay right: the template ships the Dashboard
already drawn (``draw`` with ``empty_panels``).

``save_with_dashboard`` saves a refreshed store and draws the charts where they are missing:
on the openpyxl adapter it draws them in memory before saving; on the fast file adapter it
saves, then checks the ranges the file's charts point at, and only when they are not the
Dashboard's (a workbook made before the Dashboard existed) reopens the saved file with
openpyxl, draws and saves again (atomically, keeping the refresh's ``.bak``).
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import field

from authbook.modelbase import dataclass
from authbook.workbook.schema import column_letter
from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.store import Store
from authbook.workbook.xlsxfile import (
    WorkbookError,
    openpyxl_would_drop,
    save_atomically,
    set_cell,
)

MONEY = "#,##0.00"
PERCENT = "0.0%"  # one decimal: 99.5% approved is not "100%" when a request was denied
#: Rows each panel block takes (a chart 7.5 cm high spans about 15 rows).
BLOCK_ROWS = 18
FIRST_ROW = 4
HEADING_ROWS = 2
CHART_COLUMN = "G"
#: Printed columns: the tables and the charts beside them.
PRINT_LAST_COLUMN = "P"
#: Panels per printed page (a page break after each group of them).
PANELS_PER_PAGE = 2
#: Rows of the panels listing payers or groups (the biggest ones; the rest summed as Other).
LIST_ROWS = 8


@dataclass(frozen=True)
class Shape:
    """A panel's fixed layout: ``rows`` table rows under its header; ``chart`` is ``col``
    (vertical bars) or ``bar`` (horizontal); ``charted`` the 1-based header positions of the
    first and last value columns drawn; ``formats`` 1-based header position -> number format.
    """

    key: str
    title: str
    headers: tuple[str, ...]
    rows: int
    chart: str = "col"
    charted: tuple[int, int] | None = None
    formats: dict[int, str] = field(default_factory=dict)


_UNIT_HEADERS = ("Allotted", "Used", "Pending", "Remaining")
SHAPES: tuple[Shape, ...] = (
    Shape("alerts", "Alerts by kind (one per pool)", ("Alert", "Pools"), 6),
    Shape("expiring", "Approvals expiring", ("Ends within", "Approvals"), 3),
    Shape(
        "payers",
        "Units by payer (current auths)",
        ("Payer", *_UNIT_HEADERS),
        LIST_ROWS,
        "bar",
        (2, 4),
    ),
    Shape(
        "groups",
        "Units by program (auth group)",
        ("Auth Group", *_UNIT_HEADERS),
        LIST_ROWS,
        "bar",
        (2, 4),
    ),
    Shape(
        "at_risk",
        "Notes at risk: charge",
        ("Reason", "Notes", "Charge"),
        6,
        "bar",
        (3, 3),
        {3: MONEY},
    ),
    Shape(
        "approvals",
        "Renewal requests by payer",
        ("Payer", "Units requested", "Units approved", "Requests decided", "Requests approved"),
        LIST_ROWS,
        "col",
        (5, 5),
        {5: PERCENT},
    ),
)
#: Panels shown only when they have rows, below the charted ones, as tables without a chart
#: (issue 26: AuthBook's Check against the payer's answers, once remittances are read).
TABLE_SHAPES: tuple[Shape, ...] = (
    Shape(
        "outcomes",
        "Check vs payer (remitted notes)",
        ("Payer", "Remitted", "Denied as Predicted", "Missed: Auth Denial", "Paid Despite Check"),
        LIST_ROWS,
    ),
)
BY_KEY = {s.key: s for s in (*SHAPES, *TABLE_SHAPES)}
EMPTY_HEADING = ("AuthBook dashboard", "Filled in by every refresh: do not type here.")


@dataclass(frozen=True)
class Panel:
    """A shape filled with figures; ``title`` may carry totals (the chart keeps the shape's)."""

    shape: Shape
    title: str
    rows: list[list[object]]

    @property
    def padded(self) -> list[list[object]]:
        """Exactly ``shape.rows`` rows, blank ones added at the end."""
        width = len(self.shape.headers)
        rows = [list(r)[:width] + [None] * (width - len(r)) for r in self.rows[: self.shape.rows]]
        return rows + [[None] * width for _ in range(self.shape.rows - len(rows))]


def panel(key: str, rows: list[list[object]], title: str | None = None) -> Panel:
    """The panel of shape ``key`` with ``rows`` (at most the shape's rows are shown)."""
    shape = BY_KEY[key]
    return Panel(shape, title or shape.title, rows)


def empty_panels() -> list[Panel]:
    return [Panel(s, s.title, []) for s in SHAPES]


def starts() -> list[int]:
    """The sheet row of each panel's title."""
    return [FIRST_ROW + i * BLOCK_ROWS for i in range(len(SHAPES))]


def _start_of(shape: Shape) -> int:
    """The sheet row of a panel's title: charted panels first, then the table-only ones."""
    order = [s.key for s in (*SHAPES, *TABLE_SHAPES)]
    return FIRST_ROW + order.index(shape.key) * BLOCK_ROWS


def dashboard_cells(heading, panels: list[Panel]) -> dict[tuple[int, int], object]:
    """Every cell of the Dashboard: (row, column) -> value (None clears a padded row)."""
    cells: dict[tuple[int, int], object] = {}
    for i, text in enumerate(list(heading)[:HEADING_ROWS], start=1):
        cells[(i, 1)] = text
    for filled in panels:
        start = _start_of(filled.shape)
        cells[(start, 1)] = filled.title
        for c, header in enumerate(filled.shape.headers, start=1):
            cells[(start + 1, c)] = header
        for r, values in enumerate(filled.padded, start=start + 2):
            for c, value in enumerate(values, start=1):
                cells[(r, c)] = value
    return cells


def dashboard_write(heading, panels: list[Panel]) -> SheetWrite:
    """The Dashboard's values as cells (each keeps its style; every store takes this)."""
    return SheetWrite(cells=dashboard_cells(heading, panels))


def save_with_dashboard(store: Store, name: str, heading, panels: list[Panel]) -> None:
    """Save ``store``, drawing the Dashboard's charts where they are missing (module help):
    into the openpyxl workbook it saves (``drawing_book``), else into the file it saved.
    Stores that are not workbook files (live Excel) keep the values only."""
    book = store.drawing_book()
    if book is not None:
        draw(book, name, heading, panels)
        store.save()
        return
    store.save()
    path = store.saved_file()
    if (
        path is not None
        and saved_chart_refs(path, name) != chart_refs(name)
        and not openpyxl_would_drop(path)
    ):
        redraw_file(path, name, heading, panels)


_FORMULA = re.compile(rb"<(?:\w+:)?f>([^<]*)</(?:\w+:)?f>")


def _normal(ref: str) -> str:
    return ref.replace("$", "").replace("'", "")


def saved_chart_refs(path, name: str) -> set[str]:
    """The ranges of sheet ``name`` that the charts saved in a workbook file point at."""
    refs: set[str] = set()
    with zipfile.ZipFile(path) as package:
        for part in package.namelist():
            if part.startswith("xl/charts/") and part.endswith(".xml"):
                for match in _FORMULA.finditer(package.read(part)):
                    text = _normal(html.unescape(match.group(1).decode("utf-8", "replace")))
                    if text.startswith(name + "!"):
                        refs.add(text)
    return refs


def chart_refs(name: str) -> set[str]:
    """The ranges the Dashboard's charts point at, as ``_normal`` writes them: each charted
    column's values and its header (the series' name), and the first column (the labels).
    Worked out from ``SHAPES`` as ``_chart`` lays them out, without drawing (a refresh asks
    for them on every save, and openpyxl takes long to import)."""
    refs: set[str] = set()
    for start, shape in zip(starts(), SHAPES):
        header, first, last = start + 1, start + 2, start + 1 + shape.rows
        low, high = shape.charted or (2, len(shape.headers))
        refs.add(f"{name}!A{first}:A{last}")
        for letter in map(column_letter, range(low, high + 1)):
            refs.update((f"{name}!{letter}{first}:{letter}{last}", f"{name}!{letter}{header}"))
    return refs


def redraw_file(path, name: str, heading, panels: list[Panel]) -> None:
    """Open a saved workbook file with openpyxl, rebuild the Dashboard with charts, save it
    atomically (the ``.bak`` left by the refresh is kept as it is)."""
    from openpyxl import load_workbook  # here, not at the top: start-up time

    try:
        wb = load_workbook(path, keep_vba=str(path).lower().endswith(".xlsm"))
    except (OSError, ValueError, KeyError) as exc:
        raise WorkbookError(f"could not draw the Dashboard charts: {exc}") from None
    draw(wb, name, heading, panels)
    save_atomically(wb, path, backup=False)


def draw(wb, name: str, heading, panels: list[Panel]) -> None:
    """Recreate sheet ``name`` of an openpyxl workbook (same position) with panels and charts."""
    # imported here, not at the top: a refresh that draws nothing never loads openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.pagebreak import Break

    title_font = Font(bold=True, size=12, color="1F4E78")
    header_fill = PatternFill("solid", fgColor="1F4E78")
    header_font = Font(bold=True, color="FFFFFF")
    # Body cells carry their own style so they exist in the file even while blank, and a
    # save that fills them in (the surgical writer, live Excel) keeps this style.
    body_font = Font(size=10, color="000000")
    position = None
    if name in wb.sheetnames:
        position = wb.sheetnames.index(name)
        wb.remove(wb[name])
    ws = wb.create_sheet(name, position)
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = f"A1:{PRINT_LAST_COLUMN}{starts()[-1] + BLOCK_ROWS}"
    ws.column_dimensions["A"].width = 28
    for letter in "BCDE":
        ws.column_dimensions[letter].width = 12
    for (r, c), value in dashboard_cells(heading, panels).items():
        set_cell(ws.cell(r, c), value)
    ws["A1"].font = Font(bold=True, size=16, color="1F4E78")
    for later in starts()[PANELS_PER_PAGE::PANELS_PER_PAGE]:
        ws.row_breaks.append(Break(id=later - 1))
    for start, shape in zip(starts(), SHAPES):
        ws.cell(start, 1).font = title_font
        ws.row_dimensions[start + 1].height = 30
        for c in range(1, len(shape.headers) + 1):
            cell = ws.cell(start + 1, c)
            cell.fill, cell.font = header_fill, header_font
            cell.alignment = Alignment(wrap_text=True, horizontal="center")
        for r in range(start + 2, start + 2 + shape.rows):
            for c in range(1, len(shape.headers) + 1):
                cell = ws.cell(r, c)
                cell.font = body_font
                cell.number_format = shape.formats.get(c, "General")
        ws.add_chart(_chart(ws, start, shape), f"{CHART_COLUMN}{start}")


def _chart(ws, start: int, shape: Shape):
    """The BarChart of ``shape``'s panel at row ``start`` of ``ws`` (``chart_refs`` says
    which ranges it points at: change both together)."""
    from openpyxl.chart import BarChart, Reference  # here, not at the top: start-up time
    from openpyxl.chart.data_source import NumFmt

    header, first, last = start + 1, start + 2, start + 1 + shape.rows
    low, high = shape.charted or (2, len(shape.headers))
    chart = BarChart()
    chart.type = shape.chart
    chart.grouping = "clustered"
    chart.title = shape.title
    chart.style = 10
    chart.width, chart.height = 16, 7.5
    data = Reference(ws, min_col=low, max_col=high, min_row=header, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    if shape.chart == "bar":  # first row on top, as in the table
        chart.x_axis.scaling.orientation = "maxMin"
    if low == high:
        chart.legend = None
    if shape.formats.get(low) == PERCENT:
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.y_axis.numFmt = NumFmt(formatCode=PERCENT, sourceLinked=False)
    return chart
