"""[MS-CFB] compound files, version 3: the container ``xl/vbaProject.bin`` is written in.

:func:`compound_file` writes a tree of storages and streams (:class:`Entry`); olefile reads it
back in the tests.
"""

from __future__ import annotations

import struct
from dataclasses import field

from authbook.modelbase import dataclass

__all__ = ["CompoundFileError", "Entry", "NOSTREAM", "cfb_sort_key", "compound_file"]


class CompoundFileError(Exception):
    """The tree does not fit in a version 3 compound file without DIFAT sectors."""


SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


@dataclass
class Entry:
    """A stream (``data``) or a storage (``children``) of a compound file, with the
    directory fields (red-black tree links, first sector) it is written with."""

    name: str
    data: bytes | None = None  # None for a storage
    children: list[Entry] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    black: bool = True
    start: int = ENDOFCHAIN
    size: int = 0


def cfb_sort_key(name: str) -> tuple[int, str]:
    """Sibling order of [MS-CFB] 2.6.4: shorter names first, then by upper-cased name."""
    return len(name), name.upper()


def _link_siblings(entries: list[Entry], ids: dict[int, int]) -> int:
    """Arrange ``entries`` as a balanced red-black tree; return the root's directory id.

    The middle entry becomes the root, recursively, so leaf depths differ by at most one;
    the entries on the deepest level are red and all others black, which keeps every path's
    black count equal.
    """
    ordered = sorted(entries, key=lambda e: cfb_sort_key(e.name))
    depths: dict[int, int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        entry = ordered[mid]
        depths[id(entry)] = depth
        entry.left = build(lo, mid, depth + 1)
        entry.right = build(mid + 1, hi, depth + 1)
        return ids[id(entry)]

    root = build(0, len(ordered), 0)
    deepest = max(depths.values(), default=0)
    perfect = len(ordered) == 2 ** (deepest + 1) - 1
    for entry in ordered:
        entry.black = perfect or depths[id(entry)] < deepest
    return root


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i + 1 < count else ENDOFCHAIN


def _pad(data: bytes, size: int) -> bytes:
    return data + b"\x00" * (-len(data) % size)


def compound_file(root: Entry) -> bytes:
    """Write the storage tree under ``root`` as a [MS-CFB] version 3 compound file.

    Streams shorter than 4096 bytes go to the mini stream (64-byte sectors, mini FAT), longer
    ones to 512-byte sectors of the FAT. Directory siblings form a red-black tree.
    """
    entries: list[Entry] = []

    def walk(entry: Entry) -> None:
        entries.append(entry)
        for child in entry.children:
            walk(child)

    walk(root)
    ids = {id(e): i for i, e in enumerate(entries)}
    for entry in entries:
        if entry.data is None:
            entry.child = _link_siblings(entry.children, ids) if entry.children else NOSTREAM
    root.black = True

    big = [e for e in entries[1:] if e.data is not None and len(e.data) >= MINI_CUTOFF]
    small = [e for e in entries[1:] if e.data is not None and 0 < len(e.data) < MINI_CUTOFF]

    mini_stream = bytearray()
    mini_fat: list[int] = []
    for entry in small:
        assert entry.data is not None
        first = len(mini_fat)
        count = -(-len(entry.data) // MINI_SECTOR)
        mini_fat.extend([0] * count)
        _chain(mini_fat, first, count)
        entry.start, entry.size = first, len(entry.data)
        mini_stream += _pad(entry.data, MINI_SECTOR)

    sectors: list[bytes] = []
    fat: list[int] = []

    def allocate(data: bytes, marker: int | None = None) -> int:
        first = len(sectors)
        blob = _pad(data, SECTOR)
        count = len(blob) // SECTOR
        for i in range(count):
            sectors.append(blob[i * SECTOR : (i + 1) * SECTOR])
        fat.extend([0] * count)
        if marker is None:
            _chain(fat, first, count)
        else:
            fat[first:] = [marker] * count
        return first

    for entry in big:
        assert entry.data is not None
        entry.start, entry.size = allocate(entry.data), len(entry.data)
    if mini_stream:
        root.start, root.size = allocate(bytes(mini_stream)), len(mini_stream)
    mini_fat_start, mini_fat_count = ENDOFCHAIN, 0
    if mini_fat:
        raw = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
        raw += struct.pack("<I", FREESECT) * (-len(mini_fat) % (SECTOR // 4))
        mini_fat_start, mini_fat_count = allocate(raw), len(raw) // SECTOR

    directory = b"".join(_directory_entry(e, is_root=e is root) for e in entries)
    directory += _unused_directory_entry() * (-len(entries) % (SECTOR // 128))
    directory_start = allocate(directory)

    fat_count = 0
    while fat_count * (SECTOR // 4) < len(sectors) + fat_count:
        fat_count += 1
    if fat_count > 109:
        raise CompoundFileError("VBA project too large for a compound file without DIFAT sectors")
    fat_start = len(sectors)
    fat.extend([FATSECT] * fat_count)
    fat.extend([FREESECT] * (fat_count * (SECTOR // 4) - len(fat)))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    sectors.extend(fat_bytes[i * SECTOR : (i + 1) * SECTOR] for i in range(fat_count))

    difat = [fat_start + i for i in range(fat_count)] + [FREESECT] * (109 - fat_count)
    header = b"".join(
        [
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            b"\x00" * 16,  # CLSID
            struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6),  # versions, byte order, shifts
            b"\x00" * 6,
            struct.pack("<IIII", 0, fat_count, directory_start, 0),
            struct.pack("<III", MINI_CUTOFF, mini_fat_start, mini_fat_count),
            struct.pack("<II", ENDOFCHAIN, 0),  # no DIFAT sectors
            struct.pack("<109I", *difat),
        ]
    )
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _unused_directory_entry() -> bytes:
    """A free 128-byte directory slot ([MS-CFB] 2.6.1)."""
    links = struct.pack("<3I", NOSTREAM, NOSTREAM, NOSTREAM)
    return b"\x00" * 68 + links + b"\x00" * 48


def _directory_entry(entry: Entry, *, is_root: bool = False) -> bytes:
    """One 128-byte directory entry ([MS-CFB] 2.6.1) for a storage, a stream or the root."""
    if len(entry.name) > 31:
        raise CompoundFileError(f"compound-file name longer than 31 characters: {entry.name!r}")
    name = entry.name.encode("utf-16-le") + b"\x00\x00"
    if is_root:
        kind, start = 5, entry.start
    elif entry.data is None:
        kind, start = 1, 0
    else:
        kind, start = 2, entry.start if entry.data else ENDOFCHAIN
    color = 1 if entry.black else 0
    return (
        name.ljust(64, b"\x00")
        + struct.pack("<HBB3I", len(name), kind, color, entry.left, entry.right, entry.child)
        + b"\x00" * 16  # CLSID
        + struct.pack("<I", 0)  # state bits
        + struct.pack("<QQ", 0, 0)  # creation and modification times
        + struct.pack("<IQ", start, entry.size)
    )
