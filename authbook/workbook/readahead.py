"""A small workbook's sheets parsed by calamine in other threads from a command's first
moments (``read_ahead``), while the command imports the modules it computes with.

A refresh of a practice of a few hundred clients spends about as long importing its
modules as calamine spends parsing the Notes sheet; begun first, the parse goes on while
the imports run (measured with ``benchmarks/startup.py``). ``fastread.read_sheets`` takes
the parsed sheets when the file is still the one parsed (same file, size and time), and
otherwise drops them and parses again.

This module imports nothing of AuthBook and only what the read needs anyway: it runs
before the rest is imported.
"""

from __future__ import annotations

import os
import stat
import threading
import zipfile
from collections.abc import Callable, Sequence

from python_calamine import CalamineWorkbook

#: A worksheet whose XML holds at least this many bytes is parsed in pieces, side by side
#: (``fastread``): a workbook holding one is not read ahead (its parse outlasts any import).
SPLIT_BYTES = 8 << 20


def _identity(file) -> tuple[int, int, int, int]:
    """What changes when a file is replaced or written (``os.replace`` gives it a new
    inode; a write, a new size or time): of the file at a path, or of an open file."""
    st = os.fstat(file.fileno()) if hasattr(file, "fileno") else os.stat(file)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


class ReadAhead:
    """The sheets ``names`` of one workbook file, being parsed by calamine in two threads:
    the first name alone (give the largest sheet first: Notes), the others in order.

    ``take`` hands them to the reader. The threads are daemons: a command that fails
    before it reads does not wait for them."""

    def __init__(self, path, names: Sequence[str]) -> None:
        self._identity = _identity(path)
        self._path = os.fspath(path)
        self._parsed: dict[str, object] = {}
        self._ready = {name: threading.Event() for name in names}
        for group in (names[:1], names[1:]):
            if group:
                threading.Thread(target=self._parse, args=(group,), daemon=True).start()

    def _parse(self, names: Sequence[str]) -> None:
        try:
            with CalamineWorkbook.from_path(self._path) as book:
                for name in names:  # (one the workbook lacks keeps its error, never asked for)
                    self._parsed[name] = _parsed_or_error(book, name)
                    self._ready[name].set()
        except BaseException as exc:  # noqa: BLE001 (handed to the reader, which raises it)
            for name in names:
                self._parsed.setdefault(name, exc)
                self._ready[name].set()

    def take(self, file, names: Sequence[str]) -> Callable[[str], object] | None:
        """A function giving calamine's data of each of ``names`` (waiting for its parse;
        raising what calamine raised), each once: when all of them are being parsed here
        and ``file`` (the reader's open file, or a path) is still the one parsed.
        Otherwise None: the caller parses them itself."""
        try:
            current = _identity(file) == self._identity
        except OSError:
            current = False
        if not current or not all(name in self._ready for name in names):
            return None

        def parsed(name: str):
            self._ready[name].wait()
            found = self._parsed.pop(name)
            if isinstance(found, BaseException):
                raise found
            return found

        return parsed


def _parsed_or_error(book, name: str):
    """calamine's data of sheet ``name``, or the error its parse raised."""
    try:
        return book.get_sheet_by_name(name)
    except Exception as exc:  # noqa: BLE001 (handed to the reader, which raises it)
        return exc


#: A package whose parts hold more than this many bytes in all is not read ahead: it is no
#: small workbook, and the reader's checks (a part inflating to gigabytes, say) come first.
TOTAL_BYTES = 64 << 20


def read_ahead(path, names: Sequence[str]) -> ReadAhead | None:
    """Begin parsing the sheets ``names`` of the workbook at ``path`` (largest first), for
    ``fastread.read_sheets(..., ahead=)``. None, and nothing begun, unless ``path`` is a
    regular ``.xlsx``/``.xlsm`` file readable as a zip package whose worksheets hold less
    than ``SPLIT_BYTES`` of XML each and its parts ``TOTAL_BYTES`` in all: anything else is
    left to the reader, which checks the file first and says what is wrong."""
    try:
        if not (
            os.fspath(path).lower().endswith((".xlsx", ".xlsm"))
            and stat.S_ISREG(os.stat(path).st_mode)  # (a named pipe would block the open)
        ):
            return None
        with zipfile.ZipFile(path) as zf:
            parts = zf.infolist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return None
    sheets = [i.file_size for i in parts if i.filename.startswith("xl/worksheets/")]
    if max(sheets, default=0) >= SPLIT_BYTES or sum(i.file_size for i in parts) > TOTAL_BYTES:
        return None
    try:
        return ReadAhead(path, names)
    except OSError:
        return None
