"""`authbook import` of trackers that list an approval one row per code with the payer's
number repeated (issue 23), on real .xlsx files."""

from __future__ import annotations

from datetime import date

from tests.cli.migrate_fixtures import fresh_book, run_import, sheet_rows, write_tracker

HEAD = [
    "MRN",
    "Last Name",
    "First Name",
    "CPT Code",
    "Auth #",
    "Units Authorized",
    "Units Used",
    "Effective Date",
    "Expiration Date",
    "Auth Group",
]


def row(mrn, code, number, units=20, start="1/1/2026", end="6/30/2026", group="Group 1"):
    return [mrn, "Ames", "Al", code, number, units, 0, start, end, group]


ONE_ROW_PER_CODE = [
    HEAD,
    row("K1", "90832", "AET-7788"),
    row("K1", "90834", "AET-7788"),
    row("K1", "90837", "AET-7788"),
    row("K1", "90853", "AET-7788"),
    row("K1", "90834", "AET-7788"),  # the same number, code and dates: a duplicate
    row("K1", "90791", "MCD-5", units=1, group=None),
    row("K1", "90834", "MCD-5", units=6, group=None),
]


def test_import_takes_one_number_on_several_code_lines_as_one_approval(tmp_path, capsys):
    src = write_tracker(tmp_path / "tracker.xlsx", ONE_ROW_PER_CODE)
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, (read, imported, rejected, skipped) = run_import(capsys, src, book)
    assert status == 0, out
    assert (read, imported, rejected, skipped) == (7, 6, 0, 1)
    auths = sheet_rows(book, "Auths")
    assert [(a["Auth #"], a["Billing Code"]) for a in auths] == [
        ("AET-7788", "90832"),
        ("AET-7788", "90834"),
        ("AET-7788", "90837"),
        ("AET-7788", "90853"),
        ("MCD-5", "90791"),
        ("MCD-5", "90834"),
    ]
    assert sheet_rows(book, "Problems") == []
    assert sheet_rows(book, "Import Rejects") == []
    # imported again: nothing changes
    status, out, _ = run_import(capsys, src, book)
    assert status == 0 and "nothing to change" in out


def test_import_rejects_a_number_that_is_ambiguous_with_the_reason(tmp_path, capsys):
    tracker = [
        HEAD,
        row("K1", "90834", "AET-7788"),
        row("K2", "90834", "AET-7788"),  # another client's line with the same number
        row("K1", "90834", "AET-7788", start="3/1/2026", end="8/31/2026"),  # overlapping
        row("K1", "90834", "AET-7788", start="7/1/2026", end="12/31/2026"),  # a later period
    ]
    src = write_tracker(tmp_path / "tracker.xlsx", tracker)
    book = fresh_book(tmp_path / "practice.xlsx")
    status, out, (read, imported, rejected, skipped) = run_import(capsys, src, book)
    assert status == 1
    assert (read, imported, rejected, skipped) == (4, 2, 2, 0)
    rejects = {r["Source Row"]: r["Reason"] for r in sheet_rows(book, "Import Rejects")}
    assert set(rejects) == {3, 4}
    assert "same Auth # as row 2, for another client" in rejects[3]
    assert "overlapping dates" in rejects[4]
    auths = sheet_rows(book, "Auths")
    assert [(a["Client ID"], a["End Date"]) for a in auths] == [
        ("K1", date(2026, 6, 30)),
        ("K1", date(2026, 12, 31)),
    ]


def test_newer_tracker_with_a_changed_end_date_updates_that_line(tmp_path, capsys):
    src = write_tracker(tmp_path / "tracker.xlsx", ONE_ROW_PER_CODE)
    book = fresh_book(tmp_path / "practice.xlsx")
    run_import(capsys, src, book)
    newer = [list(r) for r in ONE_ROW_PER_CODE]
    newer[7][8] = "9/30/2026"  # MCD-5 90834 extended by the payer
    write_tracker(src, newer)
    status, out, (read, imported, rejected, skipped) = run_import(capsys, src, book)
    assert status == 0, out
    assert "updated 1" in out
    auths = sheet_rows(book, "Auths")
    assert len(auths) == 6
    assert [a["End Date"] for a in auths if a["Auth #"] == "MCD-5"] == [
        date(2026, 6, 30),
        date(2026, 9, 30),
    ]


def test_import_rejects_a_number_the_workbook_holds_for_another_client(tmp_path, capsys):
    src = write_tracker(tmp_path / "tracker.xlsx", [HEAD, row("K1", "90834", "AET-7788")])
    book = fresh_book(tmp_path / "practice.xlsx")
    run_import(capsys, src, book)
    write_tracker(src, [HEAD, row("K2", "90837", "AET-7788")])
    status, out, (read, imported, rejected, skipped) = run_import(capsys, src, book)
    assert status == 1
    assert rejected == 1
    reason = sheet_rows(book, "Import Rejects")[0]["Reason"]
    assert "another client's" in reason and "Auths row 2" in reason
    assert [a["Client ID"] for a in sheet_rows(book, "Auths")] == ["K1"]
