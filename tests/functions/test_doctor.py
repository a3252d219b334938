"""``authbook doctor``: each check a first run in Excel needs, and what it says to do."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import xlwings

from authbook.functions import doctor
from authbook.functions.addin import register
from authbook.functions.install import install_addin


def by_what(checks) -> dict[str, doctor.Check]:
    return {c.what: c for c in checks}


def problems(checks) -> dict[str, str]:
    return {c.what: c.fix for c in checks if not c.ok}


def test_on_linux_doctor_checks_python_xlwings_and_that_the_addin_builds():
    checks = by_what(doctor.run_checks("linux"))
    assert list(checks) == ["Python", "xlwings", "add-in build", "Excel"]
    assert all(c.ok for c in checks.values())
    assert xlwings.__version__ in checks["xlwings"].detail
    assert "Excel does not run on this OS" in checks["Excel"].detail


def test_doctor_command_prints_each_check_and_exits_0_when_all_is_well(capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    parser = argparse.ArgumentParser(prog="authbook")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["doctor"])
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "OK      Python: " in out and "Everything AuthBook checks is in place." in out


def test_without_the_addin_in_the_startup_folder_doctor_says_to_install_it(tmp_path):
    found = problems(doctor.run_checks("win32", folder=tmp_path))
    assert "authbook addin install" in found["AuthBook.xlam"]


def test_on_windows_doctor_asks_for_pywin32_when_it_is_missing(tmp_path):
    found = problems(doctor.run_checks("win32", folder=tmp_path))
    assert found.get("pywin32") == "Run: pip install pywin32"  # this Linux machine has none


def test_an_addin_naming_a_python_that_is_gone_is_a_problem(tmp_path):
    install_addin(platform="win32", folder=tmp_path, python="/nowhere/python.exe")
    checks = by_what(doctor.run_checks("win32", folder=tmp_path))
    assert not checks["its Python"].ok
    assert "/nowhere/python.exe" in checks["its Python"].detail
    assert "authbook addin install" in checks["its Python"].fix


def windows_python(folder: Path, with_dll: bool) -> Path:
    """This Python under another folder, as pip lays out a Windows one (the DLL beside it)."""
    folder.mkdir()
    python = folder / "python.exe"
    python.symlink_to(sys.executable)
    if with_dll:
        (folder / f"xlwings64-{xlwings.__version__}.dll").write_bytes(b"MZ")
    return python


def test_an_addin_built_for_this_python_and_xlwings_passes(tmp_path):
    python = windows_python(tmp_path / "Python311", with_dll=True)
    install_addin(platform="win32", folder=tmp_path / "XLSTART", python=str(python))
    checks = by_what(doctor.run_checks("win32", folder=tmp_path / "XLSTART"))
    assert checks["AuthBook.xlam"].ok and checks["its xlwings"].ok
    assert checks["its Python"].ok, checks["its Python"].detail
    assert checks["xlwings DLL"].ok
    assert "Excel's lock" not in checks


def test_without_xlwings_dll_beside_its_python_the_formulas_cannot_start(tmp_path):
    python = windows_python(tmp_path / "Python311", with_dll=False)
    install_addin(platform="win32", folder=tmp_path / "XLSTART", python=str(python))
    check = by_what(doctor.run_checks("win32", folder=tmp_path / "XLSTART"))["xlwings DLL"]
    assert not check.ok and "--force-reinstall xlwings" in check.fix


def test_an_addin_built_with_another_xlwings_is_a_problem(tmp_path, monkeypatch):
    install_addin(platform="win32", folder=tmp_path, python=sys.executable)
    monkeypatch.setattr(xlwings, "__version__", "0.99.0")
    check = by_what(doctor.run_checks("win32", folder=tmp_path))["its xlwings"]
    assert not check.ok and "0.99.0 installed" in check.detail


def test_doctor_says_when_excel_holds_the_addin_open(tmp_path, monkeypatch):
    install_addin(platform="win32", folder=tmp_path, python=sys.executable)
    monkeypatch.setattr(doctor, "is_locked", lambda path: True)
    check = by_what(doctor.run_checks("win32", folder=tmp_path))["Excel's lock"]
    assert "close Excel before reinstalling" in check.detail


def test_on_macos_doctor_checks_xlwings_runpython_script(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / "Startup"
    install_addin(platform="darwin", folder=folder, python=sys.executable)
    assert by_what(doctor.run_checks("darwin", folder=folder))["RunPython script"].ok
    next((tmp_path / "Library").rglob("*.applescript")).unlink()
    check = by_what(doctor.run_checks("darwin", folder=folder))["RunPython script"]
    assert not check.ok and check.fix == "Run: xlwings runpython install"
