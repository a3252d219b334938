"""[MS-OVBA] VBA projects: write one from module sources, read one Excel wrote.

:func:`vba_project_bin` writes ``xl/vbaProject.bin``: the ``PROJECT`` and ``PROJECTwm`` streams,
the ``VBA/dir`` stream and one compressed stream per module, with no compiled cache
(``_VBA_PROJECT`` version 0xFFFF), so Excel compiles the source when it loads the file.

:func:`read_project` reads a project Excel wrote (the ones inside the installed xlwings
package): its references, as the raw ``dir`` records, and each module's source. The add-in
builder copies references from there instead of inventing its own.
"""

from __future__ import annotations

import hashlib
import io
import struct
import uuid

import olefile

from authbook.functions.compoundfile import Entry, compound_file
from authbook.functions.vbacompress import compress, decompress
from authbook.modelbase import dataclass

__all__ = [
    "CODEPAGE",
    "Module",
    "Project",
    "Reference",
    "decrypt",
    "read_project",
    "vba_project_bin",
]

CODEPAGE = 1252
PROCEDURAL, OTHER = 0x21, 0x22  # MODULETYPE: standard module; document or class module
_PROJECT_VERSION, _REFERENCE_NAME, _PROJECT_MODULES = 0x0009, 0x0016, 0x000F
_REGISTERED, _PROJECT_REF, _CONTROL = 0x000D, 0x000E, 0x002F


@dataclass(frozen=True)
class Module:
    """One VBA module: ``kind`` is "module", "class" or "document"; ``source`` has CRLF lines
    and starts with its ``Attribute VB_Name`` line."""

    name: str
    kind: str
    source: str

    @property
    def type_id(self) -> int:
        return PROCEDURAL if self.kind == "module" else OTHER


@dataclass(frozen=True)
class Reference:
    """A reference as its ``dir`` records: ``kind`` is "registered", "project" or "control";
    ``records`` are the bytes from its REFERENCENAME record to the next reference."""

    name: str
    kind: str
    records: bytes


@dataclass(frozen=True)
class Project:
    """What :func:`read_project` finds: the project's name, references and module sources."""

    name: str
    references: tuple[Reference, ...]
    modules: dict[str, str]


def _record(record_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(payload)) + payload


def _mbcs(text: str) -> bytes:
    return text.encode(f"cp{CODEPAGE}")


# ---- reading a project Excel wrote -----------------------------------------------------------


def _records(data: bytes):
    """Yield ``(id, payload, start)`` for each record of a decompressed ``dir`` stream."""
    pos = 0
    while pos + 6 <= len(data):
        record_id, size = struct.unpack_from("<HI", data, pos)
        if record_id == _PROJECT_VERSION:  # Reserved (4) is not a size: major (4), minor (2)
            size = 6
        yield record_id, data[pos + 6 : pos + 6 + size], pos
        pos += 6 + size


def read_project(vba_project: bytes) -> Project:
    """Read the references and module sources of a ``vbaProject.bin``."""
    ole = olefile.OleFileIO(io.BytesIO(vba_project))
    try:
        data = decompress(ole.openstream("VBA/dir").read())
        name, references, modules = "", [], []
        ref_start = ref_name = ref_kind = None
        control_done = False
        module: dict[str, object] = {}
        for record_id, payload, start in _records(data):
            if record_id == 0x0004:
                name = payload.decode(f"cp{CODEPAGE}")
            # A control reference carries a second name record before its extended part (0x30).
            inside_control = ref_kind == "control" and not control_done
            if record_id == 0x0030:
                control_done = True
            if record_id == _REFERENCE_NAME and inside_control:
                continue
            if ref_start is not None and record_id in (_REFERENCE_NAME, _PROJECT_MODULES):
                references.append(Reference(ref_name, ref_kind, data[ref_start:start]))
                ref_start = None
            if record_id == _REFERENCE_NAME:
                ref_start, ref_name, ref_kind = start, payload.decode(f"cp{CODEPAGE}"), None
                control_done = False
            elif record_id in (_REGISTERED, _PROJECT_REF, _CONTROL) and ref_kind is None:
                ref_kind = {_REGISTERED: "registered", _PROJECT_REF: "project"}.get(
                    record_id, "control"
                )
            elif record_id == 0x0019:
                module = {"name": payload.decode(f"cp{CODEPAGE}")}
            elif record_id == 0x001A:
                module["stream"] = payload.decode(f"cp{CODEPAGE}")
            elif record_id == 0x0031:
                (module["offset"],) = struct.unpack("<I", payload)
            elif record_id == 0x002B:
                modules.append(module)
        sources = {}
        for found in modules:
            stream = ole.openstream(f"VBA/{found['stream']}").read()
            text = decompress(stream[found["offset"] :]).decode(f"cp{CODEPAGE}")
            sources[str(found["name"])] = text
        return Project(name, tuple(references), sources)
    finally:
        ole.close()


# ---- writing a project -------------------------------------------------------------------------


def _dir_stream(project_name: str, modules: list[Module], references: bytes) -> bytes:
    """The decompressed ``VBA/dir`` stream ([MS-OVBA] 2.3.4.2)."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 0x00000001))  # PROJECTSYSKIND: 32-bit Windows
    out += _record(0x0002, struct.pack("<I", 0x0409))  # PROJECTLCID
    out += _record(0x0014, struct.pack("<I", 0x0409))  # PROJECTLCIDINVOKE
    out += _record(0x0003, struct.pack("<H", CODEPAGE))  # PROJECTCODEPAGE
    out += _record(0x0004, _mbcs(project_name))  # PROJECTNAME
    out += _record(0x0005, b"") + _record(0x0040, b"")  # PROJECTDOCSTRING (+ unicode)
    out += _record(0x0006, b"") + _record(0x003D, b"")  # PROJECTHELPFILEPATH (1 and 2)
    out += _record(0x0007, struct.pack("<I", 0))  # PROJECTHELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: reserved 4, major, minor
    out += _record(0x000C, b"") + _record(0x003C, b"")  # PROJECTCONSTANTS (+ unicode)
    out += references
    out += _record(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for module in modules:
        name = module.name
        out += _record(0x0019, _mbcs(name))  # MODULENAME
        out += _record(0x0047, name.encode("utf-16-le"))  # MODULENAMEUNICODE
        out += _record(0x001A, _mbcs(name)) + _record(0x0032, name.encode("utf-16-le"))
        out += _record(0x001C, b"") + _record(0x0048, b"")  # MODULEDOCSTRING (+ unicode)
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source starts at 0
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        out += struct.pack("<HI", module.type_id, 0)  # MODULETYPE
        out += struct.pack("<HI", 0x002B, 0)  # module terminator
    out += struct.pack("<HI", 0x0010, 0)  # dir terminator
    return bytes(out)


def encrypt(project_id: str, data: bytes, seed: int) -> str:
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


def decrypt(hex_text: str) -> bytes:
    """Undo :func:`encrypt` (used by the tests to check the PROJECT stream)."""
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


def _project_stream(project_id: str, project_name: str, modules: list[Module]) -> bytes:
    """The ``PROJECT`` stream ([MS-OVBA] 2.3.1): the project's text properties."""
    seeds = hashlib.sha256(project_id.encode()).digest()
    protection = encrypt(project_id, struct.pack("<I", 0), seeds[0])  # not protected
    password = encrypt(project_id, bytes([0x00]), seeds[1])  # no password
    visibility = encrypt(project_id, bytes([0xFF]), seeds[2])  # visible
    lines = [f'ID="{project_id}"']
    for module in modules:
        lines.append(
            {"document": f"Document={module.name}/&H00000000", "class": f"Class={module.name}"}.get(
                module.kind, f"Module={module.name}"
            )
        )
    lines += [
        f'Name="{project_name}"',
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


def _project_wm_stream(modules: list[Module]) -> bytes:
    """The ``PROJECTwm`` stream ([MS-OVBA] 2.3.3): module names in MBCS and in UTF-16."""
    out = bytearray()
    for module in modules:
        out += _mbcs(module.name) + b"\x00" + module.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def vba_project_bin(project_name: str, modules: list[Module], references: bytes) -> bytes:
    """Return ``vbaProject.bin`` holding ``modules`` and the raw ``references`` records.

    ``_VBA_PROJECT`` carries only its 7-byte header with version 0xFFFF and no compiled code,
    so Excel compiles the source when it loads the file. The same input gives the same bytes.
    """
    project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "authbook:" + project_name)).upper() + "}"
    vba = Entry(
        "VBA",
        children=[
            Entry("_VBA_PROJECT", struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0000)),
            Entry("dir", compress(_dir_stream(project_name, modules, references))),
            *(Entry(m.name, compress(_mbcs(m.source))) for m in modules),
        ],
    )
    root = Entry(
        "Root Entry",
        children=[
            Entry("PROJECT", _project_stream(project_id, project_name, modules)),
            Entry("PROJECTwm", _project_wm_stream(modules)),
            vba,
        ],
    )
    return compound_file(root)
