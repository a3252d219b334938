"""Private temporary files that leave nothing behind, not even when the process holding them
is killed: they hold the practice's data (a piece of the Notes sheet, the shared strings
with every client's name), so none may be left lying in the temporary folder.

A file here has no name in the folder from the start: the system frees it when the last
process holding it ends, however it ends. A child forked while it is open inherits it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO

#: Where Linux lets a process open its own open files again by number.
_OWN_FILES = Path("/proc/self/fd")

#: Whether other code of this process (calamine, which opens files by path) can open an
#: unnamed file through ``path_of``. Not on systems without ``/proc``.
NAMEABLE = _OWN_FILES.is_dir()


def unnamed_file() -> IO[bytes]:
    """A new, empty binary file to write and read back, with no name in the temporary folder.
    Raises OSError when the temporary folder cannot have it."""
    return tempfile.TemporaryFile()


def path_of(file: IO[bytes]) -> str:
    """A path by which this process can open ``file`` again while it is open (Linux only:
    see ``NAMEABLE``). Flush ``file`` before another reader opens it."""
    return str(_OWN_FILES / str(file.fileno()))
