"""Fixtures shared by the whole test tree.

The tree mirrors the package (``tests/rules`` tests ``authbook/rules`` and so on); helper
modules sit next to the tests that use them and are imported as the ``tests`` package
(``from tests.workbook import lo_fixtures``): pyproject's ``pythonpath`` puts the repository
root on the path, so no test edits ``sys.path``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests import lo_helpers
from tests.workbook import lo_fixtures


def _run_cli(
    *args: str, stdin: str | None = None, env: dict | None = None, **options
) -> subprocess.CompletedProcess:
    """Run the real command in a subprocess, as a user would (``python -m authbook.cli``).

    Standard input is closed unless ``stdin`` gives the text typed at a question; ``env``
    adds to the environment; other options (``cwd``) go to :func:`subprocess.run`.
    """
    return subprocess.run(
        [sys.executable, "-m", "authbook.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        env=None if env is None else {**os.environ, **env},
        **options,
    )


@pytest.fixture(scope="session")
def run_cli():
    """``run_cli(*args, stdin=None, env=None, **options)``: the `authbook` command run in a
    subprocess; returns the finished process (``returncode``, ``stdout``, ``stderr``)."""
    return _run_cli


class LibreOfficeReader:
    """LibreOffice, headless, as the independent reader of one test's files: started on first
    use with a private profile under ``workdir``, stopped when the test ends."""

    def __init__(self, workdir: Path, stack: ExitStack):
        self._workdir = workdir
        self._stack = stack
        self._running: tuple[lo_helpers.Office, str] | None = None

    def running(self) -> tuple[lo_helpers.Office, str]:
        """``(office, uno python)``, starting LibreOffice the first time; skips the test when
        it is not installed (fails it under CI): see :func:`lo_helpers.require_libreoffice`."""
        if self._running is None:
            soffice, uno_python = lo_helpers.require_libreoffice()
            office = self._stack.enter_context(lo_helpers.running_office(soffice, self._workdir))
            self._running = (office, uno_python)
        return self._running

    def cells(self, path: Path, *sheets: str) -> dict[str, list[list[dict | None]]]:
        """What LibreOffice reads in ``sheets`` of ``path`` (``lo_fixtures.libreoffice_cells``)."""
        return lo_fixtures.libreoffice_cells(*self.running(), path, *sheets)

    def resave(self, src: Path, dst: Path) -> Path:
        """``src`` opened and saved as ``dst`` by LibreOffice; returns ``dst``."""
        return lo_fixtures.resave_with_libreoffice(*self.running(), src, dst)


@pytest.fixture
def libreoffice(tmp_path):
    """A :class:`LibreOfficeReader` whose LibreOffice (if the test uses it) runs in ``tmp_path``."""
    with ExitStack() as stack:
        yield LibreOfficeReader(tmp_path, stack)
