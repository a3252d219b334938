"""Zip entries of the new package: copied raw (the compressed bytes as they are), or written
from a part deflated as it was made.

A large part is inflated ahead (``ReadAhead``) and deflated (``DeflatedPart``:
``authbook.workbook.deflate``, ISA-L) in worker threads, beside the Python code making its
XML (zlib and crc32 let go of the GIL), so neither the part nor a second copy of it is ever
held in memory: only its deflated stream, in a temporary file.
"""

from __future__ import annotations

import queue
import tempfile
import threading
import zipfile
from typing import IO

from authbook.workbook import deflate
from authbook.workbook.xlsx.errors import NeedsFullRewrite

#: zlib level of the small parts zipfile deflates (new sheets, Tables, workbook.xml): 2
#: deflates about 4x faster than 6 for about 20% more bytes. Large parts: ``deflate.LEVEL``.
COMPRESS_LEVEL = 2
SPOOL_BYTES = 1 << 20
#: A part rewritten is deflated in a thread of its own once it is this large (and a part
#: read is inflated ahead in one).
THREAD_AFTER = 4 << 20
#: How many pieces of a part wait for that thread at most (a piece is about 1 MB): memory
#: the worker threads hold stays with the process, so little is kept in flight.
QUEUED = 4


def _raw_entry(raw: IO[bytes], info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where the compressed bytes of ``info`` start in the file, and how many there are."""
    try:
        return deflate.entry_start(raw, info), info.compress_size
    except zipfile.BadZipFile as exc:
        raise NeedsFullRewrite(str(exc)) from exc


def _entry_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    out = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    out.compress_type = info.compress_type
    out.comment = info.comment
    out.create_system = info.create_system
    out.create_version = info.create_version
    out.extract_version = info.extract_version
    out.external_attr = info.external_attr
    out.internal_attr = info.internal_attr
    out.flag_bits = info.flag_bits & 0x800  # keep only "names are UTF-8"
    return out


def _copy_raw(zout: zipfile.ZipFile, raw: IO[bytes], info: zipfile.ZipInfo) -> None:
    """Copy one entry, compressed bytes as they are, into ``zout``."""
    if info.flag_bits & 0x1:
        raise NeedsFullRewrite(f"{info.filename} is encrypted")
    start, size = _raw_entry(raw, info)
    out = _entry_info(info)
    out.CRC, out.compress_size, out.file_size = info.CRC, info.compress_size, info.file_size
    raw.seek(start)
    _append_entry(zout, out, raw)


def _append_entry(zout: zipfile.ZipFile, out: zipfile.ZipInfo, data: IO[bytes]) -> None:
    """Append entry ``out`` (its sizes and CRC set) whose stored bytes ``data`` reads out."""
    zip64 = out.file_size > zipfile.ZIP64_LIMIT or out.compress_size > zipfile.ZIP64_LIMIT
    out.header_offset = zout.fp.tell()
    zout.fp.write(out.FileHeader(zip64))
    remaining = out.compress_size
    while remaining:
        chunk = data.read(min(remaining, 1 << 20))
        if not chunk:
            raise NeedsFullRewrite(f"{out.filename}: truncated entry")
        zout.fp.write(chunk)
        remaining -= len(chunk)
    zout.filelist.append(out)
    zout.NameToInfo[out.filename] = out
    zout.start_dir = zout.fp.tell()
    zout._didModify = True


class ReadAhead:
    """A part being read, inflated ahead in a worker thread (zlib lets go of the GIL).

    ``read`` hands out the pieces the thread read, whatever size is asked; ``b""`` at the
    end. At most two pieces wait.
    """

    def __init__(self, stream: IO[bytes], piece: int = 1 << 20):
        self._stream, self._piece = stream, piece
        self._queue: queue.Queue = queue.Queue(2)
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="inflate", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            while not self._stopping:
                data = self._stream.read(self._piece)
                self._queue.put(data)
                if not data:
                    return
        except BaseException as exc:  # handed to the reading thread
            self._queue.put(exc)

    def read(self, size: int = -1) -> bytes:
        data = self._queue.get()
        if isinstance(data, BaseException):
            raise data
        if not data:
            self._queue.put(data)  # the end stays the end
        return data

    def close(self) -> None:
        self._stopping = True
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()
        self._stream.close()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DeflatedPart:
    """A new part's content, deflated as it is written and kept until the package is written.

    Once the part passes ``THREAD_AFTER`` bytes, deflating moves to a worker thread (zlib
    and crc32 let go of the GIL), so it runs beside the Python code making the XML; at most
    ``QUEUED`` pieces wait for it. What is kept is the deflated stream (on disk past
    ``SPOOL_BYTES``), never the part itself. ``stored`` keeps the bytes as they are instead.
    """

    def __init__(self, stored: bool = False, file: IO[bytes] | None = None):
        self.stored = stored
        self.file = tempfile.SpooledTemporaryFile(SPOOL_BYTES) if file is None else file
        self.crc = self.size = 0
        self._deflate = None if stored else deflate.compressor()
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._queue is not None:
            if self._error is not None:
                raise self._error
            self._queue.put(data)
            return
        self._add(data)
        if self.size >= THREAD_AFTER:
            self._queue = queue.Queue(QUEUED)
            self._thread = threading.Thread(target=self._work, name="deflate", daemon=True)
            self._thread.start()

    def _add(self, data: bytes) -> None:
        self.crc = deflate.crc32(data, self.crc)
        self.size += len(data)
        self.file.write(data if self._deflate is None else self._deflate.compress(data))

    def _work(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._add(data)
                except BaseException as exc:  # handed to the writing thread
                    self._error = exc

    def _stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def finish(self) -> None:
        """Deflate what is still waiting and end the stream."""
        self._stop()
        if self._error is not None:
            raise self._error
        if self._deflate is not None:
            self.file.write(self._deflate.flush())
            self._deflate = None

    def append_to(self, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """Append the part to ``zout`` as entry ``info`` (its name, time and attributes)."""
        self.finish()
        out = _entry_info(info)
        out.compress_type = zipfile.ZIP_STORED if self.stored else zipfile.ZIP_DEFLATED
        out.CRC, out.file_size, out.compress_size = self.crc, self.size, self.file.tell()
        self.file.seek(0)
        _append_entry(zout, out, self.file)

    def close(self) -> None:
        self._stop()
        self.file.close()


def _write_new(zout: zipfile.ZipFile, info: zipfile.ZipInfo, content) -> None:
    """Write entry ``info`` with ``content``: bytes (deflated here, at ``COMPRESS_LEVEL``)
    or a part deflated already (anything with ``append_to``)."""
    if not isinstance(content, bytes):  # a DeflatedPart, or a child's ChildPart
        content.append_to(zout, info)
        return
    out = _entry_info(info)
    if out.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        out.compress_type = zipfile.ZIP_DEFLATED
    for attr in ("compress_level", "_compresslevel"):  # its name from Python 3.13, and before
        if hasattr(out, attr) or attr in type(out).__slots__:
            setattr(out, attr, COMPRESS_LEVEL)
    out.file_size = len(content)
    with zout.open(out, "w") as f:
        f.write(content)
