"""The committed workbook_template.xlsx is what `authbook template` makes from the schema."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from authbook.cli import main
from authbook.workbook import schema

COMMITTED = Path(__file__).resolve().parents[2] / "workbook_template.xlsx"


def layout(path: Path) -> dict:
    """What a user sees of a workbook's structure and starter rows."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "headers": [c.value for c in ws[1]],
            "tables": dict(ws.tables.items()),
            "rows": [list(r) for r in ws.iter_rows(min_row=2, values_only=True)],
            "validations": sorted(
                (str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation
            ),
            "frozen": ws.freeze_panes,
        }
    return out


def test_committed_template_matches_the_schema(tmp_path):
    fresh = tmp_path / "template.xlsx"
    assert main(["template", str(fresh)]) == 0
    assert layout(COMMITTED) == layout(fresh), (
        "workbook_template.xlsx is out of date: run `authbook template workbook_template.xlsx`"
    )


def test_every_schema_sheet_is_a_table_named_like_the_sheet():
    wb = load_workbook(COMMITTED)
    for spec in schema.SHEETS:
        ws = wb[spec.name]
        assert list(ws.tables) == [spec.table]
        assert [c.value for c in ws[1]] == spec.headers


def test_template_ships_codes_groups_and_settings():
    wb = load_workbook(COMMITTED)
    codes = {r[0] for r in wb["BillingCodes"].iter_rows(min_row=2, values_only=True)}
    assert {"90791", "90834", "90837", "H2019", "99214"} <= codes
    groups = [r[0] for r in wb["AuthGroups"].iter_rows(min_row=2, values_only=True)]
    assert len(groups) == 2
    settings = [r[0] for r in wb["Settings"].iter_rows(min_row=2, values_only=True)]
    assert settings == [label for label, *_ in schema.SETTING_ROWS]
