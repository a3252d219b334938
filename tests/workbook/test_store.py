"""Every adapter implements the declared store interface (``authbook.workbook.store.Store``):
the openpyxl file, the fast file and the live Excel adapter, each on a real workbook."""

from __future__ import annotations

import inspect
from datetime import date

import pytest

from authbook.demo import demo_rows
from authbook.workbook import schema, template
from authbook.workbook.live import LiveWorkbook
from authbook.workbook.sheetdata import SheetWrite
from authbook.workbook.store import Store
from authbook.workbook.xlsxfile import FastWorkbookFile, WorkbookFile
from tests.functions.live_standin import StandinBook

MEMBERS = sorted(name for name in vars(Store) if not name.startswith("_"))
METHODS = [name for name in MEMBERS if inspect.isfunction(vars(Store)[name])]


@pytest.fixture
def adapters(tmp_path):
    path = template.write_new(tmp_path / "book.xlsx", demo_rows(date(2026, 3, 1), clients=3))
    return {
        "openpyxl file": WorkbookFile(path),
        "fast file": FastWorkbookFile(path),
        "live Excel": LiveWorkbook(StandinBook.from_xlsx(path)),
    }


def test_the_store_declares_reading_writing_saving_and_the_optional_capabilities():
    assert MEMBERS == [
        "apply",
        "drawing_book",
        "read_sheets",
        "read_sheets_in_turn",
        "save",
        "saved_file",
        "sheet_names",
        "start_writing",
        "stop_writing",
    ]


def test_every_adapter_is_a_store(adapters):
    for name, store in adapters.items():
        assert isinstance(store, Store), name


def test_every_adapter_takes_the_arguments_the_store_declares(adapters):
    for name, store in adapters.items():
        for method in METHODS:
            declared = inspect.signature(vars(Store)[method]).parameters
            implemented = inspect.signature(getattr(type(store), method)).parameters
            assert [(p.name, p.kind, p.default) for p in implemented.values()] == [
                (p.name, p.kind, p.default) for p in declared.values()
            ], (name, method)
        assert isinstance(inspect.getattr_static(type(store), "sheet_names"), property), name


def test_every_adapter_reads_the_same_sheet_names(adapters):
    names = {name: store.sheet_names for name, store in adapters.items()}
    assert len({tuple(n) for n in names.values()}) == 1
    assert schema.AUTHS.name in names["fast file"]


def test_only_the_fast_file_adapter_can_start_writing_early_and_the_others_begin_nothing(
    adapters,
):
    for name in ("openpyxl file", "live Excel"):
        store = adapters[name]
        assert store.start_writing(schema.NOTES.name, SheetWrite()) is False, name
        assert store.stop_writing() is None, name
    fast = adapters["fast file"]
    assert fast.start_writing(schema.NOTES.name, SheetWrite()) is False  # too small to fork
    fast.stop_writing()


def test_only_the_openpyxl_adapter_has_a_book_to_draw_charts_into(adapters):
    assert adapters["openpyxl file"].drawing_book() is adapters["openpyxl file"].wb
    assert adapters["fast file"].drawing_book() is None
    assert adapters["live Excel"].drawing_book() is None


def test_the_file_adapters_save_their_file_and_live_excel_none(adapters):
    assert adapters["openpyxl file"].saved_file() == adapters["openpyxl file"].path
    assert adapters["fast file"].saved_file() == adapters["fast file"].path
    assert adapters["live Excel"].saved_file() is None


def test_every_adapter_reads_in_two_turns_what_it_reads_at_once(adapters):
    names = [s.name for s in schema.INPUT_SHEETS]
    for name, store in adapters.items():
        whole = store.read_sheets(names)
        with store.read_sheets_in_turn(names, [schema.NOTES.name, "No Such Sheet"]) as turns:
            assert turns.coming == [schema.NOTES.name], name
            assert schema.NOTES.name not in turns.first, name
            rest = turns.rest()
        assert list(rest) == [schema.NOTES.name], name
        assert {**turns.first, **rest} == whole, name
