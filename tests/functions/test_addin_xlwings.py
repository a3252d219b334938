"""The add-in carries what the installed xlwings would put there itself.

Independent readers: oletools (olevba) reads the built add-in's VBA back; xlwings' own wrapper
generator (``xlwings.udfs.generate_vba_wrapper``) is run here on ``authbook.functions.udfs``;
the Excel-written VBA projects inside the xlwings package (read with olefile and oletools'
decompressor) say which references Excel writes.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import struct
import sys
import types
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import olefile
import pytest
import xlwings
from oletools.olevba import VBA_Parser, decompress_stream

from authbook.functions.install import install_addin
from authbook.functions.xlam import build_addin, read_settings

XLWINGS_DIR = Path(xlwings.__file__).resolve().parent
UDFS = Path(__file__).resolve().parents[2] / "authbook" / "functions" / "udfs.py"
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin") / "AuthBook.xlam")


def olevba_modules(path: Path) -> dict[str, list[str]]:
    parser = VBA_Parser(str(path), relaxed=False)
    try:
        return {
            stream.split("/")[-1]: code.splitlines()
            for _, stream, _, code in parser.extract_macros()
        }
    finally:
        parser.close()


def xlwings_generator_output(monkeypatch) -> str:
    """Run xlwings' own generator on authbook.functions.udfs, as Import Functions would for an
    add-in. Off Windows, xlwings.udfs needs stand-ins for pywin32's modules to import, and the
    UDF module must be decorated with xlwings' real decorators (xw.func is a no-op there)."""
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        if name not in sys.modules:
            stand_in = types.ModuleType(name)
            stand_in.Dispatch = stand_in.CoInitialize = None
            monkeypatch.setitem(sys.modules, name, stand_in)
    spec = importlib.util.spec_from_file_location("xlwings.udfs", XLWINGS_DIR / "udfs.py")
    xl_udfs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(xl_udfs)
    monkeypatch.setattr(xlwings, "func", xl_udfs.xlfunc)
    monkeypatch.setattr(xlwings, "arg", xl_udfs.xlarg)
    spec = importlib.util.spec_from_file_location("authbook.functions.udfs", UDFS)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "authbook.functions.udfs", module)
    spec.loader.exec_module(module)
    out = io.StringIO()
    book = types.SimpleNamespace(Name="AuthBook.xlam")
    xl_udfs.generate_vba_wrapper("authbook.functions.udfs", module, out, book)
    return out.getvalue()


def udf_names() -> set[str]:
    """The functions of udfs.py decorated with ``xw.func``, read from its syntax tree."""
    tree = ast.parse(UDFS.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(ast.unparse(d).startswith("xw.func") for d in node.decorator_list)
    }


def blocks(lines: list[str]) -> dict[str, list[str]]:
    found, current = {}, None
    for line in lines:
        if m := re.match(r"^Function (\w+)\(", line):
            current = m.group(1)
            found[current] = []
        if current:
            found[current].append(line)
        if line == "End Function":
            current = None
    return found


def test_addin_holds_xlwings_generated_wrapper_for_every_udf(built, monkeypatch):
    generated = blocks(xlwings_generator_output(monkeypatch).splitlines())
    carried = blocks(olevba_modules(built)["AuthBookFunctions"])
    assert set(generated) == udf_names() and len(generated) == 6
    assert carried == generated


def test_every_wrapper_calls_python_through_xlpy_for_the_active_workbook(built):
    for name, lines in blocks(olevba_modules(built)["AuthBookFunctions"]).items():
        call = next(line for line in lines if "ActiveWorkbook, Application.Caller" in line)
        assert f'XLPy.CallUDF("authbook.functions.udfs", "{name}"' in call


def test_functions_are_not_run_by_the_insert_function_dialog(built):
    wizard = (
        '    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function'
    )
    for name, lines in blocks(olevba_modules(built)["AuthBookFunctions"]).items():
        assert lines[1] == wizard, name


def test_addin_holds_the_runpython_module_of_the_installed_xlwings(built):
    shipped = (XLWINGS_DIR / "xlwings_custom_addin.bas").read_text(encoding="cp1252").splitlines()
    carried = olevba_modules(built)["xlwings"]
    differing = [(a, b) for a, b in zip(shipped, carried) if a != b]
    assert len(carried) == len(shipped)
    assert differing == [
        (
            'Public Const PROJECT_NAME As String = "myaddin"',
            'Public Const PROJECT_NAME As String = "authbook"',
        )
    ]
    assert f'Public Const XLWINGS_VERSION As String = "{xlwings.__version__}"' in carried
    assert "Public Function RunPython(PythonCommand As String)" in carried
    assert "Function XLPy()" in carried


def test_dictionary_class_is_the_one_excel_wrote_for_xlwings(built):
    written = olevba_modules(XLWINGS_DIR / "quickstart_addin_ribbon.xlam")["Dictionary"]
    assert olevba_modules(built)["Dictionary"] == written


def references(path: Path) -> set[tuple[str, str]]:
    """(name, libid) of each registered reference in a file's VBA ``dir`` stream."""
    with zipfile.ZipFile(path) as package:
        ole = olefile.OleFileIO(package.read("xl/vbaProject.bin"))
    data = decompress_stream(bytearray(ole.openstream("VBA/dir").read()))
    found, name, pos = set(), None, 0
    while pos < len(data):
        record, size = struct.unpack_from("<HI", data, pos)
        size = 6 if record == 0x0009 else size
        body = bytes(data[pos + 6 : pos + 6 + size])
        pos += 6 + size
        if record == 0x0016:
            name = body.decode("cp1252")
        elif record == 0x000D:
            (length,) = struct.unpack_from("<I", body)
            found.add((name, body[4 : 4 + length].decode("cp1252")))
        elif record == 0x000F:
            break
    return found


def test_references_are_only_ones_excel_wrote_in_xlwings_projects(built):
    written = set()
    for path in sorted(XLWINGS_DIR.rglob("*.xl[as][mx]")):
        written |= references(path)
    assert len(written) >= 2  # read from xlwings' files: Office, OLE Automation
    ours = references(built)
    assert ours and ours <= written
    assert {name for name, _ in ours} == {"Office"}  # IRibbonControl; no VBA/Excel entries


def conf_sheet(path: Path) -> tuple[str, dict[str, str]]:
    with zipfile.ZipFile(path) as package:
        book = ElementTree.fromstring(package.read("xl/workbook.xml"))
    name = next(book.iter(f"{MAIN_NS}sheet")).attrib["name"]
    return name, read_settings(path)


def test_addin_carries_its_own_xlwings_settings(built):
    name, settings = conf_sheet(built)
    xlwings_module = olevba_modules(built)["xlwings"]
    project = re.search(r'PROJECT_NAME As String = "(\w+)"', "\n".join(xlwings_module)).group(1)
    assert name == project + ".conf"  # where xlwings' GetConfig looks in the add-in
    assert settings == {
        "Interpreter_Win": "",
        "Interpreter_Mac": "",
        "UDF Modules": "authbook.functions.udfs",
    }


def test_install_names_this_python_as_the_addins_interpreter(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # macOS: xlwings' RunPython script goes there
    installed = install_addin(platform="win32", folder=tmp_path, python=r"C:\Py\python.exe")
    assert read_settings(installed)["Interpreter_Win"] == r"C:\Py\python.exe"
    mac = install_addin(platform="darwin", folder=tmp_path / "mac", python="/opt/py/bin/python3")
    assert read_settings(mac)["Interpreter_Mac"] == "/opt/py/bin/python3"
    script = "Library/Application Scripts/com.microsoft.Excel"
    assert (tmp_path / script / f"xlwings-{xlwings.__version__}.applescript").is_file()
