"""The containers of the add-in's VBA project: [MS-OVBA] compression and [MS-CFB] compound
files, read back by oletools' decompressor and by olefile."""

from __future__ import annotations

import random
import struct

import olefile
from hypothesis import example, given, settings
from hypothesis import strategies as st
from oletools.olevba import decompress_stream

from authbook.functions.compoundfile import NOSTREAM, Entry, cfb_sort_key, compound_file
from authbook.functions.vbacompress import compress, decompress


def test_compound_file_puts_large_streams_in_sectors_and_small_ones_in_the_mini_stream():
    big = bytes(range(256)) * 40
    root = Entry(
        "Root Entry",
        children=[
            Entry("Big", big),
            Entry("Small", b"tiny"),
            Entry("Empty", b""),
            Entry("Folder", children=[Entry(f"s{i}", bytes([i]) * 70) for i in range(9)]),
        ],
    )
    ole = olefile.OleFileIO(compound_file(root))
    assert ole.openstream("Big").read() == big
    assert ole.openstream("Small").read() == b"tiny"
    assert ole.openstream("Empty").read() == b""
    for i in range(9):
        assert ole.openstream(f"Folder/s{i}").read() == bytes([i]) * 70


def test_compound_file_siblings_form_a_red_black_tree():
    names = [f"s{i}" for i in range(12)]
    root = Entry("Root Entry", children=[Entry(n, b"x") for n in names])
    ole = olefile.OleFileIO(compound_file(root))
    entries = ole.direntries

    def walk(sid: int) -> tuple[list[str], int]:
        if sid == NOSTREAM:
            return [], 1
        entry = entries[sid]
        left, left_black = walk(entry.sid_left)
        right, right_black = walk(entry.sid_right)
        assert left_black == right_black, "unequal black heights"
        if entry.color == 0:  # red: children must be black
            for child in (entry.sid_left, entry.sid_right):
                assert child == NOSTREAM or entries[child].color == 1
        return left + [entry.name] + right, left_black + entry.color

    in_order, _ = walk(entries[0].sid_child)
    assert in_order == sorted(names, key=cfb_sort_key)


# ---- compression ---------------------------------------------------------------------------

SPEC_EXAMPLE = b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa"
SPEC_EXAMPLE_COMPRESSED = bytes.fromhex(
    "012FB000236161616263646582660070616768696A013808616B6C00306D6E6F70"
    "0671027004107273747576107778797A003C"
)


def test_compression_matches_the_ms_ovba_worked_example():
    assert compress(SPEC_EXAMPLE) == SPEC_EXAMPLE_COMPRESSED
    assert decompress(SPEC_EXAMPLE_COMPRESSED) == SPEC_EXAMPLE


text_like = st.text(alphabet="ab cdAB\r\n'\"()_.;=", max_size=9000).map(str.encode)
repetitive = st.builds(
    lambda unit, times, tail: unit * times + tail,
    st.binary(min_size=1, max_size=40),
    st.integers(min_value=1, max_value=700),
    st.binary(max_size=50),
)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(max_size=10000), text_like, repetitive))
@example(b"")
@example(b"a" * 12289)  # several chunks of one repeated byte
@example(bytes(range(256)) * 33)  # 8448 bytes, matches only at distance 256
@example(random.Random(4).randbytes(12092))  # incompressible: raw chunks, padded last one
@example(random.Random(5).randbytes(8192))  # incompressible, whole chunks only
def test_compression_round_trips(data: bytes):
    packed = compress(data)
    tail = len(data) % 4096
    expected = data
    if tail and packed[-4096 - 2 : -4096] == struct.pack("<H", 0x3FFF):
        # An incompressible final chunk is stored raw, and raw chunks are 4096 bytes long.
        expected = data + b"\x00" * (4096 - tail)
    assert decompress(packed) == expected
    assert decompress_stream(packed) == expected


def test_repetitive_source_compresses_well():
    source = (
        '    RunAuthBook "import authbook.functions.ribbon as ab; ab.refresh()"\r\n' * 200
    ).encode()
    assert len(source) > 4096
    assert len(compress(source)) < len(source) // 10
    assert decompress_stream(compress(source)) == source
