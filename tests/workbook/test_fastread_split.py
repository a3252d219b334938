"""The largest sheet, cut into pieces parsed side by side, reads exactly as when parsed whole.

Every test lowers the split threshold and the piece size so that a small sheet is cut into
many pieces, then compares with the same file read in one go (headers, every row's number,
values and their types, formula columns, hidden rows, filter, Table).
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineError

from authbook.workbook import fastread, schema, template
from authbook.workbook.fastread import read_sheets
from authbook.workbook.sheetdata import SheetRead, SheetWrite
from authbook.workbook.xlsx import rows as row_stream
from authbook.workbook.xlsx.writer import write_sheets
from tests.workbook import lo_fixtures

_PARSE = fastread._parse


class Split:
    """What a test learns about a split read: the pieces parsed, the sheets parsed whole
    again (when the pieces came out of order) and the temporary folder."""

    def __init__(self, temp: Path) -> None:
        self.temp = temp
        self.pieces = 0
        self.reparsed = 0


def cut_in_pieces(monkeypatch, tmp_path: Path) -> Path:
    """Have the reader cut the largest sheet into pieces of a few rows (reading a few
    hundred bytes at a time), its temporary files in a folder of the test's own: returned."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(fastread, "SPLIT_BYTES", 0)
    monkeypatch.setattr(fastread, "PIECE_BYTES", 700)
    monkeypatch.setattr(row_stream, "CHUNK", 300)
    return temp


@pytest.fixture
def split(monkeypatch, tmp_path):
    """Cut the largest sheet into pieces of a few rows (``cut_in_pieces``), count the
    pieces parsed and keep the temporary files in a folder of the test's own."""
    temp = cut_in_pieces(monkeypatch, tmp_path)
    monkeypatch.setattr(fastread, "BLOCK_ROWS", 4)
    monkeypatch.setattr(fastread, "SAMPLE_ROWS", 8)
    seen = Split(temp)
    parse_piece = fastread._parse_piece

    def counted(file, name):
        seen.pieces += 1
        # every piece is a package Python's zipfile reads too, each entry's CRC-32 and
        # sizes as its header says (the reader writes the sheet's entry itself)
        with zipfile.ZipFile(file.path) as package:
            assert package.testzip() is None
            names = package.namelist()
            assert len(set(names)) == len(names) and names[-1].startswith("xl/worksheets/")
        return parse_piece(file, name)

    def reparsed(path, name):
        seen.reparsed += 1
        return parse(path, name)

    parse = fastread._parse
    monkeypatch.setattr(fastread, "_parse_piece", counted)
    monkeypatch.setattr(fastread, "_parse", reparsed)
    return seen


def _whole(monkeypatch, path: Path, names: list[str]) -> dict[str, SheetRead]:
    with monkeypatch.context() as m:
        m.setattr(fastread, "SPLIT_BYTES", 1 << 62)
        m.setattr(fastread, "_parse", _PARSE)
        return read_sheets(path, names)


def _typed(sheet: SheetRead) -> list:
    """The rows with each value's type next to it (1, 1.0 and True are equal, not the same)."""
    return [(r.row, [(type(v), v) for v in r.values], r.formulas) for r in sheet.rows]


def _assert_split_reads_as_whole(monkeypatch, split: Split, path: Path, names: list[str]):
    pieces = read_sheets(path, names)
    assert split.pieces >= 2, "the sheet was not cut"
    whole = _whole(monkeypatch, path, names)
    assert pieces == whole
    for name in whole:
        assert _typed(pieces[name]) == _typed(whole[name])
    assert list(split.temp.iterdir()) == []  # every piece's file is gone
    return pieces


# --- workbooks -------------------------------------------------------------------------------


_write = lo_fixtures.write_workbook
_rewrite = lo_fixtures.rewrite_parts
_set_cells = lo_fixtures.set_cells


_INLINE = re.compile(
    rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>'
)
_SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _with_shared_strings(path: Path) -> Path:
    """The same workbook with every text cell in the shared strings table, as Excel saves."""
    strings: dict[bytes, int] = {}

    def shared(m: re.Match) -> bytes:
        index = strings.setdefault(m.group(3), len(strings))
        return b"<c " + m.group(1) + b't="s"' + m.group(2) + b"><v>%d</v></c>" % index

    def change(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/sheet"):
            return _INLINE.sub(shared, data)
        if name == "[Content_Types].xml":
            override = b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/>' % _SST_TYPE
            return data.replace(b"</Types>", override + b"</Types>")
        if name == "xl/_rels/workbook.xml.rels":
            rel = b'<Relationship Id="rIdSst" Type="%s" Target="sharedStrings.xml"/>' % _SST_REL
            return data.replace(b"</Relationships>", rel + b"</Relationships>")
        return data

    _rewrite(path, change)
    table = b"".join(b"<si><t>%s</t></si>" % text for text in strings)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "xl/sharedStrings.xml",
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            b'count="%d" uniqueCount="%d">%s</sst>' % (len(strings), len(strings), table),
        )
    with zipfile.ZipFile(path) as zf:
        assert b't="s"' in zf.read("xl/worksheets/sheet1.xml")
    return path


def _notes(count: int, first_col: int = 0) -> list[list]:
    """A Notes-like sheet: distinct and repeating text, numbers of every kind, dates and
    datetimes, booleans, empty text, blank rows, and a later stretch whose first columns are
    empty (the grid of a piece there starts further right)."""
    rows = [[None] * first_col + ["Note ID", "Client", "Date", "Units", "Flag", "Comment", "Big"]]
    for i in range(2, count + 2):
        if i % 11 == 0 or 40 <= i < 44:
            rows.append([])  # blank rows, one stretch of them long enough to fill a piece
            continue
        values = [
            f"N{i:05d}" if not 60 <= i < 75 else None,
            f"C{i % 4}" if not 60 <= i < 75 else None,
            date(2026, 1, 1 + i % 5) if i % 7 else datetime(2026, 2, 3, 13, 30),
            i % 3 if i % 5 else float(i) + 0.5,
            (i % 2 == 0) if i % 4 else 1,
            "" if i % 6 == 0 else ("text & <more>" if i % 3 else 12),
            2**60 if i == 13 else 150,
        ]
        rows.append([None] * first_col + values)
    return rows


def _errors_and_formulas(path: Path) -> None:
    _set_cells(
        path,
        "xl/worksheets/sheet1.xml",
        {
            "F13": b'<c r="F13" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
            "F23": b'<c r="F23" t="e"><v>#N/A</v></c>',
            "G50": b'<c r="G50"><f>D50*2</f><v>4</v></c>',
            "G51": b'<c r="G51"><f>D51*2</f><v>0</v></c>',
            "B80": b'<c r="B80" t="e"><v>#REF!</v></c>',
            "G90": b'<c r="G90" t="e"/>',  # an error cell without a value
        },
    )


def notes_workbook(path: Path) -> Path:
    """A Notes-like workbook at ``path``: ``_notes`` rows, hidden rows, a Table, error and
    formula cells, and a small second sheet."""
    _write(
        path,
        {"Notes": _notes(120), "Auths": [["Auth #"], ["A1"]]},
        hidden=(7, 30, 31, 95),
        tables=[("Notes", "A1:G121")],
    )
    _errors_and_formulas(path)
    return path


@pytest.fixture
def notes_book(tmp_path):
    return notes_workbook(tmp_path / "notes.xlsx")


# --- tests -----------------------------------------------------------------------------------


def test_a_sheet_cut_into_pieces_reads_as_the_whole(monkeypatch, split, notes_book):
    pieces = _assert_split_reads_as_whole(monkeypatch, split, notes_book, ["Notes", "Auths"])
    notes = pieces["Notes"]
    assert notes.hidden_rows == {7, 30, 31, 95}
    assert (notes.table_name, notes.table_ref, notes.filter_ref) == ("Notes",) + ("A1:G121",) * 2
    by_row = {r.row: r for r in notes.rows}
    assert 40 not in by_row and by_row[45].values[0] == "N00045"
    assert by_row[13].values[5] == "#DIV/0!" and by_row[13].formulas == {6}
    assert by_row[50].values[6] == 4 and by_row[50].formulas == {7}
    assert by_row[80].values[:2] == ["N00080", "#REF!"]
    assert by_row[90].values[6] is None
    assert type(by_row[14].values[2]) is datetime and by_row[2].values[2] == datetime(2026, 1, 3)
    assert [r.row for r in notes.rows][-1] == 120  # row 121 is blank


def test_shared_strings_are_read_in_every_piece(monkeypatch, split, notes_book):
    _with_shared_strings(notes_book)
    pieces = _assert_split_reads_as_whole(monkeypatch, split, notes_book, ["Notes", "Auths"])
    assert pieces["Notes"].rows[-1].values[:2] == ["N00120", "C0"]


def test_pieces_copied_by_python_where_the_system_cannot_copy_read_as_the_whole(
    monkeypatch, split, notes_book
):
    """Every piece starts from one package of the carried parts (shared strings, styles),
    copied by the system; where it cannot (an older system, another file system), Python
    copies the bytes and the pieces read the same."""
    _with_shared_strings(notes_book)

    def refused(*args):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refused)
    pieces = _assert_split_reads_as_whole(monkeypatch, split, notes_book, ["Notes", "Auths"])
    assert pieces["Notes"].rows[-1].values[:2] == ["N00120", "C0"]
    assert split.pieces >= 3


def test_a_workbook_authbook_wrote_reads_as_the_whole(monkeypatch, split, tmp_path):
    blank = template.write_new(tmp_path / "blank.xlsx")
    fields = [c.field for c in schema.NOTES.columns]
    notes = [schema.NOTES.headers]
    for i in range(150):
        note = {
            "note_id": f"N{i:06d}",
            "client_id": f"C{i % 7}",
            "service_date": date(2026, 1, 1 + i % 28),
            "provider": "Dr Ash",
            "billing_code": "90837",
            "units": 1 + i % 2,
            "status": ("Released", "Pending", "Draft")[i % 3],
        }
        notes.append([note.get(f) for f in fields] if i % 10 else [None] * len(fields))
    dates = {i: "mm/dd/yyyy" for i, c in enumerate(schema.NOTES.columns, 1) if c.kind == "date"}
    path = tmp_path / "authbook.xlsx"
    write_sheets(
        blank,
        path,
        {schema.NOTES.name: SheetWrite(rows=notes, last_row=len(notes), number_formats=dates)},
    )
    names = [s.name for s in schema.INPUT_SHEETS]
    pieces = _assert_split_reads_as_whole(monkeypatch, split, path, names)
    assert len(pieces["Notes"].rows) == 135 and pieces["Notes"].table_name == "Notes"


def test_a_sheet_starting_right_of_column_a(monkeypatch, split, tmp_path):
    path = _write(tmp_path / "offset.xlsx", {"Notes": _notes(90, first_col=2)})
    pieces = _assert_split_reads_as_whole(monkeypatch, split, path, ["Notes"])
    assert pieces["Notes"].headers[:3] == ["", "", "Note ID"]


def test_a_sheet_without_a_header_has_no_rows(monkeypatch, split, tmp_path):
    rows = [[]] + [[f"N{i}", i] for i in range(60)]
    path = _write(tmp_path / "low.xlsx", {"Notes": rows})
    pieces = _assert_split_reads_as_whole(monkeypatch, split, path, ["Notes"])
    assert pieces["Notes"].headers == [] and pieces["Notes"].rows == []


def test_rows_written_out_of_order_read_as_the_whole(monkeypatch, split, tmp_path):
    path = _write(tmp_path / "order.xlsx", {"Notes": _notes(80)})
    part = "xl/worksheets/sheet1.xml"

    def move_row_5_to_the_end(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        row = re.search(rb'<row r="5".*?</row>', data).group(0)
        data = data.replace(row, b"")
        return data.replace(b"</sheetData>", row + b"</sheetData>")

    _rewrite(path, move_row_5_to_the_end)
    pieces = _assert_split_reads_as_whole(monkeypatch, split, path, ["Notes"])
    assert [r.row for r in pieces["Notes"].rows][:4] == [2, 3, 4, 5]
    assert split.reparsed == 1  # the pieces' rows overlap: the sheet is parsed whole


def test_rows_without_their_number_are_never_the_first_of_a_piece(monkeypatch, split, tmp_path):
    path = _write(tmp_path / "unnumbered.xlsx", {"Notes": _notes(80)})

    def unnumber_odd_rows(name: str, data: bytes) -> bytes:
        """Odd rows and their cells lose their references (row 1 keeps them: calamine
        would otherwise not know where the sheet starts)."""
        if name != "xl/worksheets/sheet1.xml":
            return data

        def unnumbered(m: re.Match) -> bytes:
            if m.group(1) == b"1":
                return m.group(0)
            return re.sub(rb' r="[A-Z]*\d+"', b"", m.group(0))

        return re.sub(rb'<row r="(\d*[13579])".*?</row>', unnumbered, data)

    _rewrite(path, unnumber_odd_rows)
    _assert_split_reads_as_whole(monkeypatch, split, path, ["Notes"])
    assert split.reparsed == 0


def test_a_prefixed_namespace(monkeypatch, split, notes_book):
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def prefixed(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        data = re.sub(rb"<(/?)([A-Za-z]+)([\s>/])", rb"<\1x:\2\3", data)
        return data.replace(b'xmlns="' + main, b'xmlns:x="' + main)

    _rewrite(notes_book, prefixed)
    pieces = _assert_split_reads_as_whole(monkeypatch, split, notes_book, ["Notes"])
    assert pieces["Notes"].hidden_rows == {7, 30, 31, 95}
    assert {r.row: r for r in pieces["Notes"].rows}[50].formulas == {7}


def test_the_sheets_dimension_is_left_out_of_its_pieces_however_written(
    monkeypatch, split, notes_book
):
    def dimension_with_closing_tag(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        data, n = re.subn(rb"<dimension ([^>]*?)\s*/>", rb"<dimension \1></dimension>", data)
        assert n == 1
        return data

    _rewrite(notes_book, dimension_with_closing_tag)
    _assert_split_reads_as_whole(monkeypatch, split, notes_book, ["Notes"])


def test_dates_of_a_1904_workbook(monkeypatch, split, notes_book):
    def date1904(name: str, data: bytes) -> bytes:
        if name != "xl/workbook.xml":
            return data
        data = re.sub(rb"<workbookPr\b[^>]*?/>", b"", data)
        return re.sub(rb"(<workbook\b[^>]*>)", rb'\1<workbookPr date1904="1"/>', data)

    _rewrite(notes_book, date1904)
    pieces = _assert_split_reads_as_whole(monkeypatch, split, notes_book, ["Notes"])
    assert pieces["Notes"].rows[0].values[2] == datetime(2030, 1, 4)


def test_a_piece_calamine_cannot_read_fails_the_read_and_leaves_no_file(split, tmp_path):
    path = _write(tmp_path / "bad.xlsx", {"Notes": _notes(80)})
    _set_cells(path, "xl/worksheets/sheet1.xml", {"D70": b'<c r="D70" t="bogus"><v>1</v></c>'})
    with pytest.raises(CalamineError):
        read_sheets(path, ["Notes"])
    assert split.pieces >= 2
    assert list(split.temp.iterdir()) == []


def test_without_a_temporary_folder_the_sheet_is_parsed_whole(monkeypatch, split, notes_book):
    monkeypatch.setattr(tempfile, "tempdir", str(split.temp / "missing"))
    sheets = read_sheets(notes_book, ["Notes", "Auths"])
    assert split.pieces == 0 and split.reparsed == 1
    assert sheets == _whole(monkeypatch, notes_book, ["Notes", "Auths"])


def test_a_small_sheet_is_parsed_whole(monkeypatch, split, notes_book):
    monkeypatch.setattr(fastread, "SPLIT_BYTES", 1 << 20)
    read_sheets(notes_book, ["Notes"])
    assert split.pieces == 0


def test_a_libreoffice_file_reads_as_the_whole(
    monkeypatch, split, notes_book, tmp_path, libreoffice
):
    saved = libreoffice.resave(notes_book, tmp_path / "by-libreoffice.xlsx")
    with zipfile.ZipFile(saved) as zf:
        assert "xl/sharedStrings.xml" in zf.namelist()
    _assert_split_reads_as_whole(monkeypatch, split, saved, ["Notes", "Auths"])


_VALUES = st.one_of(
    st.none(),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")), max_size=8),
    st.sampled_from(["C1", "C2", "Released", "<&>"]),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(date(1950, 1, 1), date(2090, 12, 31)),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(st.lists(_VALUES, max_size=6), min_size=1, max_size=60),
    hidden=st.sets(st.integers(2, 61), max_size=5),
    piece_bytes=st.integers(50, 3000),
    shared=st.booleans(),
)
def test_any_sheet_cut_anywhere_reads_as_the_whole(
    monkeypatch, split, tmp_path_factory, rows, hidden, piece_bytes, shared
):
    monkeypatch.setattr(fastread, "PIECE_BYTES", piece_bytes)
    path = tmp_path_factory.mktemp("any") / "any.xlsx"
    _write(path, {"Notes": [["A", "B", "C", "D", "E", "F"]] + rows}, hidden=hidden)
    if shared and any(isinstance(v, str) and v for row in rows for v in row):
        _with_shared_strings(path)
    pieces = read_sheets(path, ["Notes"])
    whole = _whole(monkeypatch, path, ["Notes"])
    assert pieces == whole
    assert _typed(pieces["Notes"]) == _typed(whole["Notes"])
    assert os.listdir(split.temp) == []
