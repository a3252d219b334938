"""Where a workbook really is, and whether it can be written there: checked before anything
is read or locked, and said so that a user knows what to do (never an OSError's traceback).

A symbolic link is followed to the file it points at: that file is the one replaced, with its
``.bak`` beside it, and the link stays a link.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

from authbook.workbook.errors import WorkbookError


def real_path(path: Path | str) -> Path:
    """The file ``path`` stands for: the target of a symbolic link (links of links
    followed), else ``path`` itself. A dangling link gives its target, which may not exist."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def _folder_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def check_can_read(path: Path) -> None:
    """Refuse a path that is missing or not a file, naming what to do."""
    folder = _folder_of(path)
    if not folder.is_dir():
        raise WorkbookError(f"the folder {folder} does not exist: check the path of {path.name}")
    if path.is_dir():
        raise WorkbookError(f"{path} is a folder, not a workbook: give the path of the file")
    if not path.exists():
        raise WorkbookError(f"{path} does not exist")
    if not path.is_file():  # a named pipe or a device: opening it could wait forever
        raise WorkbookError(
            f"{path} is not a regular file, so not a workbook: give the path of one"
        )


def is_read_only(path: Path) -> bool:
    """Whether a file is marked read-only: no write permission for anyone (chmod 444, or
    the Read-only box of its Properties on Windows), or none for this user. An
    administrator could still write it; AuthBook respects the mark all the same."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def check_can_write(path: Path) -> None:
    """Refuse, before anything is read, locked or written, to write a workbook at ``path``
    (already ``real_path``): its folder must exist and be writable, and the path must not be
    a folder or a read-only file."""
    folder = _folder_of(path)
    if not folder.is_dir():
        raise WorkbookError(
            f"the folder {folder} does not exist: create it first, or give another path "
            f"for {path.name}"
        )
    if path.is_dir():
        raise WorkbookError(f"{path} is a folder, not a workbook: give the path of a file")
    if path.exists() and is_read_only(path):
        raise WorkbookError(
            f"{path.name} is read-only: nothing was written. Make it writable (Windows: "
            "Properties, untick Read-only; elsewhere: chmod u+w) or save a copy elsewhere"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WorkbookError(
            f"the folder {folder} is read-only for you: nothing was written. AuthBook saves "
            f"a new {path.name} beside the old one, so it needs to write in that folder"
        )


def _temp_folder() -> Path:
    return Path(tempfile.gettempdir())


def _same_disk(a: Path, b: Path) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def _nearly_full(folder: Path) -> bool:
    """Whether the disk of ``folder`` has less than 64 MB free (True when unknown: then the
    workbook's disk is the one blamed)."""
    try:
        return shutil.disk_usage(folder).free < 64 << 20
    except OSError:
        return True


def save_problem(exc: OSError, path: Path) -> str:
    """What to tell a user when saving ``path`` failed with ``exc``: which disk or folder,
    and what to do. A full temporary folder (TMPDIR, where a large workbook's sheets are
    written first) is named as such rather than blamed on the workbook's disk."""
    folder = _folder_of(path)
    name = path.name
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        temp = _temp_folder()
        inside = temp == folder or temp in folder.parents
        # the workbook's own disk has room: what filled up is the temporary folder's
        if inside or (not _same_disk(temp, folder) and not _nearly_full(folder)):
            return (
                f"could not save {name}: the temporary folder {temp} is full (set TMPDIR "
                "to a folder on a disk with space). Nothing was changed"
            )
        return (
            f"could not save {name}: the disk holding {folder} is full. Free some space "
            "and run again. Nothing was changed"
        )
    if exc.errno == errno.EFBIG:
        return f"could not save {name}: the file would be larger than this system allows"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"could not save {name}: permission denied in {folder} (a read-only folder or "
            "disk). Nothing was changed"
        )
    if exc.errno == errno.ENOENT:
        return f"could not save {name}: the folder {folder} does not exist (any more)"
    return f"could not save {name}: {exc.strerror or exc}. Nothing was changed"
