"""A new AuthBook workbook, built from the schema: every sheet an Excel Table named like the sheet,
frozen header, widths, dropdowns, dates formatted as dates, computed columns shaded and marked.

``new_workbook(rows)`` returns an openpyxl Workbook, optionally filled with rows
(sheet name -> list of {field: value}); ``write_new(path, rows)`` saves it atomically.
The starter lists (billing codes, auth groups, code groups, payers, settings) are what the
template ships; a practice edits them.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from authbook.workbook import dashboard, schema
from authbook.workbook.records import DATE_FORMAT, MONEY_FORMAT, cell_value
from authbook.workbook.xlsxfile import save_atomically, set_cell

INPUT_HEADER = PatternFill("solid", fgColor="1F4E78")
COMPUTED_HEADER = PatternFill("solid", fgColor="7F7F7F")
COMPUTED_CELLS = PatternFill("solid", fgColor="E7E6E6", bgColor="E7E6E6")
HEADER_FONT = Font(bold=True, color="FFFFFF")
COMPUTED_NOTE = "Computed by AuthBook on every refresh. Do not type here: it is overwritten."
LIST_ROWS = 2000
LAST_ROW = 1048576

#: (code, description, code type, unit minutes, rate). Descriptions are AuthBook's own words.
STARTER_CODES = (
    ("90791", "Diagnostic evaluation", "CPT", None, 180.00),
    ("90792", "Diagnostic evaluation with medical services", "CPT", None, 200.00),
    ("90832", "Psychotherapy, 16-37 minutes", "CPT", None, 75.00),
    ("90834", "Psychotherapy, 38-52 minutes", "CPT", None, 110.00),
    ("90837", "Psychotherapy, 53 minutes or more", "CPT", None, 150.00),
    ("90833", "Psychotherapy add-on with E/M, 16-37 minutes", "Add-On", None, 70.00),
    ("90836", "Psychotherapy add-on with E/M, 38-52 minutes", "Add-On", None, 95.00),
    ("90838", "Psychotherapy add-on with E/M, 53+ minutes", "Add-On", None, 125.00),
    ("90785", "Interactive complexity add-on", "Add-On", None, 15.00),
    ("90839", "Crisis psychotherapy, first 30-74 minutes", "CPT", None, 160.00),
    ("90840", "Crisis psychotherapy, each further 30 minutes", "Add-On", None, 75.00),
    ("90846", "Family therapy without the client", "CPT", None, 105.00),
    ("90847", "Family therapy with the client", "CPT", None, 110.00),
    ("90853", "Group psychotherapy", "CPT", None, 35.00),
    ("H0004", "Behavioral health counseling, per 15 minutes", "HCPCS", 15, 25.00),
    ("H2017", "Psychosocial rehabilitation, per 15 minutes", "HCPCS", 15, 20.00),
    ("H2019", "Therapeutic behavioral services, per 15 minutes", "HCPCS", 15, 22.00),
    ("99202", "New patient visit, straightforward", "E/M", None, 75.00),
    ("99203", "New patient visit, low complexity", "E/M", None, 110.00),
    ("99204", "New patient visit, moderate complexity", "E/M", None, 165.00),
    ("99205", "New patient visit, high complexity", "E/M", None, 210.00),
    ("99212", "Established patient visit, straightforward", "E/M", None, 60.00),
    ("99213", "Established patient visit, low complexity", "E/M", None, 90.00),
    ("99214", "Established patient visit, moderate complexity", "E/M", None, 130.00),
    ("99215", "Established patient visit, high complexity", "E/M", None, 175.00),
)

STARTER_ROWS: dict[str, list[dict[str, object]]] = {
    "BillingCodes": [
        {
            "code": c,
            "description": d,
            "code_type": t,
            "unit_minutes": m,
            "rate": r,
            "active": True,
        }
        for c, d, t, m, r in STARTER_CODES
    ],
    "AuthGroups": [
        {"group_name": "Group 1", "active": True, "description": "Rename me: a shared pool"},
        {"group_name": "Group 2", "active": True, "description": "Rename me: a shared pool"},
    ],
    "CodeGroups": [
        {"group_name": "Outpatient Therapy", "billing_code": c}
        for c in ("90832", "90834", "90837", "90853")
    ]
    + [{"group_name": "Medication Management", "billing_code": c} for c in ("99213", "99214")]
    + [{"group_name": "Community Support", "billing_code": c} for c in ("H0004", "H2017", "H2019")],
    "Payers": [
        {"payer": "Self Pay", "payer_id": None, "active": True},
    ],
    "Settings": [
        {"setting": label, "value": default, "description": text}
        for label, _, default, text in schema.SETTING_ROWS
    ],
}


def _list_formula(list_from: str) -> str:
    sheet_name, field_name = list_from.split(".")
    spec = schema.sheet(sheet_name)
    index = [c.field for c in spec.columns].index(field_name) + 1
    letter = schema.column_letter(index)
    return f"{sheet_name}!${letter}$2:${letter}${LIST_ROWS}"


def _add_validation(ws, column: schema.Column, letter: str) -> None:
    if column.computed:
        return
    if column.choices:
        formula = '"' + ",".join(column.choices) + '"'
    elif column.list_from:
        formula = _list_formula(column.list_from)
    else:
        return
    dv = DataValidation(type="list", formula1=formula, allow_blank=True)
    dv.error = f"Pick a value from the list for {column.header}"
    dv.errorTitle = column.header
    dv.showErrorMessage = not column.list_from
    dv.add(f"{letter}2:{letter}{LAST_ROW}")
    ws.add_data_validation(dv)


def build_sheet(wb: Workbook, spec: schema.Sheet, rows: list[dict[str, object]]) -> None:
    """Add one sheet laid out by ``spec``, with ``rows`` ({field: value}) under the header."""
    ws = wb.create_sheet(spec.name)
    ws.freeze_panes = "A2"
    for index, column in enumerate(spec.columns, start=1):
        letter = schema.column_letter(index)
        cell = ws.cell(1, index, column.header)
        cell.font = HEADER_FONT
        cell.fill = COMPUTED_HEADER if column.computed else INPUT_HEADER
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        note = COMPUTED_NOTE if column.computed else column.help
        if note:
            cell.comment = Comment(note, "AuthBook")
        ws.column_dimensions[letter].width = column.width
        _add_validation(ws, column, letter)
        if column.computed:
            ws.conditional_formatting.add(
                f"{letter}2:{letter}{LAST_ROW}",
                FormulaRule(formula=["TRUE"], fill=COMPUTED_CELLS),
            )
    ws.row_dimensions[1].height = 48
    formats = {
        i: DATE_FORMAT if c.kind == "date" else MONEY_FORMAT
        for i, c in enumerate(spec.columns, start=1)
        if c.kind in ("date", "money")
    }
    for r, values in enumerate(rows, start=2):
        for i, column in enumerate(spec.columns, start=1):
            value = cell_value(values.get(column.field))
            if value is not None:
                set_cell(ws.cell(r, i), value, formats.get(i))
    last_col = schema.column_letter(len(spec.columns))
    table = Table(displayName=spec.table, ref=f"A1:{last_col}{max(len(rows) + 1, 2)}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)


def new_workbook(rows: dict[str, list[dict[str, object]]] | None = None) -> Workbook:
    """A workbook with every AuthBook sheet; ``rows`` (sheet -> rows) replaces the starter rows
    of the sheets it names."""
    wb = Workbook()
    wb.remove(wb.active)
    filled = {**STARTER_ROWS, **(rows or {})}
    for spec in schema.SHEETS:
        build_sheet(wb, spec, filled.get(spec.name, []))
    # The Dashboard with its charts already drawn: refreshes only fill in its cells.
    dashboard.draw(wb, schema.DASHBOARD_SHEET, dashboard.EMPTY_HEADING, dashboard.empty_panels())
    return wb


def write_new(path: Path | str, rows: dict[str, list[dict[str, object]]] | None = None) -> Path:
    """Create a new AuthBook workbook file at ``path`` (atomically; an existing file is kept as
    ``PATH.bak``)."""
    path = Path(path)
    save_atomically(new_workbook(rows), path)
    return path
