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

import pytest


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
