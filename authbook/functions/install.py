"""Installing the add-in into Excel's start-up folder, whose every file Excel opens when it starts.

So nothing but a whole ``AuthBook.xlam`` may ever stand there: the add-in is built in a
temporary folder elsewhere, the old file is checked for Excel's lock first, and a copy that
fails half-way puts the old bytes back (or removes the file) before saying what to do.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from authbook.functions.sources import AddinError
from authbook.functions.xlam import ADDIN_NAME, build_addin

__all__ = [
    "InstallError",
    "MAC_STARTUP",
    "install_addin",
    "interpreter_settings",
    "is_locked",
    "startup_folder",
]

MAC_STARTUP = (
    "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"
)
"""Excel 2016 and later for macOS: the start-up folder under the user's home."""


class InstallError(AddinError):
    """The add-in cannot be installed here; the message says why and what to do."""


def _ask_excel() -> Path | None:
    """The start-up folder a running Excel reports (as ``xlwings addin install`` asks), or None
    when no Excel runs or it cannot be asked."""
    try:
        # xlwings only when the add-in is installed (Excel may not be there)
        import xlwings as xw

        if xw.apps.count:
            return Path(xw.apps.active.startup_path)
    except Exception:  # no Excel, no permission to script it, or not this OS: use the fixed path
        return None
    return None


def startup_folder(
    platform: str | None = None, ask_excel: Callable[[], Path | None] = _ask_excel
) -> Path:
    """Return Excel's per-user start-up folder, whose add-ins Excel opens when it starts.

    Asks a running Excel where it can (``ask_excel``); otherwise Windows:
    ``%APPDATA%\\Microsoft\\Excel\\XLSTART``; macOS: ``~/`` + :data:`MAC_STARTUP`. Raises
    :class:`InstallError` elsewhere: Excel runs only on Windows and macOS.
    """
    platform = platform or sys.platform
    if not (platform.startswith("win") or platform == "darwin"):
        raise InstallError(
            "Excel add-ins can only be installed on Windows or macOS. "
            "Build the file with 'authbook addin build' and copy AuthBook.xlam to the computer "
            "that runs Excel, then run 'authbook addin install' there "
            "(or, in Excel: File > Options > Add-ins > Manage Excel Add-ins > Go > Browse)."
        )
    asked = ask_excel()
    if asked is not None:
        return asked
    if platform == "darwin":
        return Path.home() / MAC_STARTUP
    appdata = os.environ.get("APPDATA")
    if not appdata:
        raise InstallError("APPDATA is not set, so Excel's XLSTART folder cannot be found")
    return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"


def interpreter_settings(platform: str | None = None, python: str | None = None) -> dict[str, str]:
    """The add-in's Interpreter setting for this OS: the Python running this command."""
    platform = platform or sys.platform
    key = "Interpreter_Mac" if platform == "darwin" else "Interpreter_Win"
    return {key: python or sys.executable}


def is_locked(path: Path) -> bool:
    """Whether another program (Excel, on Windows) holds ``path`` open so it cannot be written."""
    try:
        with open(path, "r+b"):
            return False
    except FileNotFoundError:
        return False
    except PermissionError:
        return True


def _replace(built: Path, target: Path) -> None:
    """Copy ``built`` over ``target``; if the copy fails, put the old bytes back, or remove the
    half-written file, and raise :class:`InstallError`."""
    old = target.read_bytes() if target.exists() else None
    try:
        shutil.copyfile(built, target)
        return
    except OSError as exc:
        failure = exc
    try:
        if old is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(old)
    except OSError:
        target.unlink(missing_ok=True)
    left = "the previous add-in is still there" if target.exists() else "nothing was left there"
    raise InstallError(
        f"could not write {target} ({failure.strerror or failure}); {left}. "
        "Close Excel and run 'authbook addin install' again."
    ) from failure


def install_addin(
    addin: Path | None = None,
    *,
    platform: str | None = None,
    python: str | None = None,
    folder: Path | None = None,
) -> Path:
    """Put the AuthBook add-in into Excel's start-up folder and return the installed path.

    ``addin`` is an already built ``.xlam`` to copy as it is; without it the add-in is built
    now, in a temporary folder, naming ``python`` (default: this Python) as its interpreter.
    ``folder`` replaces the start-up folder (tests). Excel loads the add-in the next time it
    starts. Raises :class:`InstallError` when Excel holds the old add-in open, when the copy
    fails (the start-up folder is then left as it was), or off Windows and macOS.
    """
    folder = folder or startup_folder(platform)
    target = folder / ADDIN_NAME
    if is_locked(target):
        raise InstallError(
            f"Excel has {target} open, so it cannot be replaced. Close Excel (every window) "
            "and run 'authbook addin install' again."
        )
    with tempfile.TemporaryDirectory(prefix="authbook-addin-") as work:
        built = Path(addin) if addin is not None else Path(work) / ADDIN_NAME
        if addin is None:
            build_addin(built, interpreter=interpreter_settings(platform, python))
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InstallError(f"cannot create {folder}: {exc.strerror or exc}") from exc
        _replace(built, target)
    if (platform or sys.platform) == "darwin":
        _install_runpython_script()
    return target


def _install_runpython_script() -> None:
    """On macOS, RunPython goes through an AppleScript that xlwings ships; put it where Excel
    may run it (what ``xlwings runpython install`` does)."""
    try:
        # xlwings only when the add-in is installed (Excel may not be there)
        from xlwings import cli

        cli.runpython_install(None)
    except Exception as exc:  # the add-in is in place; say what is left to do
        raise InstallError(
            f"the add-in is installed, but xlwings' RunPython script was not ({exc}). "
            "Run 'xlwings runpython install' once."
        ) from exc
