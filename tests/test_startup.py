"""A command imports only what it uses: every command, and every click of the ribbon, starts a
new Python process, and a library imported for nothing is paid for each time.

Each test runs a command in a fresh interpreter and lists the heavy modules it loaded, each
with the AuthBook module that first imported it, so a regression shows as a named module
(not as a slower number; there is no timed test).
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from authbook import cli
from authbook.demo import demo_rows
from authbook.workbook import template

ROOT = Path(__file__).resolve().parents[1]

#: Modules that take long to import, or that only some commands need.
HEAVY = (
    "openpyxl",
    "numpy",  # openpyxl imports it when it is installed
    "xlwings",
    "pydantic",
    "dateutil",  # its parser: only for dates typed as text
    "python_calamine",
    "authbook.models",
    "authbook.functions.addin",
    "authbook.workbook.template",
    "authbook.parallel.notes",  # a refresh's notes, drawn in one process or two
    "authbook.parallel.split",  # the two-process half: only from SIDE_BY_SIDE_NOTES notes on
    "authbook.parallel.channel",
    "authbook.rules.parts",
)

#: Run in the fresh interpreter: watch imports, run ``cli.main`` with the command line, and
#: write which HEAVY modules were loaded, and by which authbook module first, to a file.
PROBE = """
import json, sys

out, heavy, argv = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
first = {}


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in heavy and name not in first:
            frame = sys._getframe(1)
            while frame and not frame.f_globals.get("__name__", "").startswith("authbook"):
                frame = frame.f_back
            first[name] = frame.f_globals["__name__"] if frame else None
        return None


sys.meta_path.insert(0, Watch())
from authbook import cli

try:
    code = cli.main(argv)
except SystemExit as exit:
    code = exit.code
loaded = {name: first.get(name) for name in heavy if name in sys.modules}
with open(out, "w") as f:
    json.dump({"code": code, "loaded": loaded}, f)
"""


def loaded_by(tmp_path: Path, *argv: str) -> dict[str, str | None]:
    """The HEAVY modules ``authbook ARGV`` loads: name -> the authbook module importing it."""
    out = tmp_path / "loaded.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), json.dumps(HEAVY), *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.exists(), done.stderr
    result = json.loads(out.read_text())
    assert result["code"] in (0, 1), done.stderr
    return result["loaded"]


@pytest.fixture(scope="module")
def practice(tmp_path_factory) -> Path:
    """A small practice's workbook (the demo's, 12 clients)."""
    path = tmp_path_factory.mktemp("startup") / "practice.xlsx"
    template.write_new(path, demo_rows(date(2026, 3, 1), clients=12))
    return path


@pytest.mark.parametrize(
    "argv", [["--help"], ["refresh", "--help"], ["eligible", "--help"], ["bulk-add", "--help"]]
)
def test_help_and_argument_parsing_load_no_heavy_module(argv, tmp_path):
    assert loaded_by(tmp_path, *argv) == {}


def test_eligible_reads_without_openpyxl_pydantic_or_the_writer(practice, tmp_path):
    argv = ["eligible", str(practice), "--client", "C0001", "--date", "2026-02-02"]
    assert set(loaded_by(tmp_path, *argv)) == {"python_calamine", "authbook.models"}


def test_a_refresh_loads_neither_openpyxl_pydantic_xlwings_nor_the_add_in(practice, tmp_path):
    """A refresh that saves surgically needs no openpyxl (nor numpy, which it loads): the
    writer's number formats and cell references are AuthBook's own, and the formula
    translator is imported only where a formula is moved."""
    path = tmp_path / "refreshed.xlsx"
    path.write_bytes(practice.read_bytes())
    loaded = loaded_by(tmp_path, "refresh", str(path), "--as-of", "2026-03-01")
    assert not {
        "openpyxl",
        "numpy",
        "pydantic",
        "dateutil",
        "xlwings",
        "authbook.functions.addin",
        "authbook.workbook.template",
    } & set(loaded)
    # a practice's few thousand notes are drawn in one process: no pipes, no parts
    assert not {"authbook.parallel.split", "authbook.parallel.channel", "authbook.rules.parts"} & (
        set(loaded)
    )


def test_feature_help_lines_are_the_ones_each_module_registers():
    """``authbook --help`` lists a feature module's commands from ``cli.FEATURE_HELP``
    without importing the module: the lines must be the ones the module registers."""
    for name, listed in cli.FEATURE_HELP.items():
        assert name in cli.FEATURE_COMMANDS, name
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(name).register(sub)
        registered = {action.dest: action.help for action in sub._choices_actions}
        assert registered == listed, name


def test_every_dataclass_has_a_docstring():
    """A dataclass without a docstring gets one made from ``inspect.signature`` when its
    module is imported, which on the first such class also compiles ``tokenize``'s patterns
    (~6 ms of every command's start); a docstring is help for the reader anyway."""
    import dataclasses
    import inspect
    import pkgutil

    import authbook

    missing = []
    for info in pkgutil.walk_packages(authbook.__path__, "authbook."):
        if ".macros" in info.name:  # (the VBA sources' folder, no Python)
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if inspect.isclass(value) and value.__module__ == info.name:
                made = (value.__doc__ or "").startswith(name + "(")  # dataclasses' own
                if dataclasses.is_dataclass(value) and made:
                    missing.append(f"{info.name}.{name}")
    assert not missing
