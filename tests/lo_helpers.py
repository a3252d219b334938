"""Run LibreOffice headless from tests, as an independent reader of the files AuthBook writes.

LibreOffice's Python bridge (``import uno``) usually lives in the system Python, not in the
project's, so a test hands a small script to :func:`run_uno_script`, which runs it with a
Python that has ``uno`` against a LibreOffice started by :func:`running_office` with a private,
throw-away profile. Typical use::

    soffice, uno_python = require_libreoffice()
    with running_office(soffice, tmp_path) as office:
        result = run_uno_script(uno_python, office, SCRIPT, str(path))
    data = json.loads(result.stdout)

Inside the script, ``desktop`` is LibreOffice's desktop (``com.sun.star.frame.Desktop``),
``sys.argv[1:]`` are the extra arguments, and ``file_url(path)`` / ``load(path)`` help open
documents hidden. Whatever the script prints to stdout is returned.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SOFFICE_CANDIDATES = (
    "/usr/bin/soffice",
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)
UNO_PYTHON_CANDIDATES = ("/usr/bin/python3",)


def find_soffice() -> str | None:
    """Return the path of LibreOffice's ``soffice``, or None.

    ``$SOFFICE``, when set, is the only place looked at (None if no such file).
    """
    if os.environ.get("SOFFICE"):
        return os.environ["SOFFICE"] if Path(os.environ["SOFFICE"]).is_file() else None
    for name in ("soffice", "libreoffice"):
        if found := shutil.which(name):
            return found
    return next((c for c in SOFFICE_CANDIDATES if Path(c).is_file()), None)


def find_uno_python(soffice: str | None = None) -> str | None:
    """Return a Python interpreter that can ``import uno`` (``$UNO_PYTHON`` first), or None.

    Tries the system Python and the one bundled next to ``soffice`` (Windows, macOS builds).
    """
    candidates = [os.environ.get("UNO_PYTHON", ""), *UNO_PYTHON_CANDIDATES]
    if soffice:
        program = Path(soffice).resolve().parent
        candidates += [str(program / "python"), str(program / "python.exe")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            check = subprocess.run(
                [candidate, "-c", "import uno"], capture_output=True, timeout=60, check=False
            )
            if check.returncode == 0:
                return candidate
    return None


def require_libreoffice() -> tuple[str, str]:
    """Return ``(soffice, uno python)``, or skip the test when LibreOffice is not installed.

    Under CI (the ``CI`` environment variable set) a missing LibreOffice fails the test
    instead: CI must install it (``libreoffice-calc-nogui`` and ``python3-uno`` on Debian).
    """
    soffice = find_soffice()
    uno_python = find_uno_python(soffice) if soffice else None
    if soffice and uno_python:
        return soffice, uno_python
    missing = "LibreOffice (soffice)" if not soffice else "a Python with the uno module"
    reason = f"{missing} not found; install libreoffice-calc-nogui and python3-uno"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class Office:
    """A running headless LibreOffice: its UNO connection string and its process."""

    connection: str
    process: subprocess.Popen
    #: The temporary folder it and the scripts talking to it use (not /tmp: each UNO
    #: process leaves a folder of its own behind there).
    temp: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment of a process of this office's: its temporary folder."""
        return dict(os.environ, TMPDIR=str(self.temp))


@contextmanager
def running_office(soffice: str, workdir: Path, *, start_timeout: float = 120) -> Iterator[Office]:
    """Start LibreOffice headless with a private profile under ``workdir``; stop it afterwards.

    It listens on a named pipe, so parallel tests do not clash over a port.
    """
    profile = (workdir / "lo-profile").resolve()
    profile.mkdir(parents=True, exist_ok=True)
    temp = (workdir / "lo-temp").resolve()
    temp.mkdir(exist_ok=True)
    pipe = f"authbook_{uuid.uuid4().hex}"
    accept = f"pipe,name={pipe};urp;StarOffice.ComponentContext"
    process = subprocess.Popen(
        [
            soffice,
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}",
            f"--accept={accept}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=dict(os.environ, TMPDIR=str(temp)),
    )
    office = Office(connection=f"uno:{accept}", process=process, temp=temp)
    try:
        _wait_until_ready(soffice, office, start_timeout)
        yield office
    finally:
        _stop(process)


#: Times a first connection is tried again when the connecting Python crashes.
CONNECT_ATTEMPTS = 5


def _wait_until_ready(soffice: str, office: Office, timeout: float) -> None:
    """Connect once to the LibreOffice just started, so that every script afterwards meets a
    ready office. A Python connecting while LibreOffice is still starting sometimes dies in
    the UNO bridge (signal 11, nothing on stderr; seen in about one CI run in three): such a
    crash is tried again, a few times; any other failure is reported at once."""
    uno_python = find_uno_python(soffice)
    if uno_python is None:
        return  # require_libreoffice has skipped or failed the test already
    for attempt in range(CONNECT_ATTEMPTS):
        probe = subprocess.run(
            [uno_python, "-c", _PRELUDE + "\nprint('ready')", office.connection, str(timeout)],
            capture_output=True,
            text=True,
            timeout=timeout + 30,
            check=False,
            env=office.env,
        )
        if probe.returncode == 0:
            return
        if probe.returncode > 0 or attempt == CONNECT_ATTEMPTS - 1:
            raise AssertionError(
                f"LibreOffice did not take a UNO connection (exit {probe.returncode}):\n"
                f"{probe.stderr}"
            )
        time.sleep(1)


def _stop(process: subprocess.Popen) -> None:
    """End the LibreOffice we started: its own process group, politely first."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=20)


_PRELUDE = """
import sys, time
import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException


def _connect(connection, timeout):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            context = resolver.resolve(connection)
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                raise SystemExit("LibreOffice did not accept a UNO connection in time")
            time.sleep(0.5)
    return context.ServiceManager.createInstanceWithContext(
        "com.sun.star.frame.Desktop", context)


def props(**values):
    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        out.append(prop)
    return tuple(out)


def file_url(path):
    return uno.systemPathToFileUrl(path)


def load(path, **options):
    options.setdefault("Hidden", True)
    return desktop.loadComponentFromURL(file_url(path), "_blank", 0, props(**options))


desktop = _connect(sys.argv.pop(1), float(sys.argv.pop(1)))
"""


def run_uno_script(
    uno_python: str, office: Office, script: str, *args: str, timeout: float = 180
) -> subprocess.CompletedProcess:
    """Run ``script`` with ``uno_python`` against ``office``; return the finished process.

    A run whose Python is killed by a signal (the UNO bridge of a client sometimes dies of
    signal 11, about once in ten runs on the CI machine, with nothing on stderr) is run
    again, up to ``CONNECT_ATTEMPTS`` times in all: the scripts only read files and write
    their own outputs, so running one again is safe. LibreOffice itself failing on a file
    shows as an exception in the script, never as a signal of the client.

    Raises ``AssertionError`` with the script's stderr when it exits non-zero.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(_PRELUDE + "\n" + textwrap.dedent(script))
        path = handle.name
    tries = 0
    try:
        while True:
            tries += 1
            started = time.monotonic()
            result = subprocess.run(
                [uno_python, path, office.connection, str(timeout / 2), *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=office.env,
            )
            crashed = result.returncode < 0 and office.process.poll() is None
            if not crashed or tries == CONNECT_ATTEMPTS:
                break
            time.sleep(1)
    finally:
        os.unlink(path)
    assert result.returncode == 0, (
        f"UNO script failed after {time.monotonic() - started:.0f}s, run {tries} "
        f"(exit {result.returncode}):\n{result.stderr}"
    )
    return result
