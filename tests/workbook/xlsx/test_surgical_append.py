"""The surgical writer's shortcuts (cells appended after a row's last cell, replaced sheets made
from cached cell XML, deflating and inflating in worker threads) write exactly what its general
cell-by-cell path writes."""

from __future__ import annotations

import random
import re
import threading
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table

from authbook.workbook.fastread import read_sheets
from authbook.workbook.sheetdata import CellColumns, SheetWrite
from authbook.workbook.xlsx import entries, writer
from authbook.workbook.xlsx import rows as row_stream
from authbook.workbook.xlsx.cells import _CUSTOM_FORMAT, _LETTERS, has_custom_format
from authbook.workbook.xlsx.sheet import SheetRewriter
from tests.workbook import lo_fixtures

SHEET = "xl/worksheets/sheet1.xml"


def _build(path: Path) -> Path:
    """An openpyxl workbook (rows written ``<row r="n">``): rows of 1 to 4 cells, some styled,
    a Table, a second sheet to be replaced."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Notes"
    ws.append(["Note ID", "Units", "Service Date", "Status", "Payer", "Charge", "Check"])
    for r in range(2, 41):
        width = 1 + r % 4
        for c in range(1, width + 1):
            ws.cell(r, c, f"N{r}" if c == 1 else r * c)
        if r % 5 == 0:
            ws.cell(r, 3).number_format = "mm/dd/yyyy"
    ws.add_table(Table(displayName="Notes", ref="A1:G40"))
    alerts = wb.create_sheet("Alerts")
    alerts.append(["Alert", "Auth #", "Since"])
    alerts.append(["OLD", "A1", date(2020, 1, 1)])
    alerts["C2"].number_format = "yyyy-mm-dd"
    alerts.add_table(Table(displayName="Alerts", ref="A1:C2"))
    wb.save(path)
    return path


def _rewrite_rows(src: Path, dst: Path, change) -> Path:
    """A copy of ``src`` whose Notes row tags are ``change(tag, row)`` (as another program
    writes them)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == SHEET:
                data = re.sub(
                    rb'<row r="(\d+)"[^>]*>',
                    lambda m: change(m.group(0), int(m.group(1))),
                    data,
                )
            zout.writestr(info, data)
    return dst


def _with_spans(tag: bytes, row: int) -> bytes:
    return tag[:-1] + b' spans="1:%d">' % (1 + row % 4)


def _with_row_styles(tag: bytes, row: int) -> bytes:
    return tag[:-1] + (b' s="2" customFormat="1">' if row % 3 == 0 else b' customFormat="0">')


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("append")
    plain = _build(folder / "plain.xlsx")
    return {
        "plain": plain,
        "spans": _rewrite_rows(plain, folder / "spans.xlsx", _with_spans),
        "row styles": _rewrite_rows(plain, folder / "styles.xlsx", _with_row_styles),
    }


_parts = lo_fixtures.parts


def _general_and_fast(monkeypatch, src: Path, writes: dict[str, SheetWrite]):
    general = lo_fixtures.written_with(monkeypatch, src, writes, APPEND_FAST=False)
    return general, lo_fixtures.written_with(monkeypatch, src, writes)


VALUES = st.one_of(
    st.none(),
    st.sampled_from(["OK", "Aetna", " spaced", "a & b < c", "OK"]),
    st.integers(-5, 5),
    st.sampled_from([0.5, 2.0, 150.0]),
    st.booleans(),
    st.sampled_from([date(2026, 3, 1), date(2026, 3, 2), datetime(2026, 3, 1, 12, 30)]),
)
EDITS = st.dictionaries(st.tuples(st.integers(1, 44), st.integers(1, 9)), VALUES, max_size=60)
FORMATS = st.dictionaries(
    st.integers(1, 9), st.sampled_from(["mm/dd/yyyy", "#,##0.00", "0", "@"]), max_size=3
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["plain", "spans", "row styles"]),
    edits=EDITS,
    formats=FORMATS,
    rows=st.lists(st.lists(VALUES, max_size=5), max_size=8),
)
def test_appended_cells_and_replaced_rows_are_written_as_the_general_path_writes_them(
    books, monkeypatch, kind, edits, formats, rows
):
    writes = {
        "Notes": SheetWrite(cells=edits, last_row=44, number_formats=formats),
        "Alerts": SheetWrite(rows=[["Alert", "Auth #", "Since"], *rows], number_formats=formats),
    }
    general, fast = _general_and_fast(monkeypatch, books[kind], writes)
    assert fast == general


def test_a_refresh_filling_every_row_matches_the_general_path(books, monkeypatch):
    """The first refresh of a workbook: every row gets the same computed columns."""
    cells = {}
    for r in range(2, 41):
        cells[(r, 5)] = ("Aetna", "Self Pay")[r % 2]
        cells[(r, 6)] = float(r * 5)
        cells[(r, 7)] = "OK" if r % 7 else None
    for kind, book in books.items():
        writes = {"Notes": SheetWrite(cells=cells, number_formats={6: "#,##0.00"})}
        general, fast = _general_and_fast(monkeypatch, book, writes)
        assert fast == general, kind
    notes = read_sheets(books["plain"], ["Notes"])["Notes"]
    assert notes.rows[0].values[:2] == ["N2", 4]


@st.composite
def cell_columns(draw):
    rows = sorted(draw(st.sets(st.integers(1, 44), max_size=44)))
    columns = sorted(draw(st.sets(st.integers(1, 9), min_size=1, max_size=5)))
    values = [draw(st.lists(VALUES, min_size=len(rows), max_size=len(rows))) for _ in columns]
    return CellColumns(rows, columns, values)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=st.sampled_from(["plain", "spans", "row styles"]), cells=cell_columns(),
       formats=FORMATS)  # fmt: skip
def test_cells_given_by_column_are_written_as_the_same_cells_given_one_by_one(
    books, monkeypatch, kind, cells, formats
):
    """A refresh hands the writer its computed columns as CellColumns: the file must be the
    one the same cells give as a dict, by the fast path and by the general one."""
    by_column = {"Notes": SheetWrite(cells=cells, last_row=44, number_formats=formats)}
    one_by_one = {"Notes": SheetWrite(cells=dict(cells.items()), last_row=44,
                                      number_formats=formats)}  # fmt: skip
    general, fast = _general_and_fast(monkeypatch, books[kind], by_column)
    _, fast_dict = _general_and_fast(monkeypatch, books[kind], one_by_one)
    assert fast == general == fast_dict


def test_spans_widen_to_the_cells_appended(books, tmp_path):
    out = tmp_path / "out.xlsx"
    writer.write_sheets(books["spans"], out, {"Notes": SheetWrite(cells={(6, 7): "OK"})})
    sheet = _parts(out)[SHEET]
    assert re.search(rb'<row r="6" spans="1:7">', sheet)
    assert read_sheets(out, ["Notes"])["Notes"].rows[4].values[6] == "OK"


def test_cells_in_any_order_give_the_same_file(books, tmp_path):
    cells = {(r, c): f"{r}.{c}" for r in range(2, 30) for c in (5, 6, 7)}
    shuffled = list(cells.items())
    random.Random(7).shuffle(shuffled)
    writer.write_sheets(books["plain"], tmp_path / "a.xlsx", {"Notes": SheetWrite(cells=cells)})
    writer.write_sheets(
        books["plain"], tmp_path / "b.xlsx", {"Notes": SheetWrite(cells=dict(shuffled))}
    )
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def _large_writes() -> dict[str, SheetWrite]:
    cells = {(r, c): f"value {r * c}" for r in range(2, 3000) for c in (5, 6, 7)}
    return {"Notes": SheetWrite(cells=cells, last_row=2999)}


def test_parts_deflated_and_inflated_in_worker_threads_are_the_same(books, tmp_path, monkeypatch):
    writer.write_sheets(books["plain"], tmp_path / "inline.xlsx", _large_writes())
    monkeypatch.setattr(entries, "THREAD_AFTER", 1)
    writer.write_sheets(books["plain"], tmp_path / "threads.xlsx", _large_writes())
    assert _parts(tmp_path / "threads.xlsx") == _parts(tmp_path / "inline.xlsx")
    with zipfile.ZipFile(tmp_path / "threads.xlsx") as zf:
        assert zf.testzip() is None
    rows = read_sheets(tmp_path / "threads.xlsx", ["Notes"])["Notes"].rows
    assert rows[-1].values[4:7] == ["value 14995", "value 17994", "value 20993"]


def test_a_failed_write_leaves_no_file_and_no_thread(books, tmp_path, monkeypatch):
    monkeypatch.setattr(entries, "THREAD_AFTER", 1)
    writes = _large_writes()
    writes["Notes"].cells[(2500, 5)] = object()
    out = tmp_path / "out.xlsx"
    with pytest.raises(TypeError):
        writer.write_sheets(books["plain"], out, writes)
    assert not out.exists()
    names = {t.name for t in threading.enumerate()}
    assert not names & {"deflate", "inflate"}


@st.composite
def computed_columns(draw):
    """Columns a first refresh appends: right of every cell of the book's rows (E on), over
    most rows, with gaps."""
    rows = sorted(draw(st.sets(st.integers(2, 44), min_size=1, max_size=44)))
    columns = sorted(draw(st.sets(st.integers(5, 9), min_size=1, max_size=5)))
    values = [draw(st.lists(VALUES, min_size=len(rows), max_size=len(rows))) for _ in columns]
    return CellColumns(rows, columns, values)


def _counting_bulk(monkeypatch) -> list[int]:
    """Count the pieces the column-at-a-time path writes (the first item) and declines."""
    taken = [0, 0]
    bulk = SheetRewriter._rows_in_bulk

    def counted(self, data):
        done = bulk(self, data)
        taken[done is None] += 1
        return done

    monkeypatch.setattr(SheetRewriter, "_rows_in_bulk", counted)
    return taken


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=st.sampled_from(["plain", "spans", "row styles"]), cells=computed_columns(),
       formats=FORMATS, piece=st.sampled_from([60, 200, 700]),
       told=st.none() | st.frozensets(st.sampled_from([str, int, float, bool])))  # fmt: skip
def test_pieces_appended_a_column_at_a_time_are_written_as_row_by_row(
    books, monkeypatch, kind, cells, formats, piece, told
):
    """A first refresh's columns are appended a piece of the sheet at a time when the piece
    allows it; the file must be the one the row-by-row path writes, cell for cell. Also
    when the columns come with the types of their values (``CellColumns.kinds``, which may
    name more types than they hold)."""
    monkeypatch.setattr(row_stream, "CHUNK", piece)
    if told is not None:
        kinds = [frozenset(map(type, values)) | told for values in cells.by_column]
        cells = CellColumns(cells.rows, cells.columns, cells.by_column, kinds)
    writes = {"Notes": SheetWrite(cells=cells, last_row=44, number_formats=formats)}
    rows = lo_fixtures.written_with(monkeypatch, books[kind], writes, APPEND_IN_BULK=False)
    assert lo_fixtures.written_with(monkeypatch, books[kind], writes) == rows


def test_a_refresh_of_plain_rows_is_appended_a_column_at_a_time(books, monkeypatch, tmp_path):
    monkeypatch.setattr(row_stream, "CHUNK", 200)
    taken = _counting_bulk(monkeypatch)
    rows = list(range(2, 41))
    cells = CellColumns(
        rows,
        [5, 6, 7],
        [
            [("Aetna", "Self Pay")[r % 2] for r in rows],
            [float(r * 5) if r % 3 else None for r in rows],
            ["OK" for r in rows],
        ],
    )
    for kind in ("plain", "spans"):
        out = tmp_path / f"{kind}.xlsx"
        writer.write_sheets(books[kind], out, {"Notes": SheetWrite(cells=cells)})
        values = read_sheets(out, ["Notes"])["Notes"].rows
        assert [v.values[4:7] for v in values[1:4]] == [
            ["Self Pay", None, "OK"], ["Aetna", 20, "OK"], ["Self Pay", 25, "OK"]
        ]  # fmt: skip
    assert taken[0] >= 10, taken
    spans = _parts(tmp_path / "spans.xlsx")[SHEET]
    assert re.search(rb'<row r="6" spans="1:7">', spans)


def test_every_column_a_sheet_can_have_is_written_with_excels_letters():
    assert len(_LETTERS) == 16385  # A (1) to XFD (16,384), and nothing at 0
    assert [_LETTERS[c].decode() for c in range(1, 16385)] == [
        get_column_letter(c) for c in range(1, 16385)
    ]


@pytest.mark.parametrize("told", [False, True])
def test_equal_values_of_other_types_keep_their_own_cells(books, monkeypatch, tmp_path, told):
    """1, 1.0 and TRUE are one key to a dict; a column holding 1 in one piece and TRUE in a
    later one still gets a number, then a TRUE/FALSE cell (also when the writer is told the
    types each column holds, ``CellColumns.kinds``)."""
    monkeypatch.setattr(row_stream, "CHUNK", 200)
    rows = list(range(2, 41))
    values = [[1 if r < 20 else True for r in rows], [0 if r < 30 else False for r in rows]]
    kinds = [frozenset({int, bool})] * 2 if told else None
    cells = CellColumns(rows, [5, 6], values, kinds)
    writer.write_sheets(books["plain"], tmp_path / "out.xlsx", {"Notes": SheetWrite(cells=cells)})
    sheet = _parts(tmp_path / "out.xlsx")[SHEET]
    assert re.search(rb'<c r="E19"[^>]*><v>1</v>', sheet)
    assert re.search(rb'<c r="E20"[^>]*t="b"[^>]*><v>1</v>', sheet)
    assert re.search(rb'<c r="F29"[^>]*><v>0</v>', sheet)
    assert re.search(rb'<c r="F30"[^>]*t="b"[^>]*><v>0</v>', sheet)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([" ", "\t", "x", ""]),
            st.sampled_from(["1", "true", "0", "false", "", "11", "True"]),
            st.sampled_from(["", ' s="3"', ' ht="15"']),
        ),
        max_size=4,
    )
)
def test_a_custom_row_format_is_found_as_the_pattern_finds_it(attrs):
    """``has_custom_format`` (byte searches first: LibreOffice writes customFormat="false" on
    every row) answers as the pattern does, for one row's tag or many joined."""
    tag = "".join(f'{before}customFormat="{value}"{rest}' for before, value, rest in attrs)
    tag = f'<row r="2"{tag}>'.encode()
    assert has_custom_format(tag) == bool(_CUSTOM_FORMAT.search(tag))


#: Columns of values as varied as IDs and messages: most new to their column, some needing
#: escapes; each column of one type (or of any, ``VALUES``), with blanks.
KINDS = [
    st.text(max_size=6),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(date(1990, 1, 1), date(2040, 12, 31)),
    VALUES,
]


@st.composite
def typed_rows(draw):
    count = draw(st.integers(2, 40))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4))
    size = {"min_size": count, "max_size": count}
    columns = [draw(st.lists(st.one_of(st.none(), kind, kind), **size)) for kind in kinds]
    return [list(row) for row in zip(*columns)]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=st.sampled_from(["plain", "spans", "row styles"]), cells=computed_columns(),
       rows=typed_rows(),
       formats=FORMATS, piece=st.sampled_from([60, 200, 700]))  # fmt: skip
def test_new_values_made_a_column_at_a_time_are_written_as_one_at_a_time(
    books, monkeypatch, kind, cells, rows, formats, piece
):
    """The cell XML of a piece's new values (a column of IDs or messages) is made in one
    loop (``_new_tails``), on a sheet written anew (its rows a column at a time,
    ``BY_CELL_ROWS`` by cell where a new style is needed) and on the columns a first
    refresh appends: the file is the one the general path writes."""
    monkeypatch.setattr(row_stream, "CHUNK", piece)
    writes = {
        "Notes": SheetWrite(cells=cells, last_row=44, number_formats=formats),
        "Alerts": SheetWrite(rows=[["Alert", "Auth #", "Since"], *rows], number_formats=formats),
    }
    general = lo_fixtures.written_with(monkeypatch, books[kind], writes, APPEND_FAST=False)
    fast = lo_fixtures.written_with(monkeypatch, books[kind], writes, BY_CELL_ROWS=2)
    assert fast == general
    # a column keeping only a few values' XML lets them go as new ones come
    few = lo_fixtures.written_with(monkeypatch, books[kind], writes, ENCODED_CELLS=3)
    assert few == general


@pytest.mark.parametrize(
    "extra",
    [b'<c r="F20" s="1"/>', b'<c r="AA20"><v>7</v></c>', b"<c><v>7</v></c>"],
    ids=["styled-cell-in-a-written-column", "two-letter-column", "cell-without-reference"],
)
def test_a_piece_with_a_cell_where_columns_are_appended_goes_row_by_row(
    books, monkeypatch, tmp_path, extra
):
    """Row 20 ends with a cell in (or right of) the first column written, or with a cell
    whose column is only implied: the piece holding it is not appended a column at a time
    (its cells would clash), and the file is the one the row-by-row path writes."""
    src = _rewrite_rows(books["plain"], tmp_path / "clash.xlsx", lambda tag, row: tag)

    def change(name: str, data: bytes) -> bytes:
        if name == SHEET:
            return re.sub(rb"(<row r=\"20\"[^>]*>.*?)</row>", rb"\1" + extra + b"</row>", data)
        return data

    lo_fixtures.rewrite_parts(src, change)
    monkeypatch.setattr(row_stream, "CHUNK", 200)
    taken = _counting_bulk(monkeypatch)
    rows = list(range(2, 41))
    cells = CellColumns(
        rows, [5, 6, 7], [["Aetna"] * len(rows), [1.5] * len(rows), ["OK"] * len(rows)]
    )
    writes = {"Notes": SheetWrite(cells=cells)}
    by_row = lo_fixtures.written_with(monkeypatch, src, writes, APPEND_IN_BULK=False)
    assert lo_fixtures.written_with(monkeypatch, src, writes) == by_row
    assert taken[1] >= 1 and taken[0] >= 5, taken  # that piece declined, the others taken


def test_a_sheet_written_anew_with_a_column_mixing_numbers_and_text_stops_trying_columns(
    books, monkeypatch
):
    """A column mixing numbers and text is never made a column at a time: after a few tries,
    each on twice as many rows, the rest of the sheet goes cell by cell, as the general
    path writes it (a memory sheet of auths typed every which way stays as fast as before)."""
    rows = [["Alert", "Auth #", "Since"]]
    rows += [[f"A{i}", i if i % 2 else str(i), date(2026, 1, 1 + i % 28)] for i in range(6000)]
    writes = {"Alerts": SheetWrite(rows=rows)}
    tries = []
    bulk = SheetRewriter._replaced_rows_in_bulk

    def counted(self, n, count):
        tries.append(n)
        return bulk(self, n, count)

    monkeypatch.setattr(SheetRewriter, "_replaced_rows_in_bulk", counted)
    general = lo_fixtures.written_with(monkeypatch, books["plain"], writes, APPEND_FAST=False)
    assert lo_fixtures.written_with(monkeypatch, books["plain"], writes) == general
    assert 1 <= len(tries) <= 6, tries
