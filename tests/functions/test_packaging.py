"""A plain (non-editable) ``pip install`` of authbook can build the add-in: the wheel carries the
sources in ``macros/`` although they stay at the top of the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from oletools.olevba import VBA_Parser

ROOT = Path(__file__).resolve().parents[2]


def test_a_plain_pip_install_into_a_fresh_venv_builds_the_addin(tmp_path):
    # A copy of the project, so the build leaves nothing in the work tree.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("authbook", "macros"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The dependencies (and pip) come from this Python's site-packages as a plain path, not as a
    # site directory: its .pth files (an editable authbook among them) are not run.
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    installed = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    shutil.rmtree(source)  # the installed copy must stand on its own
    work = tmp_path / "elsewhere"
    work.mkdir()
    built = subprocess.run(
        [venv / "bin" / "authbook", "addin", "build", "AuthBook.xlam"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    where = subprocess.run(
        [python, "-c", "import authbook.functions.sources as s; print(s.MACROS_DIR)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        check=True,
    ).stdout.strip()
    assert Path(where) == Path(site) / "authbook" / "macros"
    parser = VBA_Parser(str(work / "AuthBook.xlam"))
    try:
        modules = {s.split("/")[-1]: code for _, s, _, code in parser.extract_macros()}
    finally:
        parser.close()
    bas = (ROOT / "macros" / "AuthBook.bas").read_text(encoding="utf-8")
    assert modules["AuthBook"].splitlines() == bas.splitlines()
    with zipfile.ZipFile(work / "AuthBook.xlam") as package:
        assert (
            package.read("customUI/customUI14.xml")
            == (ROOT / "macros" / "customUI14.xml").read_bytes()
        )
