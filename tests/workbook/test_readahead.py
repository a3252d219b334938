"""Sheets read ahead (``workbook.readahead``): what the reader returns with them is what it
returns without; a file replaced or changed after the parse began is read again; a file
the reader would refuse is never parsed ahead."""

from __future__ import annotations

import os
import shutil
import threading
import zipfile
from datetime import date
from pathlib import Path

import pytest

from authbook.demo import demo_rows
from authbook.services import readahead as service
from authbook.workbook import readahead, schema, template
from authbook.workbook.fastread import read_sheets
from authbook.workbook.xlsxfile import FastWorkbookFile

NAMES = list(service.INPUT_SHEETS)


@pytest.fixture(scope="module")
def practices(tmp_path_factory) -> tuple[Path, Path]:
    """Two small practices' workbooks (different clients, so different cells)."""
    folder = tmp_path_factory.mktemp("ahead")
    one, two = folder / "one.xlsx", folder / "two.xlsx"
    template.write_new(one, demo_rows(date(2026, 3, 1), clients=12))
    template.write_new(two, demo_rows(date(2026, 5, 1), clients=7))
    return one, two


def test_the_input_sheets_read_ahead_are_the_schemas_with_notes_first():
    assert set(service.INPUT_SHEETS) == {s.name for s in schema.INPUT_SHEETS}
    assert len(service.INPUT_SHEETS) == len(set(service.INPUT_SHEETS))
    assert service.INPUT_SHEETS[0] == schema.NOTES.name


def test_sheets_read_ahead_read_as_sheets_read_then(practices):
    path = practices[0]
    ahead = service.read_ahead(path)
    assert ahead is not None
    with_ahead = read_sheets(path, NAMES, ahead)
    assert with_ahead == read_sheets(path, NAMES)
    assert with_ahead[schema.NOTES.name].rows  # (the demo has notes: the test compares rows)


def test_a_reader_asking_for_fewer_sheets_takes_them_from_the_read_ahead(practices):
    path = practices[0]
    fewer = NAMES[:-1]  # as ``authbook eligible`` asks (no AuditLog)
    assert read_sheets(path, fewer, service.read_ahead(path)) == read_sheets(path, fewer)


@pytest.mark.parametrize("how", ["replaced", "written over"])
def test_a_file_changed_after_the_parse_began_is_read_again(practices, tmp_path, how):
    one, two = practices
    path = tmp_path / "book.xlsx"
    shutil.copy(one, path)
    ahead = service.read_ahead(path)
    assert ahead is not None
    if how == "replaced":  # as a save does: a new file put in its place
        shutil.copy(two, tmp_path / "new.xlsx")
        os.replace(tmp_path / "new.xlsx", path)
    else:
        path.write_bytes(two.read_bytes())
    assert read_sheets(path, NAMES, ahead) == read_sheets(two, NAMES)


def test_the_store_takes_the_read_ahead_once(practices, tmp_path):
    path = tmp_path / "book.xlsx"
    shutil.copy(practices[0], path)
    store = FastWorkbookFile(path, service.read_ahead(path))
    first = store.read_sheets(NAMES)
    assert store.read_sheets(NAMES) == first == read_sheets(path, NAMES)


def test_what_the_reader_refuses_is_never_parsed_ahead(practices, tmp_path):
    """A missing file, a folder, a named pipe (opening it would wait for a writer), a text
    file, a csv, a zip bomb's part: each is left to the reader, which says what is wrong."""
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    csv = tmp_path / "book.csv"
    shutil.copy(practices[0], csv)
    bomb = tmp_path / "bomb.xlsx"
    shutil.copy(practices[0], bomb)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/huge.bin", b"\0" * (readahead.TOTAL_BYTES + 1))
    large_sheet = tmp_path / "large.xlsx"
    shutil.copy(practices[0], large_sheet)
    with zipfile.ZipFile(large_sheet, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet99.xml", b" " * readahead.SPLIT_BYTES)
    found = {}

    def probe():
        for path in (tmp_path / "missing.xlsx", tmp_path, fifo, text, csv, bomb, large_sheet):
            found[path.name] = service.read_ahead(path)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "read_ahead waited on a named pipe"
    assert found == dict.fromkeys(found) and len(found) == 7


@pytest.mark.parametrize("damage", ["a text cell pointing past the shared strings", "cut"])
def test_a_sheet_that_cannot_be_read_raises_as_it_does_without_the_read_ahead(tmp_path, damage):
    """calamine's own error (raised in the thread that parsed ahead), or the scan's: the
    same error, read ahead or not (the file adapter then falls back to openpyxl, which
    says what is wrong)."""
    path = tmp_path / "book.xlsx"
    template.write_new(path, demo_rows(date(2026, 3, 1), clients=3))
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":  # Auths
                if damage == "cut":
                    data = data[: len(data) // 2]
                else:
                    cell = b'<c r="A2" t="inlineStr">'
                    data = data.replace(cell, b'<c r="A2" t="s"><v>99999</v></c>' + cell, 1)
            out.writestr(info, data)

    def outcome(ahead):
        try:
            return ("read", read_sheets(broken, NAMES, ahead))
        except Exception as exc:  # noqa: BLE001 (the error's type is what is compared)
            return ("error", type(exc).__name__)

    expected = ("error", "UnreadableSheet" if damage == "cut" else "CalamineError")
    assert outcome(service.read_ahead(broken)) == outcome(None) == expected
