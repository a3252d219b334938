"""The deflate module reads and writes package parts as zipfile would (ISA-L or zlib)."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.workbook import deflate
from authbook.workbook.xlsx.entries import DeflatedPart

XML = b"".join(
    b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n * 7) for n in range(1, 20000)
)


def _package(path, parts: dict[str, tuple[bytes, int]]):
    with zipfile.ZipFile(path, "w") as zf:
        for name, (data, kind) in parts.items():
            zf.writestr(name, data, compress_type=kind)
    return path


def _read_all(stream, size: int) -> bytes:
    out = []
    with stream:
        while piece := stream.read(size):
            out.append(piece)
    return b"".join(out)


@pytest.mark.parametrize("kind", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize("size", [1, 4096, -1])
def test_a_part_reads_back_exactly_as_zipfile_reads_it(tmp_path, kind, size):
    path = _package(tmp_path / "p.xlsx", {"a.xml": (b"<x/>", kind), "s.xml": (XML, kind)})
    with zipfile.ZipFile(path) as zf:
        opened = deflate.open_part(zf, "s.xml")
        assert isinstance(opened, deflate.InflatedPart)
        assert _read_all(opened, size) == zf.read("s.xml")


def test_an_empty_part_reads_as_nothing(tmp_path):
    path = _package(tmp_path / "p.xlsx", {"e.xml": (b"", zipfile.ZIP_DEFLATED)})
    with zipfile.ZipFile(path) as zf:
        assert _read_all(deflate.open_part(zf, "e.xml"), 100) == b""


def test_a_damaged_part_is_refused_not_read_as_other_text(tmp_path):
    path = _package(tmp_path / "p.xlsx", {"s.xml": (XML, zipfile.ZIP_STORED)})
    with zipfile.ZipFile(path) as zf:
        start = deflate.entry_start(zf.fp, zf.getinfo("s.xml"))
    data = bytearray(path.read_bytes())
    data[start + 5000] ^= 0x01  # one bit of the stored XML
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf, pytest.raises(zipfile.BadZipFile, match="CRC"):
        _read_all(deflate.open_part(zf, "s.xml"), 4096)


def test_a_package_held_in_memory_is_read_through_zipfile(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("s.xml", XML)
    with zipfile.ZipFile(buffer) as zf:
        opened = deflate.open_part(zf, "s.xml")
        assert not isinstance(opened, deflate.InflatedPart)
        assert _read_all(opened, 4096) == XML


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(XML)), max_size=12))
def test_a_part_deflated_in_any_pieces_inflates_to_the_same_bytes(cuts):
    """How the XML is handed to the compressor changes its deflated bytes (ISA-L), never
    the part a spreadsheet program reads back."""
    part = DeflatedPart()
    at = 0
    for cut in sorted(cuts):
        part.write(XML[at:cut])
        at = cut
    part.write(XML[at:])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        part.append_to(zf, zipfile.ZipInfo("s.xml"))
    part.close()
    with zipfile.ZipFile(buffer) as zf:
        assert zf.testzip() is None
        assert zf.read("s.xml") == XML
