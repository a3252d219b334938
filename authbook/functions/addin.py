"""Build and install the AuthBook Excel add-in (``AuthBook.xlam``) without Excel.

The add-in carries the ribbon tab (``macros/customUI14.xml``) and the VBA module whose Subs
are the ribbon callbacks (``macros/AuthBook.bas``). Each callback hands its work to Python
through the classic xlwings add-in, so the data workbook itself stays a macro-free ``.xlsx``.

Everything here is plain Python and works on any OS:

- :func:`build_addin` writes the ``.xlam`` package: the OOXML parts, the ribbon part and
  ``xl/vbaProject.bin``, a compound file ([MS-CFB]) holding the VBA project ([MS-OVBA]) with
  the module source compressed and no compiled cache, so Excel compiles it on first load.
- :func:`install_addin` copies the built add-in into Excel's start-up folder (Windows, macOS).
- :func:`ribbon_actions` and :func:`runpython_targets` read the two sources; the contract
  tests use them to keep the ribbon, the VBA and ``authbook.functions.ribbon`` in step.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import sys
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

__all__ = [
    "AddinError",
    "MACROS_DIR",
    "build_addin",
    "compress",
    "decompress",
    "install_addin",
    "module_source",
    "register",
    "ribbon_actions",
    "runpython_targets",
    "startup_folder",
    "vba_project_bin",
    "vba_subs",
]


def _find_macros_dir() -> Path:
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "macros", here.parents[1] / "macros"):
        if (candidate / "AuthBook.bas").is_file():
            return candidate
    return here.parents[2] / "macros"


MACROS_DIR = _find_macros_dir()
"""Where ``AuthBook.bas`` and ``customUI14.xml`` live: ``macros/`` at the top of the source
tree, or ``authbook/macros/`` when an installed package ships them there."""

ADDIN_NAME = "AuthBook.xlam"
MODULE_NAME = "AuthBook"
PROJECT_NAME = "AuthBookAddin"  # a VBA project may not share its name with one of its modules
CODEPAGE = 1252
RIBBON_MODULE = "authbook.functions.ribbon"
CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"


class AddinError(Exception):
    """The add-in cannot be built or installed here; the message says why and what to do."""


# --------------------------------------------------------------------------------------------
# Reading the sources
# --------------------------------------------------------------------------------------------


def ribbon_actions(customui: Path | None = None) -> list[str]:
    """Return the ``onAction`` callback names of the ribbon, in document order.

    ``customui`` defaults to ``macros/customUI14.xml``. Each name must be a Sub in
    ``AuthBook.bas``.
    """
    path = customui or MACROS_DIR / "customUI14.xml"
    root = ElementTree.parse(path).getroot()
    return [el.attrib["onAction"] for el in root.iter() if "onAction" in el.attrib]


_SUB_RE = re.compile(r"^\s*(?:Public\s+|Private\s+)?Sub\s+(\w+)\s*\(", re.IGNORECASE)
_END_SUB_RE = re.compile(r"^\s*End\s+Sub\b", re.IGNORECASE)
_PYTHON_CALL_RE = re.compile(
    r'"import\s+' + re.escape(RIBBON_MODULE) + r"\s+as\s+(\w+)\s*;\s*(\w+)\.(\w+)\(\)\s*\""
)


def vba_subs(bas: Path | None = None) -> list[str]:
    """Return the names of every Sub in ``AuthBook.bas`` (``bas`` defaults to the project's)."""
    source = (bas or MACROS_DIR / "AuthBook.bas").read_text(encoding="utf-8")
    return [m.group(1) for line in source.splitlines() if (m := _SUB_RE.match(line))]


def runpython_targets(bas: Path | None = None) -> list[tuple[str, str]]:
    """Return ``(sub name, python function name)`` for each Sub that runs Python.

    A Sub runs Python when its body holds the string
    ``"import authbook.functions.ribbon as ab; ab.<function>()"``, which it passes to xlwings'
    ``RunPython``. ``bas`` defaults to ``macros/AuthBook.bas``.
    """
    source = (bas or MACROS_DIR / "AuthBook.bas").read_text(encoding="utf-8")
    targets: list[tuple[str, str]] = []
    current: str | None = None
    for line in source.splitlines():
        if m := _SUB_RE.match(line):
            current = m.group(1)
        elif _END_SUB_RE.match(line):
            current = None
        elif current and (m := _PYTHON_CALL_RE.search(line)):
            alias, used, function = m.groups()
            if alias != used:
                raise AddinError(
                    f"{current}: imports the ribbon module as {alias!r} but calls {used!r}"
                )
            targets.append((current, function))
    return targets


def module_source(bas: Path | None = None) -> str:
    """Return the module source as the VBA project stores it: the ``.bas`` text with CRLF lines."""
    text = (bas or MACROS_DIR / "AuthBook.bas").read_text(encoding="utf-8")
    return "".join(line + "\r\n" for line in text.splitlines())


# --------------------------------------------------------------------------------------------
# [MS-OVBA] 2.4.1 compression
# --------------------------------------------------------------------------------------------

CHUNK_SIZE = 4096


def _copy_token_layout(difference: int) -> tuple[int, int]:
    """Return (bit count of the offset, maximum length) for a copy token ([MS-OVBA] 2.4.1.3.19.1).

    ``difference`` is how far into the decompressed chunk the token starts.
    """
    bit_count = max((difference - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Compress ``data[start:end]`` (at most 4096 bytes) into chunk data, without its header.

    At each token, looks for the longest earlier match of at least 3 bytes inside the chunk
    ([MS-OVBA] 2.4.1.3.9), the nearest one when several are equally long. It looks
    only at positions where earlier tokens started (kept by their first three bytes), which
    reproduces the spec's worked example (section 3.2) byte for byte.
    """
    out = bytearray()
    heads: dict[bytes, list[int]] = {}
    current = start

    def remember(position: int) -> None:
        if position + 3 <= end:
            heads.setdefault(data[position : position + 3], []).append(position)

    while current < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if current >= end:
                break
            _, max_length = _copy_token_layout(current - start)
            best_length, best_offset = 0, 0
            for candidate in reversed(heads.get(data[current : current + 3], ())):
                length = 0
                limit = min(max_length, end - current)
                while length < limit and data[candidate + length] == data[current + length]:
                    length += 1
                if length > best_length:
                    best_length, best_offset = length, current - candidate
                    if length == limit:
                        break
            remember(current)
            if best_length >= 3:
                bit_count, _ = _copy_token_layout(current - start)
                token = ((best_offset - 1) << (16 - bit_count)) | (best_length - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                current += best_length
            else:
                out.append(data[current])
                current += 1
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an [MS-OVBA] CompressedContainer (signature byte, then chunks).

    Every 4096 bytes form one chunk. A chunk whose compressed form would not fit in 4096 bytes
    is stored raw, as the spec requires; a raw chunk always holds 4096 bytes, so an
    incompressible *last* chunk is padded with zero bytes (VBA source text never is).
    """
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK_SIZE):
        end = min(start + CHUNK_SIZE, len(data))
        body = _compress_chunk(data, start, end)
        if len(body) <= CHUNK_SIZE:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3))
            out += body
        else:
            out += struct.pack("<H", 0x3000 | (CHUNK_SIZE + 2 - 3))
            out += data[start:end].ljust(CHUNK_SIZE, b"\x00")
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress an [MS-OVBA] CompressedContainer (the inverse of :func:`compress`)."""
    if not container or container[0] != 0x01:
        raise ValueError("not an MS-OVBA compressed container (signature byte must be 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at byte {pos}")
        chunk_end = min(pos + (header & 0x0FFF) + 3, len(container))
        pos += 2
        if not header & 0x8000:
            out += container[pos : pos + CHUNK_SIZE]
            pos += CHUNK_SIZE
            continue
        chunk_start = len(out)
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if flags & (1 << bit):
                    (token,) = struct.unpack_from("<H", container, pos)
                    pos += 2
                    bit_count, _ = _copy_token_layout(len(out) - chunk_start)
                    length = (token & (0xFFFF >> bit_count)) + 3
                    offset = (token >> (16 - bit_count)) + 1
                    for _ in range(length):
                        out.append(out[-offset])
                else:
                    out.append(container[pos])
                    pos += 1
    return bytes(out)


# --------------------------------------------------------------------------------------------
# [MS-CFB] compound file, version 3
# --------------------------------------------------------------------------------------------

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


@dataclass
class _Entry:
    name: str
    data: bytes | None = None  # None for a storage
    children: list[_Entry] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    black: bool = True
    start: int = ENDOFCHAIN
    size: int = 0


def _cfb_sort_key(name: str) -> tuple[int, str]:
    """Sibling order of [MS-CFB] 2.6.4: shorter names first, then by upper-cased name."""
    return len(name), name.upper()


def _link_siblings(entries: list[_Entry], ids: dict[int, int]) -> int:
    """Arrange ``entries`` as a balanced red-black tree; return the root's directory id.

    The middle entry becomes the root, recursively, so leaf depths differ by at most one;
    the entries on the deepest level are red and all others black, which keeps every path's
    black count equal.
    """
    ordered = sorted(entries, key=lambda e: _cfb_sort_key(e.name))
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


def compound_file(root: _Entry) -> bytes:
    """Write the storage tree under ``root`` as a [MS-CFB] version 3 compound file.

    Streams shorter than 4096 bytes go to the mini stream (64-byte sectors, mini FAT), longer
    ones to 512-byte sectors of the FAT. Directory siblings form a red-black tree.
    """
    entries: list[_Entry] = []

    def walk(entry: _Entry) -> None:
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
        raise AddinError("VBA project too large for a compound file without DIFAT sectors")
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


def _directory_entry(entry: _Entry, *, is_root: bool = False) -> bytes:
    """One 128-byte directory entry ([MS-CFB] 2.6.1) for a storage, a stream or the root."""
    if len(entry.name) > 31:
        raise AddinError(f"compound-file name longer than 31 characters: {entry.name!r}")
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


# --------------------------------------------------------------------------------------------
# [MS-OVBA] VBA project
# --------------------------------------------------------------------------------------------

_REFERENCES = [
    (
        "VBA",
        r"*\G{000204EF-0000-0000-C000-000000000046}#4.2#9#"
        r"C:\PROGRA~1\COMMON~1\MICROS~1\VBA\VBA7.1\VBE7.DLL#Visual Basic For Applications",
    ),
    (
        "Excel",
        r"*\G{00020813-0000-0000-C000-000000000046}#1.9#0#"
        r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE#"
        "Microsoft Excel 16.0 Object Library",
    ),
    (
        "stdole",
        r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
        r"C:\Windows\System32\stdole2.tlb#OLE Automation",
    ),
    (
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.8#0#"
        r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#"
        "Microsoft Office 16.0 Object Library",
    ),
]
"""The references Excel gives every VBA project (VBA, Excel, OLE Automation, Office), in its
order. Excel finds each library by its registered GUID and version; the paths are only hints.
Office defines ``IRibbonControl``, the type of the callbacks' argument."""

_DOCUMENT_BASES = {
    "ThisWorkbook": "0{00020819-0000-0000-C000-000000000046}",
    "Sheet1": "0{00020820-0000-0000-C000-000000000046}",
}
"""The document modules every Excel VBA project has, with the class each one extends."""


def _document_module_source(name: str) -> str:
    lines = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{_DOCUMENT_BASES[name]}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return "".join(line + "\r\n" for line in lines)


def _record(record_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(payload)) + payload


def _mbcs(text: str) -> bytes:
    return text.encode(f"cp{CODEPAGE}")


def _dir_stream(modules: list[tuple[str, int]]) -> bytes:
    """The decompressed ``VBA/dir`` stream ([MS-OVBA] 2.3.4.2) for ``(name, type id)`` modules."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 0x00000001))  # PROJECTSYSKIND: 32-bit Windows
    out += _record(0x0002, struct.pack("<I", 0x0409))  # PROJECTLCID
    out += _record(0x0014, struct.pack("<I", 0x0409))  # PROJECTLCIDINVOKE
    out += _record(0x0003, struct.pack("<H", CODEPAGE))  # PROJECTCODEPAGE
    out += _record(0x0004, _mbcs(PROJECT_NAME))  # PROJECTNAME
    out += _record(0x0005, b"") + _record(0x0040, b"")  # PROJECTDOCSTRING (+ unicode)
    out += _record(0x0006, b"") + _record(0x003D, b"")  # PROJECTHELPFILEPATH (1 and 2)
    out += _record(0x0007, struct.pack("<I", 0))  # PROJECTHELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: reserved 4, major, minor
    out += _record(0x000C, b"") + _record(0x003C, b"")  # PROJECTCONSTANTS (+ unicode)
    for name, libid in _REFERENCES:
        out += _record(0x0016, _mbcs(name)) + _record(0x003E, name.encode("utf-16-le"))
        libid_bytes = _mbcs(libid)
        registered = struct.pack("<I", len(libid_bytes)) + libid_bytes + struct.pack("<IH", 0, 0)
        out += _record(0x000D, registered)  # REFERENCEREGISTERED
    out += _record(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for name, type_id in modules:
        out += _record(0x0019, _mbcs(name))  # MODULENAME
        out += _record(0x0047, name.encode("utf-16-le"))  # MODULENAMEUNICODE
        out += _record(0x001A, _mbcs(name)) + _record(0x0032, name.encode("utf-16-le"))
        out += _record(0x001C, b"") + _record(0x0048, b"")  # MODULEDOCSTRING (+ unicode)
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source starts at 0
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        out += struct.pack("<HI", type_id, 0)  # MODULETYPE: 0x21 procedural, 0x22 document
        out += struct.pack("<HI", 0x002B, 0)  # module terminator
    out += struct.pack("<HI", 0x0010, 0)  # dir terminator
    return bytes(out)


def _encrypt(project_id: str, data: bytes, seed: int) -> str:
    """[MS-OVBA] 2.4.3.2 data encryption, as the uppercase hex text the PROJECT stream holds."""
    version = 2
    proj_key = sum(_mbcs(project_id)) & 0xFF
    version_enc = seed ^ version
    proj_key_enc = seed ^ proj_key
    out = bytearray([seed, version_enc, proj_key_enc])
    state = {"unencrypted1": proj_key, "encrypted1": proj_key_enc, "encrypted2": version_enc}

    def put(byte: int) -> None:
        enc = byte ^ ((state["encrypted2"] + state["unencrypted1"]) & 0xFF)
        out.append(enc)
        state["encrypted2"], state["encrypted1"] = state["encrypted1"], enc
        state["unencrypted1"] = byte

    for _ in range((seed & 6) // 2):  # IgnoredEnc: arbitrary filler bytes
        put(0)
    for byte in struct.pack("<I", len(data)) + data:
        put(byte)
    return out.hex().upper()


def _decrypt(hex_text: str) -> bytes:
    """Undo :func:`_encrypt` (used by the tests to check the PROJECT stream)."""
    raw = bytes.fromhex(hex_text)
    seed, version_enc, proj_key_enc = raw[0], raw[1], raw[2]
    unencrypted1, encrypted1, encrypted2 = seed ^ proj_key_enc, proj_key_enc, version_enc
    plain = bytearray()
    for enc in raw[3:]:
        byte = enc ^ ((encrypted2 + unencrypted1) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    return bytes(plain[ignored + 4 : ignored + 4 + length])


def _project_stream(project_id: str, modules: list[tuple[str, int]]) -> bytes:
    """The ``PROJECT`` stream ([MS-OVBA] 2.3.1): the project's text properties."""
    seeds = hashlib.sha256(project_id.encode()).digest()
    protection = _encrypt(project_id, struct.pack("<I", 0), seeds[0])  # not protected
    password = _encrypt(project_id, bytes([0x00]), seeds[1])  # no password
    visibility = _encrypt(project_id, bytes([0xFF]), seeds[2])  # visible
    lines = [f'ID="{project_id}"']
    for name, type_id in modules:
        lines.append(f"Document={name}/&H00000000" if type_id == 0x22 else f"Module={name}")
    lines += [
        f'Name="{PROJECT_NAME}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{protection}"',
        f'DPB="{password}"',
        f'GC="{visibility}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
    ]
    return _mbcs("".join(line + "\r\n" for line in lines))


def _project_wm_stream(modules: list[tuple[str, int]]) -> bytes:
    """The ``PROJECTwm`` stream ([MS-OVBA] 2.3.3): module names in MBCS and in UTF-16."""
    out = bytearray()
    for name, _ in modules:
        out += _mbcs(name) + b"\x00" + name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def vba_project_bin(source: str, module_name: str = MODULE_NAME) -> bytes:
    """Return ``vbaProject.bin`` holding one standard module with ``source`` as its code.

    ``source`` is the module text as VBA stores it (CRLF lines, first line
    ``Attribute VB_Name = "..."``). The project also holds the two document modules Excel
    expects (``ThisWorkbook`` and ``Sheet1``). ``_VBA_PROJECT`` carries only its 7-byte header
    with version 0xFFFF and no compiled code, so Excel compiles the source when it loads the
    add-in.
    """
    modules = [("ThisWorkbook", 0x22), ("Sheet1", 0x22), (module_name, 0x21)]
    sources = {name: _document_module_source(name) for name in _DOCUMENT_BASES}
    sources[module_name] = source
    project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "authbook:" + PROJECT_NAME)).upper() + "}"
    vba = _Entry(
        "VBA",
        children=[
            _Entry("_VBA_PROJECT", struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0000)),
            _Entry("dir", compress(_dir_stream(modules))),
            *(_Entry(name, compress(_mbcs(sources[name]))) for name, _ in modules),
        ],
    )
    root = _Entry(
        "Root Entry",
        children=[
            _Entry("PROJECT", _project_stream(project_id, modules)),
            _Entry("PROJECTwm", _project_wm_stream(modules)),
            vba,
        ],
    )
    return compound_file(root)


# --------------------------------------------------------------------------------------------
# The .xlam package
# --------------------------------------------------------------------------------------------

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.ms-excel.addin.macroEnabled.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)

_ROOT_RELS = (
    _XML + f'<Relationships xmlns="{_NS_PKG_REL}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/extended-properties" Target="docProps/app.xml"/>'
    '<Relationship Id="rId4" Type="http://schemas.microsoft.com/office/2007/relationships/'
    'ui/extensibility" Target="customUI/customUI14.xml"/>'
    "</Relationships>"
)

_WORKBOOK_RELS = (
    _XML + f'<Relationships xmlns="{_NS_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_REL}/styles" Target="styles.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.microsoft.com/office/2006/relationships/'
    'vbaProject" Target="vbaProject.bin"/>'
    "</Relationships>"
)

_WORKBOOK = (
    _XML + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
    '<workbookPr codeName="ThisWorkbook"/>'
    '<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="16000" windowHeight="9000"/>'
    "</bookViews>"
    '<sheets><sheet name="AuthBook" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)

_SHEET = (
    _XML + f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
    '<sheetPr codeName="Sheet1"/><dimension ref="A1"/>'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>AuthBook ribbon add-in. '
    "The buttons run authbook.functions.ribbon through the xlwings add-in.</t></is></c></row>"
    "</sheetData></worksheet>"
)

_STYLES = (
    _XML + f'<styleSheet xmlns="{_NS_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

_CORE = (
    _XML + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
    'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:title>AuthBook</dc:title><dc:creator>AuthBook</dc:creator>"
    "</cp:coreProperties>"
)

_APP = (
    _XML + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties"><Application>Microsoft Excel</Application></Properties>'
)


def _package_parts(macros_dir: Path) -> Iterator[tuple[str, bytes]]:
    bas = macros_dir / "AuthBook.bas"
    customui = macros_dir / "customUI14.xml"
    for source in (bas, customui):
        if not source.is_file():
            raise AddinError(f"add-in source not found: {source}")
    _check_sources(bas, customui)
    ribbon = customui.read_bytes()
    yield "[Content_Types].xml", _CONTENT_TYPES.encode()
    yield "_rels/.rels", _ROOT_RELS.encode()
    yield "docProps/core.xml", _CORE.encode()
    yield "docProps/app.xml", _APP.encode()
    yield "xl/workbook.xml", _WORKBOOK.encode()
    yield "xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.encode()
    yield "xl/worksheets/sheet1.xml", _SHEET.encode()
    yield "xl/styles.xml", _STYLES.encode()
    yield "xl/vbaProject.bin", vba_project_bin(module_source(bas))
    yield "customUI/customUI14.xml", ribbon


def _check_sources(bas: Path, customui: Path) -> None:
    """Refuse to build an add-in whose buttons call Subs that do not exist."""
    root = ElementTree.parse(customui).getroot()
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise AddinError(f'{customui}: root must be <customUI xmlns="{CUSTOMUI_NS}">')
    missing = sorted(set(ribbon_actions(customui)) - set(vba_subs(bas)))
    if missing:
        raise AddinError(f"ribbon buttons call Subs missing from {bas.name}: {', '.join(missing)}")
    try:
        module_source(bas).encode(f"cp{CODEPAGE}")
    except UnicodeEncodeError as exc:
        raise AddinError(f"{bas.name} must be plain Windows-1252 text: {exc}") from exc


def build_addin(path: Path | None = None, *, macros_dir: Path | None = None) -> Path:
    """Write the AuthBook Excel add-in and return where it went.

    ``path`` is the ``.xlam`` file to write (default ``AuthBook.xlam`` in the current folder;
    a folder means ``AuthBook.xlam`` inside it). The add-in is built from ``macros/AuthBook.bas``
    and ``macros/customUI14.xml`` (or those in ``macros_dir``) on any OS, without Excel; the
    same sources always give the same bytes. Raises :class:`AddinError` when a source is
    missing or a ribbon button names a Sub that ``AuthBook.bas`` lacks.
    """
    target = Path(path) if path is not None else Path.cwd() / ADDIN_NAME
    if target.is_dir():
        target = target / ADDIN_NAME
    parts = list(_package_parts(macros_dir or MACROS_DIR))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, data)
    partial.replace(target)
    return target


# --------------------------------------------------------------------------------------------
# Installing
# --------------------------------------------------------------------------------------------


def startup_folder(platform: str | None = None) -> Path:
    """Return Excel's per-user start-up folder, whose add-ins Excel opens when it starts.

    Windows: ``%APPDATA%\\Microsoft\\Excel\\XLSTART``. macOS (Excel 2016 and later):
    ``~/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel``.
    (``xlwings addin install`` asks a running Excel for this same folder, its ``startup_path``.)
    Raises :class:`AddinError` elsewhere: Excel runs only on Windows and macOS.
    """
    platform = platform or sys.platform
    if platform.startswith("win"):
        appdata = os.environ.get("APPDATA")
        if not appdata:
            raise AddinError("APPDATA is not set, so Excel's XLSTART folder cannot be found")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    if platform == "darwin":
        return (
            Path.home()
            / "Library/Group Containers/UBF8T346G9.Office/User Content.localized"
            / "Startup.localized/Excel"
        )
    raise AddinError(
        "Excel add-ins can only be installed on Windows or macOS. "
        "Build the file with 'authbook addin build' and copy AuthBook.xlam to the computer "
        "that runs Excel, then run 'authbook addin install' there "
        "(or, in Excel: File > Options > Add-ins > Manage Excel Add-ins > Go > Browse)."
    )


def install_addin(addin: Path | None = None, *, platform: str | None = None) -> Path:
    """Copy the AuthBook add-in into Excel's start-up folder and return the installed path.

    ``addin`` is an already built ``.xlam``; without it the add-in is built fresh from
    ``macros/``. Excel loads it the next time it starts; close Excel first if it is running,
    because Excel locks an add-in it has open. Needs Windows or macOS; elsewhere raises
    :class:`AddinError` with what to do instead.
    """
    folder = startup_folder(platform)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ADDIN_NAME
    try:
        if addin is None:
            build_addin(target)
        else:
            shutil.copyfile(addin, target)
    except PermissionError as exc:
        raise AddinError(f"cannot write {target}: close Excel and try again ({exc})") from exc
    return target


# --------------------------------------------------------------------------------------------
# Command line: ``authbook addin build [PATH]`` and ``authbook addin install``
# --------------------------------------------------------------------------------------------


def register(subparsers) -> None:
    """Add the ``addin`` command to the ``authbook`` command line (see ``FEATURE_COMMANDS``)."""
    parser = subparsers.add_parser(
        "addin", help="build or install the AuthBook Excel add-in (the AuthBook ribbon tab)"
    )
    actions = parser.add_subparsers(dest="addin_command", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="write AuthBook.xlam from macros/ (any OS; Excel is not needed)"
    )
    build.add_argument(
        "path", nargs="?", default=ADDIN_NAME, help="file or folder to write (default: here)"
    )
    build.set_defaults(run=_cmd_build)
    install = actions.add_parser(
        "install", help="copy AuthBook.xlam into Excel's start-up folder (Windows, macOS)"
    )
    install.add_argument("--file", help="an AuthBook.xlam already built (default: build it now)")
    install.set_defaults(run=_cmd_install)


def _cmd_build(args) -> int:
    try:
        target = build_addin(Path(args.path))
    except AddinError as exc:
        print(f"authbook: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {target}")
    print("Install it with 'authbook addin install' on the computer that runs Excel.")
    return 0


def _cmd_install(args) -> int:
    try:
        target = install_addin(Path(args.file) if args.file else None)
    except AddinError as exc:
        print(f"authbook: {exc}", file=sys.stderr)
        return 2
    print(f"Installed {target}")
    print(
        "Restart Excel: the AuthBook tab appears on the ribbon. The buttons need the xlwings "
        "add-in too ('xlwings addin install') and authbook installed in its Python."
    )
    return 0
