"""Reading tracker files: encodings, delimiters, merged cells, sheets; and every writer in the
workbook layer keeps text as text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from openpyxl import Workbook

from authbook.workbook import sources


def test_csv_in_windows_1252_reads_accents_and_curly_quotes(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("Patient,Notes\r\nJosé Núñez,“call” – €5\r\n".encode("cp1252"))
    table = sources.read_source(path)
    assert table.encoding == "cp1252" and table.delimiter == ","
    assert table.rows == [(1, ["Patient", "Notes"]), (2, ["José Núñez", "“call” – €5"])]


def test_csv_with_a_byte_order_mark_and_semicolons(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes('\ufeffPatient;CPT;Units\n"Doe; Jane";90834;12\n'.encode())
    table = sources.read_source(path)
    assert table.encoding == "utf-8-sig" and table.delimiter == ";"
    assert table.rows[0][1][0] == "Patient"  # no BOM left in the first header
    assert table.rows[1] == (2, ["Doe; Jane", "90834", "12"])


def test_csv_with_bytes_no_windows_code_page_has_falls_back_to_latin_1(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"A\tB\n\x81x\ty\n")
    table = sources.read_source(path)
    assert table.encoding == "latin-1" and table.delimiter == "\t"
    assert table.rows[1] == (2, ["\x81x", "y"])


def test_blank_rows_are_kept_inside_and_trimmed_at_the_end(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("A,B\n,\n1,2\n,\n\n")
    assert sources.read_source(path).rows == [(1, ["A", "B"]), (2, []), (3, ["1", "2"])]


def test_merged_cells_read_the_top_left_value_in_every_cell(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Title"])
    ws.append(["Patient", "CPT"])
    ws.append(["Doe, Jane", "90834"])
    ws.append([None, "90837"])
    ws.merge_cells("A1:B1")
    ws.merge_cells("A3:A4")
    wb.create_sheet("Other").append(["x"])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    table = sources.read_source(path)
    assert table.sheet == "Sheet" and not table.is_csv
    assert table.rows == [
        (1, ["Title", "Title"]),
        (2, ["Patient", "CPT"]),
        (3, ["Doe, Jane", "90834"]),
        (4, ["Doe, Jane", "90837"]),
    ]
    assert sources.read_source(path, "other").rows == [(1, ["x"])]
    with pytest.raises(sources.SourceError, match="no sheet 'Nope'.*Sheet, Other"):
        sources.read_source(path, "Nope")


def test_unsupported_or_fake_files_are_refused_with_a_message(tmp_path):
    (tmp_path / "t.pdf").write_text("x")
    with pytest.raises(sources.SourceError, match="imports .xlsx, .xlsm and .csv"):
        sources.read_source(tmp_path / "t.pdf")
    (tmp_path / "t.xlsx").write_text("not a zip")
    with pytest.raises(sources.SourceError, match="not an Excel workbook"):
        sources.read_source(tmp_path / "t.xlsx")
    # Excel keeps a workbook with a password to open in the compound format of .xls
    (tmp_path / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(sources.SourceError, match="locked.xlsx is protected with a password"):
        sources.read_source(tmp_path / "locked.xlsx")


WORKBOOK = Path(__file__).resolve().parents[2] / "authbook" / "workbook"


def test_every_openpyxl_cell_value_is_set_through_set_cell():
    """Text starting with '=' would become a formula if a cell's value were set directly."""
    offenders = []
    for path in WORKBOOK.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef) or func.name == "set_cell":
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Attribute) and target.attr == "value":
                            if path.name != "live.py":  # live Excel: values go via excel_text
                                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_delimiter_is_chosen_from_the_table_lines_not_a_title_row_above_them(tmp_path):
    path = tmp_path / "t.csv"
    text = (
        "Sunrise Counseling, Auth Tracker 2026\r\n"
        "Patient;DOB;CPT;Auth Number;Visits Approved;Start;Exp Date;Notes\r\n"
        "Doe, Jane;02.01.1980;90834;PA-1;12;05.01.2026;30.06.2026;“ok” – €5\r\n"
        "Roe, Rick;03.04.1975;90837;PA-2;6;05.01.2026;30.06.2026;\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    table = sources.read_source(path)
    assert table.encoding == "cp1252" and table.delimiter == ";"
    assert table.rows[2] == (
        3,
        ["Doe, Jane", "02.01.1980", "90834", "PA-1", "12", "05.01.2026", "30.06.2026", "“ok” – €5"],
    )
