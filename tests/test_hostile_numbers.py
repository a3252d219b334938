"""Issue 25 items 6 and 11: a number is read as written or refused with a reason, never
silently scaled (12,0 is not 120) and never so large it breaks a refresh."""

from __future__ import annotations

from authbook.rules.values import parse_money, parse_units
from tests.cli.migrate_fixtures import fresh_book, run_import, sheet_rows, write_csv

HEADER = ["Patient", "CPT", "Auth Number", "Visits Approved", "Visits Used", "Start", "Exp Date"]


def test_a_decimal_comma_in_a_semicolon_csv_is_read_as_a_decimal_comma(tmp_path, capsys):
    src = write_csv(
        tmp_path / "export.csv",
        [
            HEADER,
            ["Doe, Jane", "90834", "EU-1", "12,0", "2,0", "15.01.2026", "30.06.2026"],
            ["Roe, Rick", "90837", "EU-2", "1.000,0", "0", "15.01.2026", "30.06.2026"],
            ["Poe, Ann", "90837", "EU-3", "12,5", "0", "15.01.2026", "30.06.2026"],
        ],
        "cp1252",
        delimiter=";",
    )
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, counts = run_import(capsys, src, book)
    assert "decimal comma" in out
    assert counts == (3, 2, 1, 0), out  # 12,5 visits is not a whole number: rejected
    auths = {a["Auth #"]: a for a in sheet_rows(book, "Auths")}
    assert auths["EU-1"]["Allotted Units"] == 12 and auths["EU-1"]["Prior Units Used"] == 2
    assert auths["EU-2"]["Allotted Units"] == 1000
    assert "EU-3" not in auths and status == 1


def test_a_comma_that_is_not_a_thousands_separator_is_never_dropped():
    assert parse_units("12,0")[0] is None and "comma" in parse_units("12,0")[1]
    assert parse_money("12,50")[0] is None
    assert parse_units("1,200") == (1200, None)
    assert parse_money("$1,200.50") == (1200.5, None)


def test_a_comma_csv_with_12_comma_0_rejects_the_row_with_a_reason(tmp_path, capsys):
    src = write_csv(
        tmp_path / "export.csv",
        [HEADER, ["Doe, Jane", "90834", "US-1", "12,0", "0", "1/15/2026", "6/30/2026"]],
        "utf-8",
    )
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, counts = run_import(capsys, src, book)
    assert counts == (1, 0, 1, 0), out
    assert "Visits Approved" in out and "comma" in out
    assert not sheet_rows(book, "Auths")


def test_values_beyond_100000_units_are_problems_naming_the_cell_not_crashes(tmp_path, capsys):
    from datetime import date

    from openpyxl import load_workbook

    from authbook.cli import main
    from authbook.rules.values import MAX_UNITS
    from authbook.workbook import template

    book = tmp_path / "practice.xlsx"
    auth = {
        "client_id": "C1",
        "billing_code": "90834",
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 6, 30),
    }
    template.write_new(
        book,
        {
            "Clients": [{"client_id": "C1", "active": True}],
            "Auths": [
                {**auth, "auth_no": "A1", "allotted_units": 1e20},
                {**auth, "auth_no": "A2", "allotted_units": 10, "prior_units_used": 1e308},
                {**auth, "auth_no": "A3", "billing_code": "90837", "allotted_units": MAX_UNITS},
            ],
            "Notes": [
                {
                    "note_id": "N1",
                    "client_id": "C1",
                    "service_date": date(2026, 2, 1),
                    "billing_code": "90837",
                    "units": 1e308,
                    "status": "Released",
                },
            ],
        },
    )
    status = main(["refresh", str(book), "--as-of", "2026-03-01"])
    err = capsys.readouterr().err
    assert status == 1, err
    for cell in ("Auths!G2 (Allotted Units)", "Auths!H3 (Prior Units Used)", "Notes!F2 (Units)"):
        assert cell in err and "100,000" in err
    assert "e+308" in err or "1e+" in err  # shown short, not as 309 digits
    ws = load_workbook(book)["Auths"]
    assert ws["H3"].value == 1e308  # the input cell is left as typed
    remaining = [c.value for c in ws[1] if c.value == "Remaining Units"]
    assert remaining  # the workbook was written whole
