"""The largest sheet of a write, written by a forked child process while the parent writes
the others, gives the very file the one-process write gives."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.worksheet.table import Table

from authbook.workbook.fastread import read_sheets
from authbook.workbook.sheetdata import CellColumns, SheetWrite
from authbook.workbook.xlsx import child as xlsx_child
from authbook.workbook.xlsx import writer
from tests.workbook import lo_fixtures

pytestmark = pytest.mark.skipif(not xlsx_child.FORK, reason="forks only on Linux")


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fork") / "book.xlsx"
    wb = Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append(["Note ID", "Units", "Applied Auth #", "Charge", "Check"])
    for r in range(2, 61):
        notes.append([f"N{r}", r % 4])
    notes.add_table(Table(displayName="Notes", ref="A1:E60"))
    auths = wb.create_sheet("Auths")
    auths.append(["Auth #", "Allotted", "Used"])
    for r in range(2, 12):
        auths.append([f"A{r}", 10])
    alerts = wb.create_sheet("Alerts")
    alerts.append(["Alert", "Auth #", "Since"])
    alerts.add_table(Table(displayName="Alerts", ref="A1:C2"))
    wb.save(path)
    return path


_parts = lo_fixtures.parts


@pytest.fixture(autouse=True)
def private_temp(tmp_path, monkeypatch) -> Path:
    """Temporary files (the children's parts) go to a folder of the test's own."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _left_over(folder: Path) -> list[Path]:
    """Whatever is in the temporary folder (a child's part has no name there at all)."""
    return list(folder.iterdir())


def _forks_counted(monkeypatch) -> list[int]:
    """How many children were started, and how many of their parts were kept."""
    counts = [0, 0]
    start, result = xlsx_child._ChildSheet.start, xlsx_child._ChildSheet.result

    def counted_start(*args):
        child = start(*args)
        counts[0] += child is not None
        return child

    def counted_result(self):
        made = result(self)
        counts[1] += made is not None
        return made

    monkeypatch.setattr(xlsx_child._ChildSheet, "start", counted_start)
    monkeypatch.setattr(xlsx_child._ChildSheet, "result", counted_result)
    return counts


def _forked_and_not(monkeypatch, src: Path, writes):
    forked = lo_fixtures.written_with(monkeypatch, src, writes, FORK_ROWS=1)
    return forked, lo_fixtures.written_with(monkeypatch, src, writes, FORK=False)


VALUES = st.one_of(
    st.none(),
    st.sampled_from(["OK", "A2", "a & b", " spaced"]),
    st.integers(0, 3),
    st.sampled_from([35.0, 70.5]),
    st.booleans(),
    st.sampled_from([date(2026, 3, 1), date(2026, 4, 2)]),
)
FORMATS = st.dictionaries(
    st.integers(1, 6), st.sampled_from(["mm/dd/yyyy", "#,##0.00", "0.0", "@"]), max_size=2
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    notes=st.lists(st.tuples(VALUES, VALUES, VALUES), min_size=1, max_size=59),
    notes_formats=FORMATS,
    auths=st.lists(VALUES, max_size=10),
    alert_rows=st.lists(st.lists(VALUES, max_size=3), max_size=5),
    alert_formats=FORMATS,
)
def test_a_sheet_written_by_a_child_process_gives_the_same_file(
    book, monkeypatch, private_temp, notes, notes_formats, auths, alert_rows, alert_formats
):
    """Whatever styles either side adds (both adding falls back to one process)."""
    rows = list(range(2, 2 + len(notes)))
    writes = {
        "Notes": SheetWrite(
            cells=CellColumns(rows, [3, 4, 5], [list(column) for column in zip(*notes)]),
            last_row=rows[-1],
            number_formats=notes_formats,
        ),
        "Auths": SheetWrite(cells={(r, 3): v for r, v in enumerate(auths, start=2)}),
        "Alerts": SheetWrite(
            rows=[["Alert", "Auth #", "Since"], *alert_rows],
            last_row=1 + len(alert_rows),
            number_formats=alert_formats,
        ),
    }
    forked, single = _forked_and_not(monkeypatch, book, writes)
    assert forked == single
    assert not _left_over(private_temp)


def _first_refresh() -> dict[str, SheetWrite]:
    rows = list(range(2, 61))
    return {
        "Notes": SheetWrite(
            cells=CellColumns(
                rows,
                [3, 4, 5],
                [[f"A{r % 7}" for r in rows], [35.0 * (r % 3) for r in rows], ["OK" for _ in rows]],
            ),  # fmt: skip
            last_row=60,
            number_formats={4: "#,##0.00"},
        ),
        "Alerts": SheetWrite(
            rows=[["Alert", "Auth #", "Since"], ["EXPIRED", "A3", None]], last_row=2
        ),  # fmt: skip
    }


def test_a_large_first_refresh_writes_its_notes_in_a_child(
    book, monkeypatch, tmp_path, private_temp
):
    counts = _forks_counted(monkeypatch)
    monkeypatch.setattr(xlsx_child, "FORK_ROWS", 50)
    out = tmp_path / "out.xlsx"
    writer.write_sheets(book, out, _first_refresh())
    assert counts == [1, 1]
    notes = read_sheets(out, ["Notes"])["Notes"].rows
    assert notes[1].values[:5] == ["N3", 3, "A3", 0, "OK"]
    assert notes[-2].values[2:5] == ["A3", 70, "OK"]
    assert xlsx_child.LAST_CHILD_MEMORY.get("peak", 0) > 0
    assert not _left_over(private_temp)


@pytest.mark.parametrize("row_1", ["kept", "edited"])
def test_the_table_takes_the_header_row_the_child_wrote_or_left(
    book, monkeypatch, private_temp, row_1
):
    """The child reads row 1 only when it edits it; when it leaves it, the parent reads it
    from the file while the child writes. Either way the Table's columns follow row 1 as
    saved, as they do when one process writes every sheet."""
    counts = _forks_counted(monkeypatch)
    writes = _first_refresh()  # (its Alerts: a child is had only beside another sheet)
    if row_1 == "edited":
        rows = list(range(1, 61))  # (a child is had for cells set by column alone)
        by_column = [["Sessions"] + [None] * 59, ["Extra"] + [f"x{r}" for r in rows[1:]]]
        writes["Notes"] = SheetWrite(cells=CellColumns(rows, [2, 6], by_column), last_row=60)
    forked, single = _forked_and_not(monkeypatch, book, writes)
    assert counts == [1, 1]
    assert forked == single
    table = next(xml for name, xml in forked.items() if b'displayName="Notes"' in xml)
    names = [b"Note ID", b"Units", b"Applied Auth #", b"Charge", b"Check"]
    if row_1 == "edited":
        names[1:2] = [b"Sessions"]
        names.append(b"Extra")
    for name in names:
        assert b'name="' + name + b'"' in table


def test_a_small_write_stays_in_one_process(book, monkeypatch, tmp_path):
    counts = _forks_counted(monkeypatch)
    monkeypatch.setattr(xlsx_child, "FORK_ROWS", 60)  # Notes sets 59 rows
    writer.write_sheets(book, tmp_path / "out.xlsx", _first_refresh())
    assert counts == [0, 0]


def test_a_value_the_child_cannot_write_fails_the_write_as_in_one_process(
    book, monkeypatch, tmp_path, private_temp
):
    counts = _forks_counted(monkeypatch)
    monkeypatch.setattr(xlsx_child, "FORK_ROWS", 1)
    writes = _first_refresh()
    writes["Notes"].cells.by_column[2][30] = object()
    out = tmp_path / "out.xlsx"
    with pytest.raises(TypeError, match="cannot write a object"):
        writer.write_sheets(book, out, writes)
    assert counts == [1, 0]
    assert not out.exists()
    assert not _left_over(private_temp)


def _work_counted(monkeypatch) -> tuple[list[int], list[int]]:
    """Two lists filled as this process works: the Notes rows whose statuses it works out,
    and those whose notes it builds (a forked process's calls land in its own copy)."""
    from authbook.rules import refresh

    statuses_here: list[int] = []
    built_here: list[int] = []
    for name, counts in (("_note_statuses", statuses_here), ("build_notes", built_here)):
        work = getattr(refresh, name)

        def counted(rows, *args, work=work, counts=counts):
            counts.append(len(rows))
            return work(rows, *args)

        monkeypatch.setattr(refresh, name, counted)
    return statuses_here, built_here


@pytest.mark.parametrize("split", ["split", "whole"])
@pytest.mark.parametrize("child", ["kept", "lost", "lost after drawing"])
def test_a_refresh_whose_notes_are_written_from_the_start_saves_the_same_workbook(
    child, split, tmp_path, monkeypatch, private_temp
):
    """``authbook refresh`` starts writing Notes as soon as the notes are drawn and checked,
    and the child works out the Notes rows' statuses: the refresh itself never works out
    more than those of its own part of the notes (``split``: the notes split by client with
    the child), none when they are not split. When the child's part is lost, the refresh
    draws every note and works every status out itself and writes every sheet itself.
    Either way the saved workbook is the one a refresh in one process saves, and ``.bak``
    is kept."""
    if child == "lost after drawing" and split == "whole":
        pytest.skip("a child drawing notes is a split refresh's")
    from authbook.demo import demo_rows
    from authbook.parallel import notes as app_notes
    from authbook.parallel import split as app_split
    from authbook.services import refresh as app
    from authbook.workbook import template

    # rows worked out, notes built here; a child's calls land in the child's copy
    statuses_here, built_here = _work_counted(monkeypatch)
    monkeypatch.setattr(app_notes, "SIDE_BY_SIDE_NOTES", 1 if split == "split" else 10**9)

    as_of = date(2026, 3, 1)
    book = tmp_path / "demo.xlsx"
    template.write_new(book, demo_rows(as_of, clients=40))
    _add_bad_notes(book)
    total = len(read_sheets(book, ["Notes"])["Notes"].rows)
    counts = _forks_counted(monkeypatch)
    if child == "lost":  # the child dies before writing anything
        monkeypatch.setattr(xlsx_child, "_child_main", lambda *args: os._exit(1))
    if child == "lost after drawing":  # ... once it has drawn its notes and had the others'
        draw_and_die = app_split.child_statuses
        monkeypatch.setattr(app_split, "child_statuses", lambda *a: (draw_and_die(*a), os._exit(1)))
    started = []
    start = writer.start_sheet

    def counted_start(*args):
        started.append(start(*args))
        return started[-1]

    monkeypatch.setattr(writer, "start_sheet", counted_start)
    saved = {}
    for fork in (True, False):
        path = tmp_path / f"fork-{fork}.xlsx"
        path.write_bytes(book.read_bytes())
        statuses_here.clear()
        built_here.clear()
        with monkeypatch.context() as m:
            m.setattr(xlsx_child, "FORK", fork)
            m.setattr(xlsx_child, "FORK_ROWS", 1)
            m.setattr(app_notes, "HELPER", fork)
            app.refresh_file(path, as_of, user="test")
        own_part = statuses_here[:1] if fork and split == "split" else []
        assert all(0 < rows < total * 0.7 for rows in own_part)
        everything = [] if fork and child == "kept" else [total]
        assert statuses_here == own_part + everything
        # the notes the child built and drew are never built here (unless it is lost)
        if fork and split == "split":
            assert built_here[0] == own_part[0]
            assert sum(built_here[1:]) == (0 if child == "kept" else total - own_part[0])
        else:
            assert built_here == [total]
        assert path.with_suffix(".xlsx.bak").read_bytes() == book.read_bytes()
        parts = _parts(path)
        parts.pop("docProps/core.xml")
        saved[fork] = parts
    assert counts == ([1, 1] if child == "kept" else [1, 0])  # (started, kept)
    assert [s is not None for s in started] == [True, False]  # begun early, then taken
    assert saved[True] == saved[False]
    assert not _left_over(private_temp)


@pytest.mark.parametrize("helper", ["kept", "lost"])
def test_a_refresh_after_the_first_draws_half_the_notes_in_a_helper_and_saves_the_same_workbook(
    helper, tmp_path, monkeypatch
):
    """A refresh of a workbook refreshed before needs every Notes row's status before it
    writes anything (it rewrites only the cells that change), so no child writes the Notes
    sheet: a helper process draws the notes of half the clients and makes their rows'
    statuses meanwhile. The refresh itself works out only its own part's statuses, unless
    the helper dies (then it does the helper's part too); the saved workbook is the one a
    refresh in one process saves, changed cells included, and ``.bak`` is kept."""
    from openpyxl import load_workbook

    from authbook.demo import demo_rows
    from authbook.parallel import notes as app_notes
    from authbook.parallel import split as app_split
    from authbook.services import refresh as app
    from authbook.workbook import template

    as_of = date(2026, 3, 1)
    book = tmp_path / "demo.xlsx"
    template.write_new(book, demo_rows(as_of, clients=40))
    _add_bad_notes(book)
    monkeypatch.setattr(xlsx_child, "FORK", False)
    app.refresh_file(book, as_of, user="test")
    wb = load_workbook(book)  # then notes change: a released one more, a pending one fewer
    notes = wb["Notes"]
    header = [c.value for c in notes[1]]
    status_col = header.index("Status") + 1
    statuses = [notes.cell(r, status_col).value for r in range(2, notes.max_row + 1)]
    notes.cell(statuses.index("Pending") + 2, status_col).value = "Released"
    notes.cell(statuses.index("Released") + 2, status_col).value = "Draft"
    wb.save(book)
    total = len(read_sheets(book, ["Notes"])["Notes"].rows)

    # rows worked out, notes built here (a helper's land in its copy)
    statuses_here, built_here = _work_counted(monkeypatch)
    monkeypatch.setattr(app_notes, "SIDE_BY_SIDE_NOTES", 1)
    if helper == "lost":  # the helper dies once it has drawn its notes
        monkeypatch.setattr(app_split, "pack_drawn", lambda *args: os._exit(1))
    saved = {}
    for forks in (True, False):
        path = tmp_path / f"helper-{forks}.xlsx"
        path.write_bytes(book.read_bytes())
        statuses_here.clear()
        built_here.clear()
        app_notes.LAST_HELPER_MEMORY.clear()
        with monkeypatch.context() as m:
            m.setattr(app_notes, "HELPER", forks)
            app.refresh_file(path, as_of, user="test")
        if forks:
            own, *rest = statuses_here
            assert 0 < own < total * 0.7
            assert sum(rest) == (total - own if helper == "lost" else 0)
            # the helper's notes are built here only when it is lost
            assert built_here[0] == own
            assert sum(built_here[1:]) == (total - own if helper == "lost" else 0)
            assert bool(app_notes.LAST_HELPER_MEMORY) == (helper == "kept")
        else:
            assert statuses_here == [total]
        assert path.with_suffix(".xlsx.bak").read_bytes() == book.read_bytes()
        parts = _parts(path)
        parts.pop("docProps/core.xml")
        saved[forks] = parts
    assert saved[True] == saved[False]
    assert saved[True] != {k: v for k, v in _parts(book).items() if k != "docProps/core.xml"}


def _add_bad_notes(path: Path) -> None:
    """Notes rows no note can be read from (a date that does not exist, negative units) and
    one naming a client the workbook does not list."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    notes = wb["Notes"]
    header = [c.value for c in notes[1]]
    date_col, units_col = header.index("Service Date") + 1, header.index("Units") + 1
    client_col = header.index("Client ID") + 1
    notes.cell(5, date_col).value = "2/30/2026"
    notes.cell(9, units_col).value = -3
    notes.cell(12, client_col).value = "NOBODY"
    wb.save(path)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # dead, not reaped yet


def test_a_child_writing_a_sheet_dies_with_the_refresh_that_started_it():
    """A refresh killed mid-save leaves nothing writing behind it (PR_SET_PDEATHSIG)."""
    from authbook.parallel.channel import die_with_parent  # (what the writer's child calls)

    ready_r, ready_w = os.pipe()
    pid_r, pid_w = os.pipe()
    parent = os.fork()
    if parent == 0:  # stands for the refresh: starts a child, then dies
        child = os.fork()
        if child == 0:
            die_with_parent()
            os.write(ready_w, b"1")
            time.sleep(30)
            os._exit(0)
        os.read(ready_r, 1)
        os.write(pid_w, b"%d" % child)
        os._exit(0)
    os.waitpid(parent, 0)
    child = int(os.read(pid_r, 32))
    deadline = time.monotonic() + 5
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child)


def test_without_room_for_the_childs_part_the_sheet_is_written_in_one_process(
    book, monkeypatch, tmp_path
):
    counts = _forks_counted(monkeypatch)

    def no_room(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_room)
    written = lo_fixtures.written_with(monkeypatch, book, _first_refresh(), FORK_ROWS=1)
    monkeypatch.undo()
    assert counts == [0, 0]
    assert written == lo_fixtures.written_with(monkeypatch, book, _first_refresh(), FORK=False)
