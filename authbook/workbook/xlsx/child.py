"""The forked writer child: the largest sheet of a first refresh rewritten by a second
process (``os.fork``, Linux only) while this one writes the others - the same bytes, on two
cores.

The child inherits an unnamed temporary file (``scratch``: a refresh killed meanwhile leaves
no file behind) and deflates the sheet into it; its outcome (CRC, size, the header row it
met, the cell styles it added) comes back on a ``parallel.channel.Channel``, the channel
every AuthBook process talks through. It dies with its parent (``die_with_parent``).
Everything about processes in the xlsx writer is here.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import zipfile
from contextlib import suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING

from authbook.workbook import scratch
from authbook.workbook.sheetdata import CellColumns, SheetWrite, SheetWriteLater
from authbook.workbook.xlsx.entries import DeflatedPart, _append_entry, _entry_info
from authbook.workbook.xlsx.layout import SheetPart
from authbook.workbook.xlsx.sheet import SheetRewriter
from authbook.workbook.xlsx.strings import SharedStrings
from authbook.workbook.xlsx.styles import Styles

if TYPE_CHECKING:  # (loaded only where a child is started: start-up time)
    from authbook.parallel.channel import Channel

#: when it sets at least this many rows by column (a first refresh of a large Notes sheet).
FORK_ROWS = 20_000
#: Linux only: there a forked child is a cheap copy-on-write of this process.
FORK = sys.platform.startswith("linux")
#: What the last child process reported of its memory (kB): ``{"peak": VmHWM, "own": the
#: pages it did not share with its parent}``, for the benchmark.
LAST_CHILD_MEMORY: dict[str, int] = {}


def _sheet_to_fork(package, writes: dict[str, SheetWrite], others: int = 1) -> str | None:
    """The sheet worth a child process: the largest first-refresh write of ``FORK_ROWS``
    rows or more, when ``others`` other sheets are written too and no other thread runs (a
    fork copies only the thread that calls it)."""
    if not FORK or threading.active_count() > 1:
        return None
    sizes = {
        name: _columns_written(write)
        for name, write in writes.items()
        if name in package.sheets and write.rows is None
    }
    sizes = {name: size for name, size in sizes.items() if size is not None}
    if not sizes:
        return None
    name = max(sizes, key=sizes.get)
    rest = [w for n, w in writes.items() if n != name and (w.rows is not None or _sets_cells(w))]
    return name if sizes[name] >= FORK_ROWS and len(rest) >= others else None


def worth_a_child(write: SheetWrite) -> bool:
    """Whether ``write`` sets enough rows by column (``FORK_ROWS``) for a child process to
    write its sheet, when ``_sheet_to_fork`` also finds the rest as it must be."""
    return (_columns_written(write) or 0) >= FORK_ROWS


def _columns_written(write: SheetWrite) -> int | None:
    """The rows a write sets by column (CellColumns: a first refresh), else None. A
    ``SheetWriteLater`` not worked out yet is one, of about its ``expected_rows``."""
    if isinstance(write, SheetWriteLater) and not write.made:
        return write.expected_rows
    return len(write.cells.rows) if isinstance(write.cells, CellColumns) else None


def _sets_cells(write: SheetWrite) -> bool:
    """Whether ``write`` sets cells (a ``SheetWriteLater`` not worked out yet is taken to)."""
    return (isinstance(write, SheetWriteLater) and not write.made) or bool(write.cells)


class ChildPart:
    """A part a child process deflated into an unnamed file (``scratch``): appended like a
    DeflatedPart, and its file let go of on ``close``."""

    def __init__(self, file: IO[bytes], stored: bool, crc: int, size: int, header, styles):
        self.file, self.stored, self.crc, self.size = file, stored, crc, size
        #: The sheet's header row as the child wrote it, when it edited it (for the Table
        #: re-fit); None when the row stays as the file has it (the child did not read it).
        self.header: dict[int, str] | None = header
        #: The child's cell styles when it added some, else None.
        self.styles: Styles | None = styles

    def append_to(self, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        out = _entry_info(info)
        out.compress_type = zipfile.ZIP_STORED if self.stored else zipfile.ZIP_DEFLATED
        self.file.seek(0)
        out.CRC, out.file_size = self.crc, self.size
        out.compress_size = os.fstat(self.file.fileno()).st_size
        _append_entry(zout, out, self.file)

    def close(self) -> None:
        with suppress(OSError):
            self.file.close()


class _ChildSheet:
    """One sheet rewritten by a forked child into an unnamed temporary file the child
    inherits (``scratch``: a refresh killed meanwhile leaves no file behind); its outcome
    comes back as one message on a ``parallel.channel.Channel`` (a pickled dict)."""

    def __init__(self, pid: int, file: IO[bytes], channel: Channel, stored: bool):
        self.pid, self.file, self.channel, self.stored = pid, file, channel, stored

    @classmethod
    def start(cls, sheets, sheet: SheetPart, write: SheetWrite, stored: bool):
        """Fork the child to rewrite ``sheet`` of ``sheets`` (the writer's: its source,
        package, styles and shared strings parts); None (nothing left behind) when the
        temporary folder, a channel or a new process cannot be had: then this process writes
        the sheet itself."""
        # here, not at the top: a small workbook's save never forks (start-up time)
        from authbook.parallel.channel import Channel, die_with_parent

        try:
            file = scratch.unnamed_file()
        except OSError:
            return None
        parent = os.getpid()
        channel = Channel.open()
        if channel is None:
            file.close()
            return None
        try:
            pid = os.fork()
        except OSError:
            channel.close()
            file.close()
            return None
        if pid == 0:  # the child: never returns
            channel.keep_child_ends()
            die_with_parent(parent)
            _child_main(sheets, sheet, write, stored, file.fileno(), channel)
        channel.keep_parent_ends()
        return cls(pid, file, channel, stored)

    def result(self) -> ChildPart | None:
        """Wait for the child; its part, or None (file deleted) when it failed."""
        try:
            made = self.channel.receive()
        except Exception:  # ChannelClosed (it died first), or a message that does not unpickle
            made = None
        finally:
            self.channel.close()
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0  # reaped: its number may go to another process
        if status != 0 or not made or "error" in made:
            with suppress(OSError):
                self.file.close()
            return None
        LAST_CHILD_MEMORY.clear()
        LAST_CHILD_MEMORY.update(made["memory"])
        return ChildPart(self.file, self.stored, made["crc"], made["size"], made["header"],
                         made["styles"])  # fmt: skip

    def stop(self) -> None:
        """Kill the child (this process is failing) and delete its file."""
        if self.pid > 0:
            with suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        self.channel.close()
        with suppress(OSError):
            self.file.close()


def _child_main(sheets, sheet, write, stored: bool, fd: int, channel: Channel):
    """The forked child: rewrite ``sheet`` into the file open as ``fd`` (shared with the
    parent, which reads it from the start once this has exited), report through
    ``channel``, exit."""
    from authbook.parallel.channel import own_memory  # (loaded by ``start``, the parent)

    status = 1
    try:
        try:
            with zipfile.ZipFile(sheets.src) as zin, os.fdopen(os.dup(fd), "wb") as f:
                # a zip file of its own: the parent's shares its file offset with this one
                strings = SharedStrings(zin, sheets.strings_part)
                styles = sheets.new_styles(zin)
                rewriter = SheetRewriter(zin, sheet, write, styles, strings,
                                         sheets.package.date1904)  # fmt: skip
                # row 1 as it stays is read by the parent meanwhile: 0.06-0.08 s of this
                # process's shared strings looked through at 50,000 auths, saved
                rewriter.read_header = False
                body = DeflatedPart(stored, file=f)
                rewriter.run(body)
                body.finish()
            made = {
                "crc": body.crc,
                "size": body.size,
                "header": rewriter.header if rewriter.header_kept else None,
                "styles": styles if styles.changed else None,
                "memory": own_memory(),
            }
            status = 0
        except BaseException as exc:  # the parent writes the sheet itself, and meets it
            made = {"error": type(exc).__name__}
        channel.send(pickle.dumps(made))
    except BaseException:
        status = 1
    finally:
        os._exit(status)


class StartedSheet:
    """A sheet a child process is writing (``start_sheet``) until ``write_sheets`` takes it;
    ``stop`` ends the child and deletes its file when no write will."""

    def __init__(self, src: Path, name: str, write: SheetWrite, child: _ChildSheet):
        self.src, self.name, self.write, self._child = src, name, write, child

    def take(self) -> _ChildSheet | None:
        child, self._child = self._child, None
        return child

    def stop(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.stop()
