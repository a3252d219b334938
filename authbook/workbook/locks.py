"""Who else has a workbook: Excel or LibreOffice open on it, or another AuthBook run.

- Excel keeps ``~$NAME`` beside a workbook it has open, LibreOffice ``.~lock.NAME#``: a
  workbook either program has open is never written, since its next save would throw
  AuthBook's away. ``check_not_open`` is asked when the file is opened and again right
  before the new file replaces it (a prompt may have waited minutes in between).
- ``RefreshLock`` is AuthBook's own: ``.NAME.authbook-lock``, holding the process id, the
  computer's name and when it was taken. A lock of a run on this computer whose process has
  ended is stale and removed. A lock taken on another computer (a workbook on a shared
  drive) is never judged by this computer's processes: it is respected until it is
  ``FOREIGN_STALE_AFTER`` old (that run's computer was switched off mid-run, say); the
  message says whose it is.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from pathlib import Path

from authbook.workbook.errors import WorkbookError
from authbook.workbook.paths import check_can_read, check_can_write, real_path

#: How old another computer's AuthBook lock must be before it is taken as left behind.
#: The longest run AuthBook makes (a refresh of 500,000 notes) takes seconds, and a
#: bulk-update's prompt minutes; a day is far beyond either.
FOREIGN_STALE_AFTER = 24 * 3600


def lock_file_of(path: Path) -> Path:
    """The lock file Excel keeps beside a workbook it has open: ``~$NAME``."""
    return path.with_name("~$" + path.name)


def libreoffice_lock_of(path: Path) -> Path:
    """The lock file LibreOffice keeps beside a document it has open: ``.~lock.NAME#``."""
    return path.with_name(".~lock." + path.name + "#")


def open_elsewhere(path: Path) -> str | None:
    """Why ``path`` must not be written now (Excel or LibreOffice has it open), or None.
    Both the path given and, for a symbolic link, the file it points at are looked at."""
    places = [Path(path)]
    real = real_path(path)
    if real != places[0]:
        places.append(real)
    for place in places:
        if lock_file_of(place).exists():
            return (
                f"{place.name} is open in Excel (lock file {lock_file_of(place).name}); "
                "close it there first, or use the AuthBook ribbon inside Excel"
            )
        if libreoffice_lock_of(place).exists():
            return (
                f"{place.name} is open in LibreOffice (lock file "
                f"{libreoffice_lock_of(place).name}); close it there first. If LibreOffice "
                "is not running, the lock file was left by a crash: delete it"
            )
    return None


def check_not_open(path: Path) -> None:
    """Raise WorkbookError when Excel or LibreOffice has the workbook open."""
    problem = open_elsewhere(path)
    if problem:
        raise WorkbookError(problem)


def this_computer() -> str:
    """This computer's name as its lock files record it (``uname``'s node name, which is
    what ``socket.gethostname`` gives on Linux and macOS, without importing ``socket``:
    ~3 ms of every command that saves)."""
    if hasattr(os, "uname"):
        return os.uname().nodename or "unknown"
    import socket  # Windows: no uname

    return socket.gethostname() or "unknown"


def is_running(pid: int) -> bool:
    """Whether process ``pid`` exists on this computer. On Windows the process is opened and
    asked for its exit code (``os.kill`` there would end it, not probe it)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _is_running_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return False
    return True


def _is_running_windows(pid: int) -> bool:  # pragma: no cover - Windows only
    # Windows only
    import ctypes

    query_limited_information, still_active = 0x1000, 259
    kernel = ctypes.windll.kernel32
    handle = kernel.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return ctypes.GetLastError() == 5  # access denied: it exists
    try:
        code = ctypes.c_ulong()
        if not kernel.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == still_active
    finally:
        kernel.CloseHandle(handle)


def lock_text(pid: int, host: str, when: float) -> str:
    """What a lock file holds: the process id, the computer's name and when it was taken."""
    return f"pid={pid}\nhost={host}\ntime={int(when)}\n"


def parse_lock(text: str) -> tuple[int, str | None]:
    """(process id, computer) recorded in a lock file; computer None for a lock written
    before computers were recorded (taken as this one's). A garbled file gives pid 0."""
    fields = dict(re.findall(r"^(\w+)=(.*)$", text, flags=re.M))
    if not fields:  # the old form: the process id alone
        text = text.strip()
        return (int(text) if text.isdigit() else 0), None
    pid = fields.get("pid", "").strip()
    return (int(pid) if pid.isdigit() else 0), (fields.get("host") or "").strip() or None


class RefreshLock:
    """An exclusive lock beside the workbook so two AuthBook runs never write it at once.

    Taken on the real file of a symbolic link, so two links to one workbook share it.
    """

    def __init__(self, path: Path):
        self.workbook = real_path(path)
        self.path = self.workbook.with_name("." + self.workbook.name + ".authbook-lock")
        self.held = False

    def __enter__(self) -> RefreshLock:
        check_can_read(self.workbook)  # before a lock file is made beside it
        check_can_write(self.workbook)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                break
            except FileExistsError:
                problem = self._held_by_other()
                if problem:
                    raise WorkbookError(problem) from None
                self.path.unlink(missing_ok=True)
        else:
            raise WorkbookError(f"{self.workbook.name}: could not take the lock {self.path.name}")
        with os.fdopen(fd, "w") as f:
            f.write(lock_text(os.getpid(), this_computer(), time.time()))
        self.held = True
        self._remove_leftovers()
        return self

    def _remove_leftovers(self) -> None:
        """Delete what a run killed while saving left beside the workbook: its half-written
        new workbook or backup (``replace_atomically``'s ``.NAME.xxxxxxxx.tmp`` and
        ``.NAME.bak.xxxxxxxx.tmp``). With the lock held no AuthBook run is writing one."""
        leftover = re.compile(
            r"\." + re.escape(self.workbook.name) + r"(?:\.bak)?\.[a-z0-9_]{8}\.tmp"
        )
        with contextlib.suppress(OSError), os.scandir(self.workbook.parent) as entries:
            for entry in entries:
                if leftover.fullmatch(entry.name):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    def _held_by_other(self) -> str | None:
        """Why the existing lock file must be respected, or None when it is stale."""
        try:
            pid, host = parse_lock(self.path.read_text(errors="replace"))
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return None  # released meanwhile
        except OSError:
            pid, host, age = 0, None, 0.0
        busy = (
            f"{self.workbook.name} is being changed by another AuthBook run "
            f"(lock file {self.path.name}"
        )
        if host is not None and host.casefold() != this_computer().casefold():
            if age > FOREIGN_STALE_AFTER:
                return None
            return (
                f"{busy}, taken on the computer {host}); try again when it has finished. If "
                f"no AuthBook is running on {host}, delete the lock file"
            )
        if pid <= 0 and host is None and age < 60:
            return f"{busy}); try again when it has finished"  # (being written just now)
        if pid <= 0 or not is_running(pid):
            return None
        return f"{busy}); try again when it has finished"

    def __exit__(self, *exc) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False
