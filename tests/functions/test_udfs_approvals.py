"""The worksheet functions and `authbook eligible` follow the pinned-note rule of issue 23:
one payer number on several code lines (real .xlsx files, tables as xlwings passes them)."""

from __future__ import annotations

import shutil
from datetime import date

from authbook.cli import main
from authbook.functions import udfs
from authbook.services import refresh as app
from tests.functions.excel_fixtures import _auth, _note, column_of, make_book, table_arg

D = date
AS_OF = D(2026, 3, 1)
SHARED = [
    # one approval, one pool: 20 visits of either code
    _auth("AET-7788", "C1", "90834", D(2026, 1, 1), D(2026, 6, 30), 20, auth_group="Group 1"),
    _auth("AET-7788", "C1", "90837", D(2026, 1, 1), D(2026, 6, 30), 20, auth_group="Group 1"),
    # one number, no pool: units of its own per line
    _auth("MCD-5", "C2", "90791", D(2026, 1, 1), D(2026, 6, 30), 1),
    _auth("MCD-5", "C2", "90834", D(2026, 1, 1), D(2026, 6, 30), 6),
    _auth("OTHER", "C1", "90832", D(2026, 1, 1), D(2026, 6, 30), 4),
]
NOTES = [
    _note("N1", "C1", D(2026, 1, 5), "90837", "Released", 1, auth_no="AET-7788"),
    _note("N2", "C2", D(2026, 1, 6), "90834", "Released", 2, auth_no="MCD-5"),
]


def _book(tmp_path):
    path = make_book(tmp_path, auths=SHARED, notes=NOTES)
    refreshed = tmp_path / "refreshed.xlsx"
    shutil.copy(path, refreshed)
    app.refresh_file(refreshed, AS_OF, AS_OF, user="test")
    return refreshed, table_arg(path, "Auths"), table_arg(path, "Notes")


def test_remaining_of_a_shared_number_is_its_pools_and_a_code_picks_a_line(tmp_path):
    refreshed, auths, notes = _book(tmp_path)
    remaining = [r for r in column_of(refreshed, "Auths", "Remaining Units").values()]
    assert udfs.AB_REMAINING(auths, notes, "AET-7788") == 19
    assert udfs.AB_REMAINING(auths, notes, "MCD-5", "90834") == 4
    assert udfs.AB_REMAINING(auths, notes, "MCD-5", "90791") == 1
    assert 19 in remaining and 4 in remaining
    # lines with units of their own need the code: the cell says so
    answer = udfs.AB_REMAINING(auths, notes, "MCD-5")
    assert answer.startswith(udfs.ERROR) and "give the code" in answer


def test_eligible_codes_of_a_pinned_note_are_the_lines_of_its_number(tmp_path, capsys):
    refreshed, auths, notes = _book(tmp_path)
    assert udfs.AB_ELIGIBLE_CODES(auths, notes, "C1", D(2026, 3, 2)) == [
        ["90834"],
        ["90837"],
        ["90832"],
    ]
    pinned = udfs.AB_ELIGIBLE_CODES(auths, notes, "C1", D(2026, 3, 2), None, "AET-7788")
    assert pinned == [["90834"], ["90837"]]
    status = main(
        ["eligible", str(refreshed), "--client", "C1", "--date", "2026-03-02"]
        + ["--auth-no", "AET-7788"]
    )
    assert status == 0
    assert capsys.readouterr().out.split() == ["90834", "90837"]


def test_auth_for_a_pinned_note_is_the_line_of_its_number_whose_code_fits(tmp_path):
    _, auths, notes = _book(tmp_path)
    day = D(2026, 3, 2)
    assert udfs.AB_AUTH_FOR(auths, notes, "C1", "90837", day, None, "AET-7788") == "AET-7788"
    wrong_code = udfs.AB_AUTH_FOR(auths, notes, "C1", "90791", day, None, "AET-7788")
    assert wrong_code.startswith("AUTH # DOES NOT FIT") and "CARC 15" in wrong_code
    assert "AET-7788 is for 90834, 90837, not 90791" in wrong_code
    other_client = udfs.AB_AUTH_FOR(auths, notes, "C2", "90834", day, None, "AET-7788")
    assert "another client" in other_client
    unknown = udfs.AB_AUTH_FOR(auths, notes, "C1", "90834", day, None, "NOPE-1")
    assert unknown.startswith("AUTH # NOT FOUND")
