"""`authbook import` and `authbook export` on real files: five messy trackers, re-imports,
newer versions, formula-looking text, and the export -> import round trip."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authbook.cli import main
from authbook.workbook import schema, template
from tests.cli.migrate_fixtures import (
    cell_types,
    fresh_book,
    run_import,
    sheet_rows,
    source_row_count,
    write_csv,
    write_tracker,
)

HEADER = [
    "Patient",
    "DOB",
    "Member ID",
    "Insurance",
    "CPT",
    "Auth Number",
    "Visits Approved",
    "Visits Used",
    "Start",
    "Exp Date",
    "Status",
    "Notes",
]


def by(rows, column, value):
    found = [r for r in rows if r.get(column) == value]
    assert len(found) == 1, (column, value, rows)
    return found[0]


def rejects_of(book):
    return sheet_rows(book, "Import Rejects")


# --- 1: title rows, merged cells, US dates typed as text, "12 visits", blank and totals rows ---

TRACKER_1 = [
    ["Sunrise Counseling — Authorization Tracker 2026"],
    ["Updated weekly by the front desk"],
    HEADER,
    [
        "Doe, Jane",
        "01/02/1980",
        "M100",
        "Aetna",
        "90834",
        "PA-1",
        "12 visits",
        "3 visits",
        "1/5/2026",
        "6/30/2026",
        "Active",
        "call 3/1",
    ],
    [
        None,
        None,
        None,
        "Aetna",
        "90837",
        "PA-2",
        "6",
        "0",
        "01/05/2026",
        "03/31/2026",
        "Active",
        None,
    ],
    [None] * 12,
    [
        "Roe, Rick",
        "7/4/1975",
        "M200",
        "Cigna",
        "H0004",
        "C-77",
        "40 units",
        None,
        "2/1/2026",
        "7/31/2026",
        "Pending",
        None,
    ],
    [None] * 12,
    ["Total", None, None, None, None, None, "58", "3", None, None, None, None],
]


def test_tracker_with_title_rows_merged_cells_and_totals_imports_every_auth(tmp_path, capsys):
    src = write_tracker(
        tmp_path / "tracker.xlsx",
        TRACKER_1,
        # the patient's name and DOB merged over both of her auth rows, the titles across
        merges=("A1:L1", "A2:L2", "A4:A5", "B4:B5", "C4:C5"),
    )
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, (read, imported, rejected, skipped) = run_import(capsys, src, book)

    assert status == 0, out
    assert read == source_row_count(TRACKER_1, 3) == 8
    assert (imported, rejected, skipped) == (3, 0, 5)  # 2 titles, 2 blank, 1 totals
    assert "header: row 3 (2 title rows above it)" in out
    auths = sheet_rows(book, "Auths")
    assert len(auths) == 3
    first = by(auths, "Auth #", "PA-1")
    assert first["Allotted Units"] == 12 and first["Prior Units Used"] == 3
    assert first["Start Date"] == date(2026, 1, 5) and first["End Date"] == date(2026, 6, 30)
    assert first["Comments"] == "call 3/1; Status: Active"  # nothing lost
    assert first["Remaining Units"] == 9  # refreshed after the import
    second = by(auths, "Auth #", "PA-2")
    assert second["Client ID"] == first["Client ID"]  # merged name: the same client
    assert by(auths, "Auth #", "C-77")["Allotted Units"] == 40
    clients = sheet_rows(book, "Clients")
    assert len(clients) == 2  # one row per distinct client
    jane = by(clients, "Client ID", first["Client ID"])
    assert (jane["Last Name"], jane["First Name"], jane["DOB"]) == ("Doe", "Jane", date(1980, 1, 2))
    assert jane["Member ID"] == "M100" and jane["Primary Payer"] == "Aetna"
    assert {"Aetna", "Cigna"} <= {r["Payer"] for r in sheet_rows(book, "Payers")}
    assert rejects_of(book) == []
    assert "Jane" not in out and "1980" not in out  # no names or DOB on the terminal


def test_importing_the_same_tracker_again_changes_nothing(tmp_path, capsys):
    src = write_tracker(tmp_path / "tracker.xlsx", TRACKER_1, merges=("A4:A5", "B4:B5", "C4:C5"))
    book = fresh_book(tmp_path / "practice.xlsx")
    run_import(capsys, src, book)
    before = {n: sheet_rows(book, n) for n in ("Clients", "Auths", "Payers", "Import Rejects")}
    stamp = book.stat().st_mtime_ns
    status, out, (read, imported, rejected, skipped) = run_import(capsys, src, book)
    assert status == 0
    assert "nothing to change" in out
    assert "(unchanged 3)" in out and (read, imported) == (8, 3)
    assert book.stat().st_mtime_ns == stamp  # not even saved again
    assert {n: sheet_rows(book, n) for n in before} == before


def test_newer_tracker_updates_only_the_changed_cells_and_logs_them(tmp_path, capsys):
    merges = ("A4:A5", "B4:B5", "C4:C5")
    src = write_tracker(tmp_path / "tracker.xlsx", TRACKER_1, merges=merges)
    book = fresh_book(tmp_path / "practice.xlsx")
    run_import(capsys, src, book, "--user", "first import")
    newer = [list(r) for r in TRACKER_1]
    newer[3][7] = "5 visits"  # PA-1: two more visits used
    newer[6][9] = "8/31/2026"  # C-77: extended
    newer.insert(
        7,
        [
            "Roe, Rick",
            "7/4/1975",
            "M200",
            "Cigna",
            "90791",
            "C-78",
            "1",
            None,
            "2/1/2026",
            "2/28/2026",
            None,
            None,
        ],
    )
    write_tracker(src, newer, merges=merges)
    status, out, (read, imported, rejected, skipped) = run_import(
        capsys, src, book, "--user", "migrator"
    )
    assert status == 0, out
    assert (read, imported, rejected) == (9, 4, 0)
    assert "(new 1, updated 2, unchanged 1)" in out
    auths = sheet_rows(book, "Auths")
    assert len(auths) == 4
    assert by(auths, "Auth #", "PA-1")["Prior Units Used"] == 5
    assert by(auths, "Auth #", "C-77")["End Date"] == date(2026, 8, 31)
    assert by(auths, "Auth #", "PA-2")["Prior Units Used"] == 0
    assert by(auths, "Auth #", "PA-1")["Last Edited By"] == "migrator"
    assert by(auths, "Auth #", "PA-2")["Last Edited By"] == "first import"  # untouched
    assert len(sheet_rows(book, "Clients")) == 2  # Rick was matched, not added again
    if hasattr(schema, "AUDIT_LOG"):
        log = [r for r in sheet_rows(book, schema.AUDIT_LOG.name) if r.get("User") == "migrator"]
        assert {r["Action"] for r in log} == {"import"}
        assert ("C-78", "Allotted Units", None, 1) in {  # the new row's cells are logged too
            (r["Auth #"], r["Column"], r["Old Value"], r["New Value"]) for r in log
        }
        log = [r for r in log if r["Auth #"] != "C-78"]
        assert {(r["Auth #"], r["Column"], r["Old Value"], r["New Value"]) for r in log} == {
            ("PA-1", "Prior Units Used", 3, 5),
            ("C-77", "End Date", date(2026, 7, 31), date(2026, 8, 31)),
        }
    else:
        assert "Prior Units Used: 3 -> 5" in out


# --- 2: a Windows-1252 CSV, semicolons, day-first dates, a formula-injection cell ---------------

TRACKER_2 = [
    [
        "Client",
        "D.O.B.",
        "Payer",
        "Code",
        "Auth #",
        "Approved",
        "Used",
        "From",
        "To",
        "Inpatient",
        "Comments",
    ],
    [
        "Zoë Müller",
        "14/03/1990",
        "Caisse Santé",
        "90834",
        "FR-1",
        "10",
        "2",
        "01/02/2026",
        "31/07/2026",
        "X",
        '=HYPERLINK("http://evil","click")',
    ],
    [
        "José Núñez",
        "02/11/1985",
        "Caisse Santé",
        "90837",
        "FR-2",
        "8 sessions",
        "",
        "15/01/2026",
        "15/06/2026",
        "no",
        "+1 555 0100",
    ],
    [
        "José Núñez",
        "02/11/1985",
        "Caisse Santé",
        "90853",
        "FR-3",
        "sometimes",
        "",
        "15/01/2026",
        "15/06/2026",
        "",
        "@SUM(A1)",
    ],
]


def test_windows_1252_csv_with_day_first_dates_and_formula_text(tmp_path, capsys):
    src = write_csv(tmp_path / "export from old system.csv", TRACKER_2, "cp1252", ";")
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, (read, imported, rejected, skipped) = run_import(capsys, src, book)

    assert "cp1252, semicolon-separated" in out
    assert "dates read as DMY" in out
    assert (read, imported, rejected, skipped) == (3, 2, 1, 0)
    assert status == 1  # a row was rejected
    auths = sheet_rows(book, "Auths")
    fr1 = by(auths, "Auth #", "FR-1")
    assert fr1["Start Date"] == date(2026, 2, 1) and fr1["End Date"] == date(2026, 7, 31)
    assert fr1["Inpatient"] == "Y" and fr1["Payer"] == "Caisse Santé"
    assert fr1["Comments"] == '=HYPERLINK("http://evil","click")'
    assert by(auths, "Auth #", "FR-2")["Comments"] == "+1 555 0100"
    assert by(auths, "Auth #", "FR-2")["Inpatient"] == "N"
    types = cell_types(book, "Auths")
    assert "f" not in types.values()  # no cell became a formula
    clients = sheet_rows(book, "Clients")
    zoe = by(clients, "Last Name", "Müller")
    assert zoe["DOB"] == date(1990, 3, 14) and zoe["First Name"] == "Zoë"
    (reject,) = rejects_of(book)
    assert reject["Source File"] == "export from old system.csv" and reject["Source Row"] == 4
    assert "Approved" in reject["Reason"] and "not a number of units" in reject["Reason"]
    cells = [reject[schema.reject_cell_header(k)] for k in range(1, 12)]
    assert cells[0] == "José Núñez" and cells[5] == "sometimes" and cells[10] == "@SUM(A1)"
    assert "f" not in cell_types(book, "Import Rejects").values()
    assert "rejected row 4" in out and "sometimes" not in out


# --- 3: duplicates, Excel serial dates, Yes/True flags, bad rows --------------------------------

TRACKER_3 = [
    [
        "MRN",
        "Last Name",
        "First Name",
        "CPT Code",
        "Auth #",
        "Units Authorized",
        "Units Used",
        "Effective Date",
        "Expiration Date",
        "Unmanaged",
        "Suspend Alerts",
    ],
    ["K1", "Ames", "Al", "90834", "A-1", 12, 0, 46023, 46203, "No", "Yes"],
    ["K1", "Ames", "Al", "90834", "A-1", 12, 0, 46023, 46203, "No", "Yes"],  # exact duplicate
    [
        "K1",
        "Ames",
        "Al",
        "90834",
        "A-1",
        14,
        0,
        46023,
        46203,
        "No",
        "Yes",
    ],  # same Auth #, other units
    [
        "K2",
        "Bell",
        "Bo",
        "99214",
        None,
        None,
        None,
        date(2026, 1, 1),
        date(2026, 12, 31),
        True,
        None,
    ],
    ["K3", "Cruz", "Cy", None, "A-3", 5, 0, 46023, 46203, None, None],  # no code
    ["K4", "Diaz", "Di", "90837", "A-4", 5, 0, "2/30/2026", 46203, None, None],  # no such date
    ["K5", "Eng", "Ed", "90837", "A-5", 5, 0, 46203, 46023, None, None],  # ends before it starts
]


def test_duplicates_serial_dates_and_bad_rows_are_each_accounted_for(tmp_path, capsys):
    src = write_tracker(tmp_path / "auths.xlsx", TRACKER_3)
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, (read, imported, rejected, skipped) = run_import(capsys, src, book)

    assert status == 1
    assert (read, imported, rejected, skipped) == (7, 2, 4, 1)
    auths = sheet_rows(book, "Auths")
    assert len(auths) == 2
    a1 = by(auths, "Auth #", "A-1")
    assert a1["Client ID"] == "K1" and a1["Allotted Units"] == 12
    assert a1["Start Date"] == date(2026, 1, 1) and a1["End Date"] == date(2026, 6, 30)
    assert a1["Suspend Alerts"] == "Y" and a1["Unmanaged"] == "N"
    unmanaged = by(auths, "Client ID", "K2")
    assert unmanaged["Unmanaged"] == "Y" and unmanaged["Allotted Units"] is None
    assert unmanaged["Auth #"]  # numbered by the refresh after the import
    assert {c["Client ID"] for c in sheet_rows(book, "Clients")} == {"K1", "K2"}
    rejects = {r["Source Row"]: r["Reason"] for r in rejects_of(book)}
    assert set(rejects) == {4, 6, 7, 8}
    assert "same Auth # as row 2" in rejects[4]
    assert "missing Billing Code" in rejects[6]
    assert "not a real date" in rejects[7]
    assert "before the start date" in rejects[8]
    assert "(duplicate 1)" in out
    # imported the same way a second time: no second copy of any reject
    run_import(capsys, src, book)
    assert len(rejects_of(book)) == 4


# --- 4: UTF-8 tab-separated with a BOM, repeated header, grand total, no Auth # ------------------

TRACKER_4 = [
    [
        "Patient Name",
        "Patient ID",
        "Service Code",
        "Sessions Approved",
        "Start of Auth",
        "End of Auth",
        "Therapist",
    ],
    ["Fox, Fay", "P-9", "90834", "20", "2026-01-01", "2026-06-30", "Dr Ash"],
    ["Fox, Fay", "P-9", "90853", "10", "2026-01-01", "2026-06-30", "Dr Ash"],
    [
        "Patient Name",
        "Patient ID",
        "Service Code",
        "Sessions Approved",
        "Start of Auth",
        "End of Auth",
        "Therapist",
    ],
    ["Gale, Gus", "P-10", "H2019", "96 units", "2026-02-01", "2026-04-30", "Dr Birch"],
    ["Grand Total", "", "", "126", "", "", ""],
]


def test_tab_separated_utf8_without_auth_numbers_keys_by_client_code_and_start(tmp_path, capsys):
    src = write_csv(tmp_path / "tracker.tsv", TRACKER_4, "utf-8-sig", "\t")
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, (read, imported, rejected, skipped) = run_import(capsys, src, book)
    assert status == 0, out
    assert (read, imported, rejected, skipped) == (5, 3, 0, 2)  # a repeated header, a total
    assert "tab-separated" in out
    auths = sheet_rows(book, "Auths")
    assert len(auths) == 3 and all(a["Auth #"] for a in auths)  # numbered by the refresh
    assert by(auths, "Billing Code", "H2019")["Allotted Units"] == 96
    clients = sheet_rows(book, "Clients")
    assert {(c["Client ID"], c["Primary Therapist"]) for c in clients} == {
        ("P-9", "Dr Ash"),
        ("P-10", "Dr Birch"),
    }
    assert {"Dr Ash", "Dr Birch"} <= {p["Provider"] for p in sheet_rows(book, "Providers")}
    # the auths now carry AuthBook's numbers; the tracker still has none: matched anyway
    status, out, (read, imported, *_rest) = run_import(capsys, src, book)
    assert "(unchanged 3)" in out and len(sheet_rows(book, "Auths")) == 3


# --- 5: a client list, --kind clients, with a title row and --sheet ------------------------------

TRACKER_5 = [
    ["Client roster"],
    ["Last Name", "First Name", "D.O.B.", "Primary Insurance", "Location", "Member #"],
    ["Hale", "Hu", "12/31/1970", "Medicaid", "North", "=1+1"],
    ["Ives", "Ida", 25000, "Medicaid", "South", "MC-2"],
    ["Hale", "Hu", "12/31/1970", "Medicaid", "North", "=1+1"],
    ["Jones", None, "1970", "Medicaid", None, None],  # a year is not a date of birth
]


def test_client_roster_import_creates_one_client_per_person(tmp_path, capsys):
    src = tmp_path / "roster.xlsx"
    write_tracker(src, [["other sheet"]], sheet="Notes")
    from openpyxl import load_workbook

    wb = load_workbook(src)
    ws = wb.create_sheet("Roster")
    for r, values in enumerate(TRACKER_5, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(r, c).value = value
                if isinstance(value, str):
                    ws.cell(r, c).data_type = "s"
    wb.save(src)
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, (read, imported, rejected, skipped) = run_import(
        capsys, src, book, "--kind", "clients", "--sheet", "roster"
    )
    assert (read, imported, rejected, skipped) == (5, 2, 1, 2)  # title, duplicate
    clients = sheet_rows(book, "Clients")
    assert [c["Client ID"] for c in clients] == ["C0001", "C0002"]
    hale = by(clients, "Last Name", "Hale")
    assert hale["DOB"] == date(1970, 12, 31) and hale["Division"] == "North"
    assert hale["Member ID"] == "=1+1"
    assert by(clients, "Last Name", "Ives")["DOB"] == date(1968, 6, 11)  # an Excel serial
    assert "f" not in cell_types(book, "Clients").values()
    (reject,) = rejects_of(book)
    assert reject["Source Row"] == 6 and "D.O.B." in reject["Reason"]
    assert status == 1


# --- the mapping file and the dry run ------------------------------------------------------------


def test_dry_run_writes_nothing_and_a_mapping_file_that_then_rules(tmp_path, capsys):
    src = write_tracker(tmp_path / "tracker.xlsx", TRACKER_1, merges=("A4:A5", "B4:B5", "C4:C5"))
    book = fresh_book(tmp_path / "practice.xlsx")
    before = book.read_bytes()
    assert main(["import", str(src), "--into", str(book), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing written" in out and book.read_bytes() == before
    mapping = tmp_path / "tracker.map.toml"
    text = mapping.read_text()
    assert '"Visits Used" = "prior_units_used"' in text
    # the user decides the Notes column is not wanted and Status is the request status
    text = text.replace('"Notes" = "comments"', '"Notes" = ""')
    text = text.replace('# "Status" = ""', '"Status" = "owner"')
    mapping.write_text(text)
    status, out, counts = run_import(capsys, src, book, "--map", str(mapping))
    assert status == 0, out
    pa1 = by(sheet_rows(book, "Auths"), "Auth #", "PA-1")
    assert pa1["Comments"] is None and pa1["Owner"] == "Active"


def test_import_asks_before_writing_and_a_no_writes_nothing(tmp_path, capsys, monkeypatch):
    src = write_tracker(tmp_path / "tracker.xlsx", TRACKER_1)
    book = fresh_book(tmp_path / "practice.xlsx")
    before = book.read_bytes()
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(["import", str(src), "--into", str(book)]) == 0
    assert "nothing written" in capsys.readouterr().out
    assert book.read_bytes() == before


def test_missing_source_or_workbook_is_a_usage_error(tmp_path, capsys):
    book = fresh_book(tmp_path / "practice.xlsx")
    assert main(["import", str(tmp_path / "nope.csv"), "--into", str(book), "--yes"]) == 2
    assert "does not exist" in capsys.readouterr().err
    src = write_csv(tmp_path / "t.csv", TRACKER_4, "utf-8")
    assert main(["import", str(src), "--into", str(tmp_path / "none.xlsx"), "--yes"]) == 2
    assert "authbook new" in capsys.readouterr().err


# --- export ---------------------------------------------------------------------------------------


def test_export_writes_every_table_as_utf8_csv_with_formula_text_quoted(tmp_path, capsys):
    book = fresh_book(
        tmp_path / "practice.xlsx",
        {
            "Clients": [
                {"client_id": "C1", "last_name": "Øster", "first_name": "=cmd|' /C calc'!A0"},
            ],
            "Auths": [
                {
                    "auth_no": "A1",
                    "client_id": "C1",
                    "billing_code": "90834",
                    "start_date": date(2026, 1, 1),
                    "end_date": date(2026, 6, 30),
                    "allotted_units": 10,
                    "comments": "-2 units given back",
                },
            ],
        },
    )
    out_dir = tmp_path / "out"
    assert main(["export", str(book), "--to", str(out_dir)]) == 0
    names = {p.name for p in out_dir.iterdir()}
    assert {f"{s.table}.csv" for s in schema.SHEETS} <= names
    with open(out_dir / "Clients.csv", encoding="utf-8", newline="") as f:
        clients = list(csv.DictReader(f))
    assert clients[0]["Last Name"] == "Øster"
    assert clients[0]["First Name"] == "'=cmd|' /C calc'!A0"
    with open(out_dir / "Auths.csv", encoding="utf-8", newline="") as f:
        auths = list(csv.DictReader(f))
    assert auths[0]["Start Date"] == "2026-01-01" and auths[0]["Allotted Units"] == "10"
    assert auths[0]["Comments"] == "'-2 units given back"


# --- the round trip -------------------------------------------------------------------------------

_text = (
    st.text(
        alphabet=st.characters(
            whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters="\x00"
        ),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)
_tricky = st.one_of(_text, st.sampled_from(["=1+1", "+44 20", "-3", "@x", "'quoted", "O'Neil"]))
_day = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
_yn = st.sampled_from([None, True, False])


@st.composite
def practices(draw):
    n = draw(st.integers(1, 3))
    clients = [
        {
            "client_id": f"C{i}",
            "last_name": draw(_tricky),
            "first_name": draw(st.none() | _tricky),
            "dob": draw(
                st.none() | st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 1, 1))
            ),
            "division": draw(st.none() | _tricky),
            "member_id": draw(st.none() | _tricky),
            "active": draw(_yn),
        }
        for i in range(n)
    ]
    auths = []
    for j in range(draw(st.integers(0, 4))):
        start = draw(_day)
        auths.append(
            {
                "auth_no": f"X{j}",
                "client_id": f"C{draw(st.integers(0, n - 1))}",
                "billing_code": draw(st.sampled_from(["90834", "90837", "H0004"])),
                "start_date": start,
                "end_date": draw(st.dates(min_value=start, max_value=date(2031, 12, 31))),
                "allotted_units": draw(st.integers(0, 500)),
                "prior_units_used": draw(st.none() | st.integers(0, 50)),
                "diagnosis": draw(st.none() | _tricky),
                "inpatient": draw(_yn),
                "sliding_scale_pct": draw(st.none() | st.integers(0, 100)),
                "comments": draw(st.none() | _tricky),
            }
        )
    notes = [
        {
            "note_id": f"N{k}",
            "client_id": f"C{draw(st.integers(0, n - 1))}",
            "service_date": draw(_day),
            "billing_code": "90834",
            "units": draw(st.integers(1, 4)),
            "status": draw(st.sampled_from(["Draft", "Pending", "Released"])),
        }
        for k in range(draw(st.integers(0, 3)))
    ]
    return {"Clients": clients, "Auths": auths, "Notes": notes}


def inputs(path, spec):
    """A sheet's input columns, row by row, values compared as a reader would."""
    out = []
    for row in sheet_rows(path, spec.name):
        values = {}
        for column in spec.columns:
            if column.computed:
                continue
            v = row.get(column.header)
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            values[column.field] = v
        out.append(values)
    return out


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(practice=practices())
def test_export_then_import_into_a_fresh_workbook_reproduces_the_inputs(tmp_path_factory, practice):
    tmp = tmp_path_factory.mktemp("roundtrip")
    original = tmp / "original.xlsx"
    template.write_new(original, practice)
    out_dir = tmp / "csv"
    assert main(["export", str(original), "--to", str(out_dir)]) == 0
    fresh = tmp / "fresh.xlsx"
    template.write_new(fresh)
    for kind, table in (("clients", "Clients"), ("auths", "Auths"), ("notes", "Notes")):
        status = main(
            ["import", str(out_dir / f"{table}.csv"), "--into", str(fresh), "--kind", kind, "--yes"]
        )
        assert status in (0, 1)
    for spec in (schema.CLIENTS, schema.AUTHS, schema.NOTES):
        assert inputs(fresh, spec) == inputs(original, spec), spec.name
    assert sheet_rows(fresh, "Import Rejects") == []


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_formula_looking_text_written_by_a_refresh_stays_text(tmp_path, text):
    from authbook.services import refresh as app

    book = fresh_book(
        tmp_path / "p.xlsx",
        {
            "Clients": [{"client_id": "C1", "last_name": text}],
            "Auths": [
                {
                    "auth_no": text,
                    "client_id": "C1",
                    "billing_code": "90834",
                    "start_date": date(2026, 1, 1),
                    "end_date": date(2026, 6, 30),
                    "allotted_units": 2,
                }
            ],
        },
    )
    app.refresh_file(book, date(2026, 3, 1))
    assert "f" not in cell_types(book, "Clients").values()
    assert "f" not in cell_types(book, "Auths").values()
    assert "f" not in cell_types(book, "Alerts").values()
    # (XML turns a carriage return into a line feed; it is still text, never a formula)
    assert sheet_rows(book, "Clients")[0]["Last Name"].replace("\n", "\r") == text


# --- a session log names clients the workbook already has ---------------------------------------


def test_session_log_uses_the_one_client_of_that_name_and_never_invents_clients(tmp_path, capsys):
    book = fresh_book(
        tmp_path / "practice.xlsx",
        {
            "Clients": [
                {"client_id": "C0001", "last_name": "Doe", "first_name": "Jane", "active": "Y"},
                {"client_id": "C0002", "last_name": "Zed", "first_name": "Al", "active": "Y"},
                {"client_id": "C0003", "last_name": "Zed", "first_name": "Al", "active": "Y"},
            ]
        },
    )
    src = write_csv(
        tmp_path / "sessions.csv",
        [
            ["Patient", "Date of Service", "CPT", "Therapist"],
            ["Doe, Jane", "03/02/2026", "90834", "Lee"],
            ["Jane Doe", "03/09/2026", "90834", "Lee"],
            ["Zed, Al", "03/09/2026", "90834", "Lee"],
            ["Quill, Max", "03/09/2026", "90834", "Lee"],
        ],
        "utf-8",
    )
    status, out, counts = run_import(capsys, src, book, "--kind", "notes")
    assert counts == (4, 2, 2, 0)
    notes = sheet_rows(book, "Notes")
    assert [n["Client ID"] for n in notes] == ["C0001", "C0001"]
    assert len(sheet_rows(book, "Clients")) == 3
    reasons = [r["Reason"] for r in rejects_of(book)]
    assert reasons[0].startswith("ambiguous: 2 clients") and "Zed" in reasons[0]
    assert reasons[1].startswith("no client named") and "Quill" in reasons[1]
    for name in ("Doe", "Jane", "Zed", "Quill"):
        assert name not in out
    assert status == 1


# --- a mapping file that no longer fits the tracker ---------------------------------------------


def _map_for_tracker_1(tmp_path, capsys):
    src = write_tracker(tmp_path / "tracker.xlsx", TRACKER_1)
    book = fresh_book(tmp_path / "practice.xlsx")
    assert main(["import", str(src), "--into", str(book), "--dry-run"]) == 0
    capsys.readouterr()
    mapping = tmp_path / "tracker.map.toml"
    assert "header_row = 3" in mapping.read_text()
    return book, mapping


def test_map_header_row_that_no_longer_holds_the_header_is_a_usage_error(tmp_path, capsys):
    book, mapping = _map_for_tracker_1(tmp_path, capsys)
    before = book.read_bytes()
    for extra in ([["Second title"]], [[None]]):  # the header moved down; row 3 is blank
        src = write_tracker(tmp_path / "tracker.xlsx", TRACKER_1[:2] + extra + TRACKER_1[2:])
        status = main(["import", str(src), "--into", str(book), "--yes", "--map", str(mapping)])
        err = capsys.readouterr().err
        assert status == 2, err
        assert "header_row 3" in err and "'Patient'" in err and "internal error" not in err
        assert book.read_bytes() == before


def test_map_field_that_is_not_a_field_is_a_usage_error_listing_the_fields(tmp_path, capsys):
    book, mapping = _map_for_tracker_1(tmp_path, capsys)
    before = book.read_bytes()
    mapping.write_text(mapping.read_text().replace('= "comments"', '= "commentz"'))
    src = tmp_path / "tracker.xlsx"
    status = main(["import", str(src), "--into", str(book), "--yes", "--map", str(mapping)])
    err = capsys.readouterr().err
    assert status == 2
    assert "'commentz' is not a field" in err and "comments" in err and "prior_units_used" in err
    assert book.read_bytes() == before


def test_semicolon_cp1252_csv_with_a_title_row_imports_every_auth(tmp_path, capsys):
    src = write_csv(
        tmp_path / "tracker.csv",
        [
            ["Praxis Nord, Genehmigungen 2026 – Stand März"],
            ["Patient", "CPT", "Auth Number", "Visits Approved", "Start", "Exp Date", "Notes"],
            ["Doe, Jane", "90834", "PA-1", "12", "15/01/2026", "30/06/2026", "Rückruf"],
            ["Roe, Rick", "90837", "PA-2", "6", "05/01/2026", "31/07/2026", None],
        ],
        "cp1252",
        delimiter=";",
    )
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, counts = run_import(capsys, src, book)
    assert "semicolon-separated" in out
    assert counts == (3, 2, 0, 1), out  # the title row is skipped
    pa1 = by(sheet_rows(book, "Auths"), "Auth #", "PA-1")
    assert pa1["Start Date"] == date(2026, 1, 15) and pa1["Comments"] == "Rückruf"
    assert status == 0, out


def test_import_logs_every_input_cell_of_each_new_row_in_the_audit_log(tmp_path, capsys):
    src = write_tracker(tmp_path / "tracker.xlsx", TRACKER_1, merges=("A4:A5", "B4:B5", "C4:C5"))
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, _ = run_import(capsys, src, book)
    assert status == 0, out
    logged = [e for e in sheet_rows(book, "AuditLog") if e["Action"] == "import"]
    stamps = {"last_edited_date", "last_edited_by"}
    for spec in (schema.AUTHS, schema.CLIENTS):
        filled = {
            (row, c.header)
            for row, values in enumerate(sheet_rows(book, spec.name), start=2)
            for c in spec.columns
            if not c.computed and c.field not in stamps and values.get(c.header) is not None
        }
        assert filled and {(e["Row"], e["Column"]) for e in logged if e["Sheet"] == spec.name} == (
            filled
        )
    pa1 = [e for e in logged if e["Auth #"] == "PA-1" and e["Column"] == "Allotted Units"]
    assert [(e["Old Value"], e["New Value"], e["Sheet"]) for e in pa1] == [(None, 12, "Auths")]
    # importing the same file again adds nothing to the log
    run_import(capsys, src, book)
    assert len([e for e in sheet_rows(book, "AuditLog") if e["Action"] == "import"]) == len(logged)
