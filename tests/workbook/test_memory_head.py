"""The hand-edit memory's head: the digest of the Auths rows it remembers, in its second row,
read without the rest of the memory. A save with no cell typed by hand reads only that; one
with an edit, or a memory another program saved, reads the whole memory and logs the edit."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook

from authbook.demo import demo_rows
from authbook.services import refresh
from authbook.workbook import memory, template
from authbook.workbook.fastread import read_sheets

TODAY = date(2026, 3, 1)


@pytest.fixture
def refreshed(tmp_path):
    path = template.write_new(tmp_path / "book.xlsx", demo_rows(TODAY, clients=12))
    refresh.refresh_file(path, TODAY, user="tester")
    return path


def _digest_of_auths(path) -> str:
    return memory.digest(memory.auth_rows(read_sheets(path, ["Auths"])["Auths"]))


def test_the_memory_keeps_the_digest_of_the_auths_rows_as_saved(refreshed):
    head = memory.remembered_head(refreshed)
    assert head is not None
    core, digest = head
    assert digest == _digest_of_auths(refreshed)
    whole = memory.memory_of(read_sheets(refreshed, [memory.SHEET])[memory.SHEET])
    assert core == whole.core


def test_a_save_with_nothing_typed_by_hand_reads_only_the_memorys_head(refreshed, monkeypatch):
    def whole_memory_read(store):
        raise AssertionError("the whole memory was read")

    monkeypatch.setattr(memory, "read_memory", whole_memory_read)
    before = memory.remembered_head(refreshed)
    refresh.refresh_file(refreshed, date(2026, 3, 9), user="tester")
    assert memory.remembered_head(refreshed) == before  # nothing to remember anew


def test_a_cell_typed_by_hand_is_found_through_the_whole_memory(refreshed):
    book = load_workbook(refreshed)  # another program's save: shared strings, new properties
    sheet = book["Auths"]
    column = [c.value for c in sheet[1]].index("Allotted Units") + 1
    old = sheet.cell(row=2, column=column).value
    sheet.cell(row=2, column=column).value = (old or 0) + 7
    book.save(refreshed)
    head = memory.remembered_head(refreshed)
    assert head is None or head[1] != _digest_of_auths(refreshed)  # the edit shows
    refresh.refresh_file(refreshed, date(2026, 3, 2), user="tester")
    log = read_sheets(refreshed, ["AuditLog"])["AuditLog"]
    headers = log.headers
    actions = [r.values[headers.index("Action")] for r in log.rows]
    assert "edit by hand" in actions
    head = memory.remembered_head(refreshed)  # written again, with the new rows' digest
    assert head is not None and head[1] == _digest_of_auths(refreshed)


def test_after_another_program_saves_the_workbook_its_digest_is_still_read_from_the_head(
    refreshed, libreoffice, monkeypatch
):
    """LibreOffice (as Excel) saves the head's text into the shared strings, but keeps the
    digest's numbers in their cells: a refresh with nothing typed by hand reads only the
    head, and writes the memory again (its properties changed, and it was left merely
    hidden), very hidden, its head AuthBook's own once more."""
    saved = libreoffice.resave(refreshed, refreshed.with_name("saved.xlsx"))
    head = memory.remembered_head(saved)
    assert head == (None, _digest_of_auths(saved))
    assert not memory.is_very_hidden(saved)

    def whole_memory_read(store):
        raise AssertionError("the whole memory was read")

    def second_pass(*args, **kwargs):
        raise AssertionError("the package was copied again to hide the memory")

    monkeypatch.setattr(memory, "read_memory", whole_memory_read)
    monkeypatch.setattr(memory, "keep_very_hidden", second_pass)
    refresh.refresh_file(saved, date(2026, 3, 9), user="tester")
    core, digest = memory.remembered_head(saved)
    assert core == memory.core_properties(saved) and digest == _digest_of_auths(saved)
    assert memory.is_very_hidden(saved)
    log = read_sheets(saved, ["AuditLog"])["AuditLog"]
    assert "edit by hand" not in [r.values[log.headers.index("Action")] for r in log.rows]


def test_a_first_refresh_adds_the_memory_very_hidden_in_its_one_write(tmp_path, monkeypatch):
    """The surgical writer lists the memory sheet it adds as very hidden in the same write
    (no second copy of the package after it)."""

    def second_pass(*args, **kwargs):
        raise AssertionError("the package was copied again to hide the memory")

    monkeypatch.setattr(memory, "keep_very_hidden", second_pass)
    path = template.write_new(tmp_path / "book.xlsx", demo_rows(TODAY, clients=12))
    refresh.refresh_file(path, TODAY, user="tester")
    assert memory.is_very_hidden(path)
    assert memory.remembered_head(path)[1] == _digest_of_auths(path)
