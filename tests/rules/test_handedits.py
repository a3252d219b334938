"""Issue 25 item 4: which Auths cells were typed by hand since AuthBook's last save."""

from __future__ import annotations

from datetime import date, datetime

from authbook.rules.handedits import hand_edits

FIELDS = ("auth_no", "client_id", "allotted_units", "end_date")


def row(no, units, end=date(2026, 6, 30), client="C1"):
    return {"auth_no": no, "client_id": client, "allotted_units": units, "end_date": end}


def cells(changes):
    return {(c.source.row, c.field): (c.old, c.new) for c in changes}


def test_an_edited_cell_is_one_change_old_to_new_and_equal_values_are_no_change():
    before = {2: row("A1", 10), 3: row("A2", 5)}
    now = {2: row("A1", 12.0), 3: row("A2", 5.0, datetime(2026, 6, 30))}  # 5.0 == 5
    changed, deleted = hand_edits("Auths", before, now, FIELDS)
    assert cells(changed) == {(2, "allotted_units"): (10, 12)}
    assert not deleted


def test_rows_sorted_by_hand_are_paired_by_auth_number_not_by_row():
    before = {2: row("A1", 10), 3: row("A2", 5), 4: row("A3", 8)}
    now = {2: row("A3", 8), 3: row("A1", 10), 4: row("A2", 6)}
    changed, deleted = hand_edits("Auths", before, now, FIELDS)
    assert cells(changed) == {(4, "allotted_units"): (5, 6)}
    assert not deleted


def test_a_new_row_and_a_deleted_row_are_logged_with_blank_old_and_new_values():
    before = {2: row("A1", 10), 3: row("A2", 5)}
    now = {2: row("A1", 10), 4: row("A9", 3)}
    changed, deleted = hand_edits("Auths", before, now, FIELDS)
    assert cells(changed)[(4, "allotted_units")] == (None, 3)
    assert cells(deleted)[(3, "allotted_units")] == (5, None)


def test_an_auth_number_edited_in_place_is_an_edit_of_that_row():
    before = {2: row("A1", 10)}
    now = {2: row("B7", 10)}
    changed, deleted = hand_edits("Auths", before, now, FIELDS)
    assert cells(changed) == {(2, "auth_no"): ("A1", "B7")}
    assert not deleted
