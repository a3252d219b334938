"""The surgical writer changes the cells it is asked to, and not one byte of anything else."""

from __future__ import annotations

import re
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from authbook.workbook.fastread import read_package, read_sheets
from authbook.workbook.sheetdata import SheetWrite, SheetWriteLater
from authbook.workbook.xlsx import calcchain
from authbook.workbook.xlsx.writer import NeedsFullRewrite, write_sheets
from tests.workbook import lo_fixtures
from tests.workbook.lo_fixtures import parts

AUTHS_PART = "xl/worksheets/sheet1.xml"
ALERTS_PART = "xl/worksheets/sheet3.xml"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return lo_fixtures.build_sample(tmp_path_factory.mktemp("surgical") / "sample.xlsx")


def changed_parts(before: Path, after: Path) -> set[str]:
    old, new = parts(before), parts(after)
    assert list(old) == list(new), "entries added, removed or reordered"
    return {name for name in old if old[name] != new[name]}


def test_writing_cells_changes_only_that_worksheet(sample, tmp_path):
    out = tmp_path / "out.xlsx"
    write_sheets(sample, out, {"Auths": SheetWrite(cells={(2, 4): 12, (3, 6): "new comment"})})
    assert changed_parts(sample, out) == {AUTHS_PART}
    values = read_sheets(out, ["Auths"])["Auths"].rows
    assert values[0].values[3] == 12 and values[1].values[5] == "new comment"


def test_unchanged_entries_are_copied_compressed_bytes_and_all(sample, tmp_path):
    out = tmp_path / "out.xlsx"
    write_sheets(sample, out, {"Auths": SheetWrite(cells={(2, 4): 12})})
    with zipfile.ZipFile(sample) as a, zipfile.ZipFile(out) as b:
        for info in a.infolist():
            if info.filename == AUTHS_PART:
                continue
            other = b.getinfo(info.filename)
            assert (other.CRC, other.compress_size, other.date_time) == (
                info.CRC,
                info.compress_size,
                info.date_time,
            )


def test_the_same_write_twice_gives_byte_identical_files(sample, tmp_path):
    writes = {
        "Auths": SheetWrite(
            cells={(2, 8): 1.5, (8, 3): date(2027, 1, 1), (9, 1): "A9"},
            last_row=9,
            number_formats={8: "0.00"},
        ),
        "Alerts": SheetWrite(rows=[["Auth #", "Alert", "Since"], ["A9", "OVER", date(2026, 3, 1)]]),
    }
    write_sheets(sample, tmp_path / "one.xlsx", writes)
    write_sheets(sample, tmp_path / "two.xlsx", writes)
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()


def test_a_second_refresh_with_nothing_new_leaves_every_part_identical(sample, tmp_path):
    first = {
        "Auths": SheetWrite(cells={(2, 8): 4, (3, 8): 5}, last_row=8, number_formats={8: "0.0"}),
        "Alerts": SheetWrite(rows=[["Auth #", "Alert", "Since"], ["A2", "LOW", date(2026, 3, 1)]]),
    }
    write_sheets(sample, tmp_path / "one.xlsx", first)
    second = {
        "Auths": SheetWrite(last_row=8, number_formats={8: "0.0"}),
        "Alerts": first["Alerts"],
    }
    write_sheets(tmp_path / "one.xlsx", tmp_path / "two.xlsx", second)
    assert changed_parts(tmp_path / "one.xlsx", tmp_path / "two.xlsx") == set()


def test_text_starting_with_equals_stays_text(sample, tmp_path):
    out = tmp_path / "out.xlsx"
    link = '=HYPERLINK("http://example.com","x")'
    write_sheets(sample, out, {"Auths": SheetWrite(cells={(2, 6): link, (2, 7): "=1+1"})})
    cell = load_workbook(out)["Auths"]["F2"]
    assert cell.value == link and cell.data_type == "s"
    row = read_sheets(out, ["Auths"])["Auths"].rows[0]
    assert row.values[5:7] == [link, "=1+1"] and row.formulas == frozenset()
    assert b"<f>" not in parts(out)[AUTHS_PART].split(b'r="F2"')[1][:200]


def test_written_cells_keep_their_style_and_new_cells_take_the_column_format(sample, tmp_path):
    out = tmp_path / "out.xlsx"
    write_sheets(
        sample,
        out,
        {
            "Auths": SheetWrite(
                cells={(2, 4): 99, (2, 5): 3.25, (4, 9): 7.5, (4, 8): date(2026, 9, 9)},
                number_formats={5: "0.000", 8: "yyyy-mm-dd", 9: "0.000"},
            )
        },
    )
    ws = load_workbook(out)["Auths"]
    assert ws["D2"].fill.fgColor.rgb == "FFDDEEFF"  # kept
    assert ws["E2"].number_format == '"$"#,##0.00'  # an existing cell keeps its format
    assert ws["I4"].number_format == "0.000"  # a new cell takes the column's
    assert ws["H4"].number_format == "yyyy-mm-dd" and ws["H4"].value == datetime(2026, 9, 9)
    assert ws["A1"].font.bold


def test_a_date_written_over_a_number_is_read_back_as_a_date(sample, tmp_path):
    out = tmp_path / "out.xlsx"
    write_sheets(sample, out, {"Auths": SheetWrite(cells={(2, 4): date(2026, 1, 2), (2, 3): 7})})
    row = read_sheets(out, ["Auths"])["Auths"].rows[0]
    assert row.values[3] == datetime(2026, 1, 2) and row.values[2] == 7


def test_rows_replace_a_generated_sheet_and_refit_its_table(sample, tmp_path):
    out = tmp_path / "out.xlsx"
    rows = [["Auth #", "Alert", "Since"], ["A7", "EXPIRED", date(2026, 3, 3)]]
    write_sheets(sample, out, {"Alerts": SheetWrite(rows=rows, last_row=2)})
    assert changed_parts(sample, out) == {ALERTS_PART, "xl/tables/table2.xml"}
    alerts = read_sheets(out, ["Alerts"])["Alerts"]
    assert alerts.headers == rows[0]
    assert [r.values for r in alerts.rows] == [["A7", "EXPIRED", datetime(2026, 3, 3)]]
    assert alerts.table_ref == "A1:C2" and alerts.filter_ref == "A1:C2"
    ws = load_workbook(out)["Alerts"]
    assert ws["C2"].number_format == "mm/dd/yyyy" and ws["A1"].font.bold


def test_the_table_grows_to_the_last_row_and_to_a_new_header(sample, tmp_path):
    out = tmp_path / "out.xlsx"
    cells = {(1, 8): "Used Units", (2, 8): 1, (8, 8): 2, (10, 1): "A10"}
    write_sheets(sample, out, {"Auths": SheetWrite(cells=cells, last_row=10)})
    table = load_workbook(out)["Auths"].tables["Auths"]
    assert table.ref == "A1:H10" and table.autoFilter.ref == "A1:H10"
    assert [c.name for c in table.tableColumns][-2:] == ["Double", "Used Units"]
    assert len({c.id for c in table.tableColumns}) == 8


NEW_SHEETS = {
    "Checks": SheetWrite(
        rows=[["Note ID", "Check", "Since"], ["N2", "=not a formula", date(2026, 3, 1)]],
        last_row=2,
        number_formats={3: "mm/dd/yyyy"},
    ),
    "Dash board": SheetWrite(rows=[["Figures"], [], ["Auths", 12]]),
}


def test_a_sheet_missing_from_the_package_is_added_with_its_table(sample, tmp_path, libreoffice):
    out = tmp_path / "out.xlsx"
    write_sheets(sample, out, NEW_SHEETS)
    old, new = parts(sample), parts(out)
    changed = {n for n in old if old[n] != new[n]}
    listing = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
    assert listing <= changed <= listing | {"xl/styles.xml"}  # styles: a date format added
    assert list(new)[: len(old)] == list(old)  # the old entries first, in their order
    read = read_sheets(out, ["Checks", "Dash board", "Auths"])
    checks = read["Checks"]
    assert checks.headers == ["Note ID", "Check", "Since"]
    assert checks.rows[0].values == ["N2", "=not a formula", datetime(2026, 3, 1)]
    assert (checks.table_name, checks.table_ref, checks.filter_ref) == ("Checks", "A1:C2", "A1:C2")
    assert read["Dash board"].table_name is None and read["Dash board"].rows[0].row == 3
    wb = load_workbook(out)
    assert wb.sheetnames == ["Auths", "Notes", "Alerts", "Checks", "Dash board"]
    assert wb["Checks"]["C2"].number_format == "mm/dd/yyyy"
    assert [c.name for c in wb["Checks"].tables["Checks"].tableColumns] == checks.headers
    seen = libreoffice.cells(out, "Checks", "Dash board")
    assert seen["Checks"][1][1] == {"text": "=not a formula"}
    assert seen["Checks"][1][2]["value"] == lo_fixtures.excel_serial(date(2026, 3, 1))
    assert seen["Dash board"][2][1]["value"] == 12


def test_adding_a_sheet_twice_gives_the_same_bytes_and_a_second_write_changes_nothing(
    sample, tmp_path
):
    write_sheets(sample, tmp_path / "one.xlsx", NEW_SHEETS)
    write_sheets(sample, tmp_path / "two.xlsx", NEW_SHEETS)
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()
    write_sheets(tmp_path / "one.xlsx", tmp_path / "three.xlsx", NEW_SHEETS)
    assert changed_parts(tmp_path / "one.xlsx", tmp_path / "three.xlsx") == set()


def test_a_sheet_name_excel_refuses_needs_a_full_rewrite(sample, tmp_path):
    out = tmp_path / "out.xlsx"
    with pytest.raises(NeedsFullRewrite):
        write_sheets(sample, out, {"Bad/Name": SheetWrite(rows=[["Sheet"]])})
    assert not out.exists()


def test_libreoffice_and_openpyxl_read_the_values_written(sample, tmp_path, libreoffice):
    out = tmp_path / "out.xlsx"
    cells = {
        (2, 8): "OK",
        (3, 8): '=HYPERLINK("http://example.com")',
        (5, 8): 12.5,
        (6, 8): date(2026, 7, 4),
        (8, 8): True,
        (2, 4): 42,
    }
    write_sheets(sample, out, {"Auths": SheetWrite(cells=cells, number_formats={8: "0.00"})})
    ws = load_workbook(out)["Auths"]
    assert [ws.cell(r, 8).value for r in (2, 3, 5, 6, 8)] == [
        "OK",
        '=HYPERLINK("http://example.com")',
        12.5,
        datetime(2026, 7, 4),
        True,
    ]
    seen = libreoffice.cells(out, "Auths")["Auths"]
    assert seen[1][7] == {"text": "OK"}
    assert seen[2][7] == {"text": '=HYPERLINK("http://example.com")'}
    assert seen[4][7]["value"] == 12.5
    assert seen[5][7]["value"] == lo_fixtures.excel_serial(date(2026, 7, 4))
    assert seen[7][7]["value"] == 1
    assert seen[1][3]["value"] == 42
    assert seen[1][6]["formula"] == "=D2*2"  # a formula not written to is still a formula


# --- property: exactly the edits, and nothing else ----------------------------------------

VALUES = st.one_of(
    st.none(),
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
        min_size=1,
        max_size=12,
    ).filter(lambda s: s.strip() == s and s.strip()),
    st.integers(-(10**9), 10**9),
    st.floats(-1e9, 1e9, allow_nan=False).map(lambda f: round(f, 6)),
    st.booleans(),
    st.dates(date(1950, 1, 1), date(2100, 1, 1)),
    st.datetimes(datetime(1950, 1, 1), datetime(2100, 1, 1)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
)
EDITS = st.dictionaries(st.tuples(st.integers(2, 11), st.integers(1, 7)), VALUES, max_size=25)


def _as_read(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=EDITS)
def test_reading_back_gives_exactly_the_edits_applied(sample, edits):
    before = read_sheets(sample, ["Auths", "Notes", "Alerts"])
    grid = {r.row: list(r.values) for r in before["Auths"].rows}
    formulas = {r.row: set(r.formulas) for r in before["Auths"].rows}
    for (row, col), value in edits.items():
        grid.setdefault(row, [None] * 7)[col - 1] = _as_read(value)
        formulas.get(row, set()).discard(col)
    expected = {r: v for r, v in grid.items() if any(x is not None for x in v)}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.xlsx"
        write_sheets(sample, out, {"Auths": SheetWrite(cells=edits)})
        after = read_sheets(out, ["Auths", "Notes", "Alerts"])
        assert {r.row: r.values for r in after["Auths"].rows} == expected
        assert {r.row: set(r.formulas) for r in after["Auths"].rows} == {
            r: formulas.get(r, set()) for r in expected
        }
        assert after["Auths"].hidden_rows == before["Auths"].hidden_rows
        assert after["Notes"] == before["Notes"] and after["Alerts"] == before["Alerts"]
        assert changed_parts(sample, out) <= {AUTHS_PART, "xl/styles.xml"}
        ws = load_workbook(out)["Auths"]
        for (row, col), value in edits.items():
            seen = ws.cell(row, col).value
            assert _as_read(seen) == _as_read(value), (row, col)


def test_a_new_cell_takes_a_cell_format_the_workbook_has_without_adding_a_copy(tmp_path):
    """openpyxl (``authbook new``) writes the date and money formats of plain cells without
    ``applyNumberFormat``: a date and an amount written into new cells take those formats,
    and styles.xml gains no copy of them (a first refresh's writer child and the refresh
    adding a style each would stop them writing side by side)."""
    from openpyxl import Workbook

    src, out = tmp_path / "new.xlsx", tmp_path / "out.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Auths"
    ws.append(["Auth #", "End Date", "Charge"])
    ws.append(["A1", date(2026, 1, 1), 12.5])
    ws["B2"].number_format, ws["C2"].number_format = "mm/dd/yyyy", "#,##0.00"
    wb.save(src)
    cells = {(3, 1): "A2", (3, 2): date(2026, 2, 2), (3, 3): 7.25}
    formats = {2: "mm/dd/yyyy", 3: "#,##0.00"}
    write_sheets(src, out, {"Auths": SheetWrite(cells=cells, number_formats=formats)})
    assert parts(out)["xl/styles.xml"] == parts(src)["xl/styles.xml"]
    ws = load_workbook(out)["Auths"]
    assert (ws["B3"].number_format, ws["C3"].number_format) == ("mm/dd/yyyy", "#,##0.00")
    assert (ws["B3"].style_id, ws["C3"].style_id) == (ws["B2"].style_id, ws["C2"].style_id)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.integers(2, 40)), min_size=1, max_size=25, unique=True
    ),
    st.data(),
)
def test_the_calculation_chain_loses_exactly_the_cells_written_over(entries, data):
    """Excel's calcChain names an entry's sheet (``i``) only where it changes; taking cells
    out must leave every other cell, in order, on its own sheet."""
    xml, last = [], None
    for sheet, row in entries:
        xml.append(f'<c r="B{row}"{f" i={chr(34)}{sheet}{chr(34)}" if sheet != last else ""}/>')
        last = sheet
    chain = b'<calcChain xmlns="main">' + "".join(xml).encode() + b"</calcChain>"
    gone = data.draw(st.sets(st.sampled_from(entries)))
    left = [e for e in entries if e not in gone]

    def overwritten(sheet: bytes, ref) -> bool:
        return (int(sheet), int(ref.group(2))) in gone

    mended = calcchain._chain_without(chain, overwritten)
    if not gone:
        assert mended is chain
    elif not left:
        assert mended is None
    else:
        assert mended.startswith(b'<calcChain xmlns="main"><c ') and mended.endswith(
            b"/></calcChain>"
        )
        read, sheet = [], None
        for tag in re.findall(rb"<c [^>]*/>", mended):
            named = re.search(rb'\bi="(\d+)"', tag)
            sheet = int(named.group(1)) if named else sheet
            read.append((sheet, int(re.search(rb'r="B(\d+)"', tag).group(1))))
        assert read == left


def test_the_calculation_chain_is_mended_without_working_out_cells_a_write_cannot_set(tmp_path):
    """A first refresh's Notes cells are worked out in the child process that writes them;
    a chain naming a Notes formula outside the columns the write fills must not make this
    process work them all out just to find the cell is not among them."""
    from tests.bulk_fixtures import make_book

    path = make_book(tmp_path)
    lo_fixtures.with_calc_chain(path, b'<c r="G2" i="3"/><c r="E2"/>')
    worked_out = []

    def make():
        worked_out.append(True)
        return SheetWrite(cells={(2, 5): "OK"})

    with zipfile.ZipFile(path) as zin:
        package = read_package(zin)
        sheet_ids = re.findall(
            rb'<sheet name="([^"]+)" sheetId="(\d+)"', zin.read("xl/workbook.xml")
        )
        assert (b"Notes", b"3") in sheet_ids
        later = SheetWriteLater(make, expected_rows=1, columns=frozenset({6}))
        replaced = {}
        assert calcchain._mend_calc_chain(zin, package, {"Notes": later}, replaced) == set()
        assert replaced == {} and not worked_out  # G2 and E2: not in column 6
        later = SheetWriteLater(make, expected_rows=1, columns=frozenset({5}))
        calcchain._mend_calc_chain(zin, package, {"Notes": later}, replaced)
        assert worked_out and replaced["xl/calcChain.xml"].endswith(
            b'<c r="G2" i="3"/></calcChain>'
        )
