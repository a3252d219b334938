"""Deflate, inflate and CRC-32 for the package parts AuthBook reads and rewrites.

A refresh of a large workbook inflates its largest sheet twice (to read it, to rewrite it)
and deflates the rewritten sheet once: hundreds of MB of XML. ISA-L (python-isal) does
each several times faster than zlib, in the same format (raw deflate, CRC-32), and lets go
of the GIL as zlib does. Measured on the 304 MB Notes part of the 50k/500k benchmark
workbook: deflate 0.28 s at ISA-L level 2 against 1.09 s at zlib level 2 (35.9 against
35.5 MB), inflate 0.28 against 0.6-1.5 s, CRC-32 0.01 against 0.08 s. Where python-isal is
not installed, zlib does the same work.

ISA-L's deflated bytes depend on how the input was handed to it, piece by piece; the
inflated part does not. Everything that compares parts compares them inflated.
"""

from __future__ import annotations

import struct
import zipfile
import zlib

try:
    from isal import isal_zlib as _fast
except ImportError:  # pragma: no cover - python-isal is a dependency; zlib is the fallback
    _fast = None

_ZIP = _fast or zlib
#: The level parts are deflated at: ISA-L's 2 (of 0-3) deflates as fast as its 1 and a little
#: smaller; without ISA-L, zlib's 2 (about 4x faster than 6 on a large worksheet, 10-15%
#: larger).
LEVEL = 2
#: How many deflated bytes ``InflatedPart`` inflates at a time.
PIECE = 1 << 18


def compressor():
    """A compressor of raw deflate (no zlib header), as zip entries hold."""
    return _ZIP.compressobj(LEVEL, zlib.DEFLATED, -15)


def crc32(data: bytes, value: int = 0) -> int:
    """The CRC-32 of ``data``, continuing from ``value``."""
    return _ZIP.crc32(data, value)


def entry_start(fp, info: zipfile.ZipInfo) -> int:
    """Where the stored bytes of entry ``info`` start in the open package file ``fp``.
    Raises ``zipfile.BadZipFile`` when no local header is where the directory says."""
    fp.seek(info.header_offset)
    header = fp.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"{info.filename}: bad local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


class InflatedPart:
    """A part of a package on disk, read inflated, with its size and CRC-32 checked at the
    end as ``zipfile`` checks them. Has its own file handle, so other threads and processes can
    read the same package meanwhile."""

    def __init__(self, path: str, info: zipfile.ZipInfo):
        self._info = info
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            self._file.seek(entry_start(self._file, info))
        except BaseException:
            self._file.close()
            raise
        self._left = info.compress_size
        self._inflate = (
            _ZIP.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        )
        self._crc = self._size = self._at = 0
        self._buffer = b""
        self._done = False

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the part (all that is left when ``size`` is negative);
        ``b""`` at its end."""
        if size is None or size < 0:
            rest = [self._buffer[self._at :]]
            while data := self._inflated(self._left):
                rest.append(data)
            self._buffer, self._at = b"", 0
            return b"".join(rest)
        while self._at >= len(self._buffer):
            self._buffer, self._at = self._inflated(PIECE), 0
            if not self._buffer:
                return b""
        if self._at == 0 and size >= len(self._buffer):
            data, self._buffer = self._buffer, b""
            return data
        data = self._buffer[self._at : self._at + size]
        self._at += len(data)
        return data

    def _inflated(self, most: int) -> bytes:
        """The next bytes of the part, inflated from at most ``most`` stored bytes (``b""``
        once it is all read)."""
        while not self._done:
            take = min(self._left, most)
            raw = self._file.read(take)
            self._left -= len(raw)
            if len(raw) < take:
                raise zipfile.BadZipFile(f"{self._info.filename}: truncated entry")
            data = raw if self._inflate is None else self._inflate.decompress(raw)
            if not self._left:
                if self._inflate is not None:
                    data += self._inflate.flush()
                self._done = True
            self._crc = _ZIP.crc32(data, self._crc)
            self._size += len(data)
            if self._done:
                self._check()
            if data:
                return data
        return b""

    def _check(self) -> None:
        if self._size != self._info.file_size:
            raise zipfile.BadZipFile(f"{self._info.filename}: wrong size")
        if self._crc != self._info.CRC:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {self._info.filename!r}")

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> InflatedPart:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_part(zf: zipfile.ZipFile, name: str):
    """Part ``name`` of the package ``zf``, opened for reading inflated: an ``InflatedPart``
    when the package is a file on disk and the part is stored or deflated, else what
    ``zf.open`` gives."""
    info = zf.getinfo(name)
    usable = info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
    if not zf.filename or not usable or info.flag_bits & 0x1:
        return zf.open(name)
    return InflatedPart(zf.filename, info)
