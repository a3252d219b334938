"""`authbook bulk-add` and `authbook bulk-update` on real .xlsx files: which rows change, what
the AuditLog records, and that bad input changes nothing."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from authbook.cli import main
from tests.bulk_fixtures import (
    AS_OF,
    AUTHS,
    audit_log,
    bulk_book,  # noqa: F401 (the "book" fixture)
    column_of,
    filter_like_excel,
    hide_by_hand,
    input_cells,
    make_book,
    run,
    sheet_rows,
)

NEW_END = datetime(2026, 12, 31)


def end_dates(path) -> dict[int, object]:
    return {row: v["End Date"] for row, v in sheet_rows(path, "Auths").items()}


def rows_changed(before: dict, after: dict) -> set[int]:
    return {row for row in before if before[row] != after.get(row)}


# --- bulk-update: which rows --------------------------------------------------------------------


def test_bulk_update_touches_only_visible_rows(book):
    visible = filter_like_excel(book, "Auths", "Payer", {"Aetna"})
    before = sheet_rows(book, "Auths")
    assert run("bulk-update", str(book), "--visible", "--set", "End Date=12/31/2026", "--yes") == 0
    after = sheet_rows(book, "Auths")
    assert {r for r in after if after[r]["End Date"] == NEW_END} == set(visible) == {2, 3, 5}
    for row in set(before) - set(visible):
        inputs = {h: v for h, v in after[row].items() if h not in ("Auth #",)}
        assert all(inputs[h] == before[row][h] for h in ("End Date", "Payer", "Client ID"))
    ws = load_workbook(book)["Auths"]
    hidden = {r for r, d in ws.row_dimensions.items() if d.hidden}
    assert hidden == set(before) - set(visible)  # the filter is still applied
    table = next(iter(ws.tables.values()))
    assert [c.colId for c in table.autoFilter.filterColumn] == [11]


def test_rows_hidden_by_hand_count_as_hidden(book):
    hide_by_hand(book, "Auths", [3, 6])
    before = end_dates(book)
    assert run("bulk-update", str(book), "--visible", "--set", "End Date=12/31/2026", "--yes") == 0
    after = end_dates(book)
    assert rows_changed(before, after) == set(before) - {3, 6}


def test_visible_on_a_sheet_without_filter_or_hidden_rows_is_refused(tmp_path, capsys):
    path = make_book(tmp_path)
    wb = load_workbook(path)
    ws = wb["Auths"]
    del ws.tables["Auths"]
    wb.save(path)
    before = path.read_bytes()
    assert run("bulk-update", str(path), "--visible", "--set", "Payer=Aetna", "--yes") == 2
    assert "no saved filter" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_where_across_client_columns(book):
    before = end_dates(book)
    code = run(
        "bulk-update",
        str(book),
        "--where",
        "division=North",
        "--where",
        "PRIMARY  payer=Aetna, Medicaid",
        "--set",
        "End Date=2026-12-31",
        "--yes",
    )
    assert code == 0
    # North clients with Aetna or Medicaid: C1 (rows 2, 3) and C5 (rows 8, 9).
    assert rows_changed(before, end_dates(book)) == {2, 3, 8, 9}


def test_where_client_group_and_therapist_with_an_auth_column(book):
    before = end_dates(book)
    args = ["--where", "Client Group=Adults", "--where", "Primary Therapist=dr ash"]
    args += ["--where", "Billing Code=90834"]
    assert run("bulk-update", str(book), *args, "--set", "End Date=12/31/2026", "--yes") == 0
    assert rows_changed(before, end_dates(book)) == {2, 5}


def test_where_with_an_empty_value_matches_blank_cells(book):
    assert (
        run("bulk-update", str(book), "--where", "Payer=", "--set", "Payer=Medicaid", "--yes") == 0
    )
    payers = {r: v["Payer"] for r, v in sheet_rows(book, "Auths").items()}
    assert payers[9] == "Medicaid"
    assert list(payers.values()).count(None) == 0


def test_unknown_where_column_is_a_usage_error(book, capsys):
    before = book.read_bytes()
    assert run("bulk-update", str(book), "--where", "Colour=red", "--set", "Payer=Aetna") == 2
    assert "Colour" in capsys.readouterr().err
    assert book.read_bytes() == before


# --- bulk-update: what changes ------------------------------------------------------------------


def test_only_the_set_columns_change(book):
    before = input_cells(book)
    assert (
        run(
            "bulk-update",
            str(book),
            "--where",
            "Payer=Cigna",
            "--set",
            "Unit Alert Level=2",
            "--yes",
        )
        == 0
    )
    after = input_cells(book)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed == {
        ("Auths", 4, "Unit Alert Level"),
        ("Auths", 10, "Unit Alert Level"),
        ("Auths", 9, "Auth #"),
    }


@pytest.mark.parametrize(
    "assignment",
    [
        "End Date=2/30/2026",  # not a real date
        "Allotted Units=-4",  # negative units
        "Allotted Units=lots",
        "End Date=12/31/2025",  # before the Start Date of every row
        "Payer=Nobody Insurance",  # not on the Payers sheet
        "Auth Group=No Such Group",
        "Unmanaged=maybe",
        "Remaining Units=5",  # computed
        "Active=Y",  # computed
    ],
)
def test_invalid_set_changes_nothing(book, assignment, capsys):
    before = book.read_bytes()
    code = run("bulk-update", str(book), "--where", "Payer=Aetna", "--set", assignment, "--yes")
    assert code == 2
    err = capsys.readouterr().err
    assert "nothing was changed" in err or "cannot be set" in err
    assert book.read_bytes() == before
    assert not book.with_name(book.name + ".bak").exists()


def test_declining_the_confirmation_changes_nothing(book, monkeypatch, capsys):
    before = book.read_bytes()
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert run("bulk-update", str(book), "--where", "Payer=Aetna", "--set", "Payer=Cigna") == 2
    out = capsys.readouterr().out
    assert "3 auths matching --where" in out and "[y/N]" in out
    assert book.read_bytes() == before


def test_confirming_applies_the_change(book, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert run("bulk-update", str(book), "--where", "Payer=Cigna", "--set", "Payer=Aetna") == 0
    payers = [v["Payer"] for v in sheet_rows(book, "Auths").values()]
    assert "Cigna" not in payers


def test_refresh_after_update_reflects_the_change(book):
    # AB000004 (row 5) ended 02/15/2026: expired and inactive as of 03/01/2026.
    assert sheet_rows(book, "Auths")[5]["Active"] is None
    assert (
        run(
            "bulk-update",
            str(book),
            "--where",
            "Auth #=AB000004",
            "--set",
            "End Date=12/31/2026",
            "--yes",
        )
        == 0
    )
    row = sheet_rows(book, "Auths")[5]
    assert row["Active"] == "Y"
    assert row["Remaining Units"] == 20
    alerts = [v["Auth #"] for v in sheet_rows(book, "Alerts").values()]
    assert "AB000004" not in alerts


def test_last_edited_is_set_on_changed_rows_only(book):
    assert (
        run(
            "bulk-update",
            str(book),
            "--where",
            "Payer=Cigna",
            "--set",
            "Unit Alert Level=2",
            "--user",
            "lee",
            "--yes",
        )
        == 0
    )
    rows = sheet_rows(book, "Auths")
    edited = {r for r, v in rows.items() if v["Last Edited By"] == "lee"}
    assert edited == {4, 9, 10}  # the two updated, and the one the refresh numbered
    assert all(isinstance(rows[r]["Last Edited Date"], datetime) for r in edited)
    assert all(v["Last Edited By"] is None for r, v in rows.items() if r not in edited)


def test_text_that_looks_like_a_formula_is_written_as_text(book):
    assert (
        run(
            "bulk-update",
            str(book),
            "--where",
            "Payer=Cigna",
            "--set",
            "Comments==SUM(1,2)",
            "--yes",
        )
        == 0
    )
    ws = load_workbook(book)["Auths"]
    cell = ws.cell(4, column_of(ws, "Comments"))
    assert cell.value == "=SUM(1,2)" and cell.data_type == "s"


# --- bulk-add -----------------------------------------------------------------------------------


def test_bulk_add_of_a_four_code_group_to_three_clients_makes_twelve_auths_that_decrement_together(
    book,
):
    code = run(
        "bulk-add",
        str(book),
        "--code-group",
        "Outpatient Therapy",
        "--clients",
        "C2,C3,C4",
        "--allotted",
        "20",
        "--start",
        "2026-04-01",
        "--end",
        "2026-09-30",
        "--auth-group",
        "Therapy Pool",
        "--payer",
        "Medicaid",
        "--unit-alert",
        "3",
        "--yes",
    )
    assert code == 0
    rows = sheet_rows(book, "Auths")
    new = {r: v for r, v in rows.items() if r > len(AUTHS) + 1}
    assert len(new) == 12
    assert {v["Auth Group"] for v in new.values()} == {"Therapy Pool"}
    assert [v["Billing Code"] for v in new.values()][:4] == ["90832", "90834", "90837", "90853"]
    assert [v["Client ID"] for v in new.values()] == ["C2"] * 4 + ["C3"] * 4 + ["C4"] * 4
    numbers = [v["Auth #"] for v in new.values()]
    assert numbers == [f"AB{n:06d}" for n in range(10, 22)]  # after AB000009
    assert rows[9]["Auth #"] == "AB000022"  # the blank one, numbered by the refresh after
    assert all(v["Last Edited By"] == "pat" for v in new.values())
    assert all(v["Remaining Units"] == 20 and v["Active"] == "N" for v in new.values())

    # A released 90837 session for C3 draws from each of C3's four auths, and from no other.
    wb = load_workbook(book)
    notes = wb["Notes"]
    notes.append(["N2", "C3", datetime(2026, 4, 7), None, "90837", 2, None, "Released"])
    wb.save(book)
    assert main(["refresh", str(book), "--as-of", "2026-04-08"]) == 0
    remaining = {
        (v["Client ID"], v["Billing Code"]): v["Remaining Units"]
        for r, v in sheet_rows(book, "Auths").items()
        if r in new
    }
    assert {code: n for (cid, code), n in remaining.items() if cid == "C3"} == {
        "90832": 18,
        "90834": 18,
        "90837": 18,
        "90853": 18,
    }
    assert all(n == 20 for (cid, _), n in remaining.items() if cid != "C3")


def test_bulk_add_to_clients_matching_where(book):
    args = [
        "--where",
        "Division=South",
        "--allotted",
        "6",
        "--start",
        "4/1/2026",
        "--end",
        "6/30/2026",
    ]
    assert run("bulk-add", str(book), "--code-group", "Medication Management", *args, "--yes") == 0
    new = [v for r, v in sheet_rows(book, "Auths").items() if r > len(AUTHS) + 1]
    assert [(v["Client ID"], v["Billing Code"]) for v in new] == [
        ("C3", "99213"),
        ("C3", "99214"),
        ("C4", "99213"),
        ("C4", "99214"),
    ]


def test_bulk_add_to_the_visible_clients(book):
    visible = filter_like_excel(book, "Clients", "Client Group", {"Youth"})
    assert visible == [3, 5]
    args = ["--visible", "--allotted", "6", "--start", "4/1/2026", "--end", "6/30/2026"]
    assert run("bulk-add", str(book), "--code-group", "Medication Management", *args, "--yes") == 0
    new = [v for r, v in sheet_rows(book, "Auths").items() if r > len(AUTHS) + 1]
    assert [v["Client ID"] for v in new] == ["C2", "C2", "C4", "C4"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--code-group", "No Such Group", "--clients", "C1"], "not on the CodeGroups sheet"),
        (["--code-group", "Outpatient Therapy", "--clients", "C1,C99"], "'C99' is not on"),
        (
            ["--code-group", "Outpatient Therapy", "--clients", "C1", "--auth-group", "Pool X"],
            "not on the AuthGroups sheet",
        ),
        (
            ["--code-group", "Outpatient Therapy", "--clients", "C1", "--end", "2026-01-01"],
            "before Start Date",
        ),
        (["--code-group", "Outpatient Therapy", "--clients", "C1", "--allotted", "-3"], "negative"),
        (["--code-group", "Outpatient Therapy", "--clients", "C1", "--payer", "Nobody"], "Payers"),
    ],
)
def test_bulk_add_with_bad_input_writes_nothing(book, options, message, capsys):
    before = book.read_bytes()
    defaults = {"--allotted": "20", "--start": "2026-04-01", "--end": "2026-09-30"}
    for option, value in defaults.items():
        if option not in options:
            options = [*options, option, value]
    assert run("bulk-add", str(book), *options, "--yes") == 2
    err = capsys.readouterr().err
    assert message in err and "nothing was changed" in err
    assert book.read_bytes() == before


def test_bulk_add_shows_count_and_sample_rows_without_client_names(book, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    args = [
        "--clients",
        "C1,C2,C3",
        "--allotted",
        "20",
        "--start",
        "2026-04-01",
        "--end",
        "2026-09-30",
    ]
    assert run("bulk-add", str(book), "--code-group", "Outpatient Therapy", *args) == 2
    out = capsys.readouterr().out
    assert "12 new auths" in out and "AB000010  C1  90832" in out and "and 7 more" in out
    assert "Sample" not in out and "Pat" not in out


# --- the audit trail ----------------------------------------------------------------------------


def test_audit_log_rows_match_the_cells_changed(book):
    before = input_cells(book)
    assert (
        run(
            "bulk-update",
            str(book),
            "--where",
            "Division=South",
            "--set",
            "End Date=12/31/2026",
            "--set",
            "Unit Alert Level=4",
            "--yes",
        )
        == 0
    )
    after = input_cells(book)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    log = audit_log(book)
    assert {("Auths", e["Row"], e["Column"]) for e in log} == changed
    assert len(log) == len(changed)
    for e in log:
        key = ("Auths", e["Row"], e["Column"])
        assert e["Old Value"] == before.get(key) and e["New Value"] == after.get(key)
        assert e["User"] == "pat" and isinstance(e["Timestamp"], datetime)
    assert {e["Action"] for e in log} == {"bulk update", "new Auth #"}
    numbered = [e for e in log if e["Action"] == "new Auth #"]
    assert [(e["Row"], e["Client ID"], e["New Value"]) for e in numbered] == [(9, "C5", "AB000010")]


def test_audit_log_is_append_only(book):
    assert (
        run(
            "bulk-update",
            str(book),
            "--where",
            "Payer=Cigna",
            "--set",
            "Unit Alert Level=2",
            "--yes",
        )
        == 0
    )
    first = audit_log(book)
    args = ["--clients", "C1", "--allotted", "20", "--start", "2026-04-01", "--end", "2026-09-30"]
    assert run("bulk-add", str(book), "--code-group", "Medication Management", *args, "--yes") == 0
    second = audit_log(book)
    assert second[: len(first)] == first
    added = second[len(first) :]
    assert {e["Action"] for e in added} == {"bulk add"}
    assert {e["Row"] for e in added} == {11, 12}
    assert all(e["Old Value"] is None for e in added)


def test_bulk_commands_create_the_audit_log_in_a_workbook_without_one(book):
    wb = load_workbook(book)
    del wb["AuditLog"]
    wb.save(book)
    assert (
        run(
            "bulk-update",
            str(book),
            "--where",
            "Payer=Cigna",
            "--set",
            "Unit Alert Level=2",
            "--yes",
        )
        == 0
    )
    log = audit_log(book)
    assert [c.value for c in load_workbook(book)["AuditLog"][1]][:3] == [
        "Timestamp",
        "User",
        "Action",
    ]
    assert [e["Action"] for e in log] == ["bulk update", "bulk update", "new Auth #"]


def test_help_says_rows_hidden_by_hand_count_as_hidden(capsys):
    with pytest.raises(SystemExit):
        main(["bulk-update", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Rows hidden by hand count as hidden too" in text


def test_dates_are_passed_as_dates_not_text(book):
    assert (
        run(
            "bulk-update",
            str(book),
            "--where",
            "Payer=Cigna",
            "--set",
            "End Date=December 31 2026",
            "--yes",
        )
        == 0
    )
    assert sheet_rows(book, "Auths")[4]["End Date"] == NEW_END
    assert date(2026, 12, 31) == NEW_END.date()


def test_a_refresh_logs_the_auth_numbers_it_fills_in_dated_so_it_stays_repeatable(book, tmp_path):
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(book.read_bytes())
    assert main(["refresh", str(book), "--as-of", AS_OF.isoformat()]) == 0
    assert main(["refresh", str(copy), "--as-of", AS_OF.isoformat()]) == 0
    log = audit_log(book)
    assert [(e["Action"], e["Row"], e["Column"], e["Old Value"], e["New Value"]) for e in log] == [
        ("new Auth #", 9, "Auth #", None, "AB000010")
    ]
    assert log[0]["Timestamp"] == datetime.combine(date.today(), datetime.min.time())
    assert audit_log(copy) == log
    assert main(["refresh", str(book), "--as-of", AS_OF.isoformat()]) == 0
    assert audit_log(book) == log  # nothing new to number, nothing logged
