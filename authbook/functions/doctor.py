"""``authbook doctor``: check what the Excel add-in needs on its first run, and say what to do.

On Windows and macOS: this Python and xlwings, ``AuthBook.xlam`` in Excel's start-up folder,
built with the installed xlwings, the Python it names (there, and able to import authbook and
xlwings), and whether Excel holds it open. On macOS also xlwings' RunPython script. On Linux,
where Excel does not run: Python, xlwings, and that the add-in builds here.

Each check is a :class:`Check`; :func:`run_checks` returns them in order, so tests can look at
them without parsing text.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import xlwings

from authbook.functions.install import is_locked, startup_folder
from authbook.functions.sources import AddinError
from authbook.functions.xlam import ADDIN_NAME, addin_bytes, read_settings, xlwings_version_of
from authbook.modelbase import dataclass

__all__ = ["Check", "register", "run_checks"]

MIN_PYTHON = (3, 10)
#: How long the Python the add-in names may take to import authbook and xlwings.
IMPORT_TIMEOUT = 120


@dataclass(frozen=True)
class Check:
    """One thing checked: ``ok`` False is a problem, and ``fix`` says what to do about it."""

    what: str
    ok: bool
    detail: str
    fix: str = ""


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    return Check(
        "Python",
        ok,
        f"{version} at {sys.executable}",
        "" if ok else "Install Python 3.10 or later, then 'pip install authbook' into it.",
    )


def _xlwings(platform: str) -> list[Check]:
    checks = [Check("xlwings", True, f"{xlwings.__version__} installed")]
    if platform.startswith("win") and importlib.util.find_spec("win32com") is None:
        checks.append(
            Check(
                "pywin32",
                False,
                "missing: xlwings needs it to talk to Excel on Windows",
                "Run: pip install pywin32",
            )
        )
    return checks


def _builds() -> Check:
    try:
        size = len(addin_bytes())
    except AddinError as exc:
        return Check(
            "add-in build",
            False,
            str(exc),
            "Reinstall authbook ('pip install --force-reinstall authbook').",
        )
    return Check("add-in build", True, f"AuthBook.xlam builds here ({size:,} bytes)")


def _imports(python: str) -> Check:
    try:
        done = subprocess.run(
            [python, "-c", "import authbook, xlwings; print(xlwings.__version__)"],
            capture_output=True,
            text=True,
            timeout=IMPORT_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("its Python", False, f"{python} could not be started ({exc})", _REINSTALL)
    if done.returncode != 0:
        return Check(
            "its Python",
            False,
            f"{python} cannot import authbook and xlwings",
            f"Run: {python} -m pip install authbook   (then restart Excel)",
        )
    found = done.stdout.strip()
    ok = found == xlwings.__version__
    return Check(
        "its Python",
        ok,
        f"imports authbook and xlwings {found}",
        "" if ok else f"Run: {python} -m pip install xlwings=={xlwings.__version__}",
    )


def _dll(python: Path) -> Check:
    """The formulas' COM bridge, which pip installs next to python.exe (a venv: one folder up)."""
    names = [f"xlwings{bits}-{xlwings.__version__}.dll" for bits in ("64", "32")]
    for folder in (python.parent, python.parent.parent):
        for name in names:
            if (folder / name).is_file():
                return Check("xlwings DLL", True, str(folder / name))
    return Check(
        "xlwings DLL",
        False,
        f"no {names[0]} next to {python}: the AB_ formulas cannot start Python",
        f"Run: {python} -m pip install --force-reinstall xlwings=={xlwings.__version__}",
    )


_REINSTALL = "Run 'authbook addin install' with the Python that has authbook, then restart Excel."


def _installed(platform: str, folder: Path | None) -> list[Check]:
    try:
        folder = folder or startup_folder(platform)
    except AddinError as exc:
        return [Check("start-up folder", False, str(exc), _REINSTALL)]
    addin = folder / ADDIN_NAME
    if not addin.is_file():
        return [
            Check("AuthBook.xlam", False, f"not in Excel's start-up folder {folder}", _REINSTALL)
        ]
    checks = [Check("AuthBook.xlam", True, f"in {folder}")]
    try:
        built_with, settings = xlwings_version_of(addin), read_settings(addin)
    except (OSError, KeyError, ValueError) as exc:
        return checks + [Check("AuthBook.xlam", False, f"cannot be read ({exc})", _REINSTALL)]
    same = built_with == xlwings.__version__
    checks.append(
        Check(
            "its xlwings",
            same,
            f"built with xlwings {built_with}"
            + ("" if same else f", {xlwings.__version__} installed"),
            "" if same else _REINSTALL,
        )
    )
    key = "Interpreter_Mac" if platform == "darwin" else "Interpreter_Win"
    python = settings.get(key, "")
    if not python:
        checks.append(Check("its Python", False, f"{key} is empty", _REINSTALL))
    elif not Path(python).is_file():
        checks.append(Check("its Python", False, f"names {python}, which is not there", _REINSTALL))
    else:
        checks.append(_imports(python))
        if platform.startswith("win"):
            checks.append(_dll(Path(python)))
    if is_locked(addin):
        checks.append(
            Check(
                "Excel's lock",
                True,
                "Excel has the add-in open (loaded); close Excel before reinstalling it",
            )
        )
    if platform == "darwin":
        script = (
            Path.home()
            / "Library/Application Scripts/com.microsoft.Excel"
            / f"xlwings-{xlwings.__version__}.applescript"
        )
        checks.append(
            Check(
                "RunPython script",
                script.is_file(),
                str(script) if script.is_file() else f"{script} is missing",
                "" if script.is_file() else "Run: xlwings runpython install",
            )
        )
    return checks


def run_checks(platform: str | None = None, folder: Path | None = None) -> list[Check]:
    """Every check for this OS (``platform`` as ``sys.platform``); ``folder`` stands for Excel's
    start-up folder (tests)."""
    platform = platform or sys.platform
    checks = [_python(), *_xlwings(platform), _builds()]
    if platform.startswith("win") or platform == "darwin" or folder is not None:
        checks += _installed(platform, folder)
    else:
        checks.append(
            Check(
                "Excel",
                True,
                "Excel does not run on this OS: build the add-in here with 'authbook addin "
                "build' or install authbook on the Windows or macOS computer that runs Excel "
                "and run 'authbook addin install' there",
            )
        )
    return checks


def register(subparsers) -> None:
    """Add ``authbook doctor``."""
    parser = subparsers.add_parser(
        "doctor", help="check what the Excel add-in needs (Python, xlwings, AuthBook.xlam)"
    )
    parser.set_defaults(run=_cmd_doctor)


def _cmd_doctor(args) -> int:
    checks = run_checks()
    for check in checks:
        print(f"{'OK' if check.ok else 'PROBLEM':8}{check.what}: {check.detail}")
        if check.fix:
            print(f"{'':8}What to do: {check.fix}")
    problems = sum(not c.ok for c in checks)
    print(
        f"\n{problems} problem(s) found."
        if problems
        else "\nEverything AuthBook checks is in place."
    )
    return 1 if problems else 0
