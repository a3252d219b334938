"""The VBA the add-in takes, at build time, from the installed xlwings package.

Nothing of xlwings is kept in this repository: every build reads the installed version, so the
add-in and the Python side always speak the same xlwings.

- :func:`runpython_module`: xlwings' custom add-in module (``xlwings_custom_addin.bas``:
  ``RunPython``, ``XLPy``, ``GetConfig``...), with its ``PROJECT_NAME`` set to ``authbook`` so
  it reads its settings from the add-in's own ``authbook.conf`` sheet.
- :func:`excel_written_project`: the custom add-in Excel wrote, as xlwings ships it
  (``quickstart_addin_ribbon.xlam``). Its ``Dictionary`` class (which the xlwings module needs
  on macOS) and its references are taken from there, exactly as Excel stored them.
- :func:`udf_wrappers`: the ``AB_…`` wrapper functions, written by xlwings' own generator
  (``xlwings.udfs.generate_vba_wrapper``, what *Import Functions* runs) for
  ``authbook.functions.udfs``.
- :func:`function_descriptions`: a Sub that gives each function its category and help in
  Excel's Insert Function dialog (what *Import Functions* does through ``MacroOptions``).
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import re
import sys
import types
import zipfile
from pathlib import Path

import xlwings

from authbook.functions.sources import AddinError
from authbook.functions.vbaproject import CODEPAGE, Project, read_project

__all__ = [
    "EXCEL_WRITTEN_ADDIN",
    "PROJECT_NAME",
    "UDF_MODULE",
    "XLWINGS_DIR",
    "XlwingsSourceError",
    "excel_written_project",
    "excel_written_projects",
    "function_descriptions",
    "decorated_udfs",
    "generate_vba_wrapper",
    "runpython_module",
    "udf_wrappers",
]

XLWINGS_DIR = Path(xlwings.__file__).resolve().parent
EXCEL_WRITTEN_ADDIN = XLWINGS_DIR / "quickstart_addin_ribbon.xlam"
PROJECT_NAME = "authbook"
"""xlwings' name for the add-in's settings: the ``authbook.conf`` sheet and user file."""
UDF_MODULE = "authbook.functions.udfs"
FUNCTIONS_MODULE = "AuthBookFunctions"

_PROJECT_NAME_LINE = re.compile(r'^Public Const PROJECT_NAME As String = "[^"]*"\r?$', re.M)


class XlwingsSourceError(AddinError):
    """The installed xlwings lacks a file or line the add-in is built from."""


def _crlf(text: str) -> str:
    return "".join(line + "\r\n" for line in text.splitlines())


def runpython_module(project_name: str = PROJECT_NAME) -> str:
    """xlwings' custom add-in VBA module, with ``PROJECT_NAME`` set to ``project_name``."""
    path = XLWINGS_DIR / "xlwings_custom_addin.bas"
    if not path.is_file():
        raise XlwingsSourceError(f"xlwings {xlwings.__version__} has no {path.name}")
    text = path.read_text(encoding=f"cp{CODEPAGE}")
    text, count = _PROJECT_NAME_LINE.subn(
        f'Public Const PROJECT_NAME As String = "{project_name}"', text
    )
    if count != 1:
        raise XlwingsSourceError(f"{path.name} does not declare PROJECT_NAME once")
    return _crlf(text)


def excel_written_projects() -> dict[str, Project]:
    """Every VBA project Excel wrote that the installed xlwings ships, by file name."""
    found = {}
    for path in sorted(XLWINGS_DIR.rglob("*.xl[as][mx]")):
        with zipfile.ZipFile(path) as package:
            if "xl/vbaProject.bin" in package.namelist():
                found[str(path.relative_to(XLWINGS_DIR))] = read_project(
                    package.read("xl/vbaProject.bin")
                )
    return found


def excel_written_project() -> Project:
    """The custom add-in with a ribbon that Excel wrote and xlwings ships."""
    if not EXCEL_WRITTEN_ADDIN.is_file():
        raise XlwingsSourceError(f"xlwings {xlwings.__version__} has no {EXCEL_WRITTEN_ADDIN.name}")
    with zipfile.ZipFile(EXCEL_WRITTEN_ADDIN) as package:
        return read_project(package.read("xl/vbaProject.bin"))


# ---- the UDF wrappers --------------------------------------------------------------------------


def _xlwings_udfs() -> types.ModuleType:
    """Return xlwings' ``udfs`` module: its decorators and its VBA wrapper generator.

    ``xlwings.udfs`` imports pywin32's COM modules at the top, which exist only on Windows; the
    decorators and the generator never touch them. Elsewhere the same file is loaded with empty
    stand-ins for those modules, as a private copy, and the stand-ins are removed again.
    """
    try:
        return importlib.import_module("xlwings.udfs")
    except ImportError:
        pass
    spec = importlib.util.find_spec("xlwings.udfs")
    if spec is None or spec.origin is None:
        raise XlwingsSourceError(f"xlwings {xlwings.__version__} has no udfs module")
    stand_ins = {name: types.ModuleType(name) for name in ("pythoncom", "pywintypes", "win32com")}
    stand_ins["win32com.client"] = client = types.ModuleType("win32com.client")
    client.Dispatch = None
    stand_ins["pythoncom"].CoInitialize = None
    saved = {name: sys.modules.get(name) for name in stand_ins}
    try:
        sys.modules.update({k: v for k, v in stand_ins.items() if saved[k] is None})
        private = importlib.util.spec_from_file_location("xlwings.udfs", spec.origin)
        module = importlib.util.module_from_spec(private)
        private.loader.exec_module(module)
    finally:
        for name, before in saved.items():
            if before is None:
                sys.modules.pop(name, None)
    return module


def decorated_udfs(module_name: str = UDF_MODULE) -> types.ModuleType:
    """A private copy of ``module_name`` whose functions carry xlwings' metadata.

    Off Windows, ``xw.func`` and ``xw.arg`` do nothing; the copy is executed with xlwings' real
    decorators (``xlfunc``, ``xlarg``, ``xlret``) in their place, as Windows would run it.
    """
    udfs = _xlwings_udfs()
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.loader is None:
        raise XlwingsSourceError(f"no module named {module_name}")
    names = {"func": udfs.xlfunc, "arg": udfs.xlarg, "ret": udfs.xlret}
    saved = {name: getattr(xlwings, name) for name in names}
    imported = sys.modules.get(module_name)
    module = importlib.util.module_from_spec(spec)
    try:
        for name, decorator in names.items():
            setattr(xlwings, name, decorator)
        sys.modules[module_name] = module  # dataclasses look their module up while executing
        spec.loader.exec_module(module)
    finally:
        for name, before in saved.items():
            setattr(xlwings, name, before)
        if imported is None:
            sys.modules.pop(module_name, None)
        else:
            sys.modules[module_name] = imported
    return module


def generate_vba_wrapper(module_name: str = UDF_MODULE, addin_name: str = "AuthBook.xlam") -> str:
    """What xlwings' generator writes for ``module_name`` into an add-in named ``addin_name``."""
    module = decorated_udfs(module_name)
    out = io.StringIO()
    workbook = types.SimpleNamespace(Name=addin_name)
    _xlwings_udfs().generate_vba_wrapper(module_name, module, out, workbook)
    return out.getvalue()


def udf_wrappers(module_name: str = UDF_MODULE) -> str:
    """The functions module: xlwings' wrappers for ``module_name`` under the header that
    *Import Functions* gives them (the generated code tests the ``App`` constant)."""
    head = [
        f'Attribute VB_Name = "{FUNCTIONS_MODULE}"',
        "' The AB_ worksheet functions: written by xlwings' own generator for",
        f"' {module_name} when the add-in was built (xlwings {xlwings.__version__}).",
        """#Const App = "Microsoft Excel" 'Adjust when using outside of Excel""",
        "",
    ]
    return _crlf("\n".join(head) + "\n" + generate_vba_wrapper(module_name))


# ---- the Insert Function dialog ---------------------------------------------------------------


def _vba_text(text: str, limit: int = 255) -> str:
    """``text`` as a VBA string literal: one line, at most ``limit`` characters, Windows-1252."""
    flat = " ".join(text.split())[:limit]
    flat = flat.encode(f"cp{CODEPAGE}", "replace").decode(f"cp{CODEPAGE}")
    return '"' + flat.replace('"', '""') + '"'


def function_descriptions(module_name: str = UDF_MODULE) -> str:
    """``DescribeFunctions``: each function's description, category and argument help, set with
    ``Application.MacroOptions`` when the add-in opens (from xlwings' metadata of each UDF)."""
    module = decorated_udfs(module_name)
    lines = [
        "",
        "Public Sub DescribeFunctions()",
        "    ' Category and help in the Insert Function dialog; Excel 2010 and later.",
        "    On Error Resume Next",
    ]
    for name in sorted(dir(module)):
        spec = getattr(getattr(module, name), "__xlfunc__", None)
        if spec is None:
            continue
        docs = [_vba_text(arg["doc"]) for arg in spec["args"] if not arg["vba"]]
        lines += [
            '    Application.MacroOptions Macro:="\'" & ThisWorkbook.Name & '
            + f'"\'!{spec["name"]}", _',
            f"        Description:={_vba_text(spec['ret']['doc'])}, _",
            f"        Category:={_vba_text(str(spec['category']))}, _",
            "        ArgumentDescriptions:=Array( _",
            *(f"            {doc}, _" for doc in docs[:-1]),
            f"            {docs[-1]})" if docs else "        )",
        ]
    lines += ["End Sub"]
    return _crlf("\n".join(lines))
