"""The AuthBook add-in file, ``AuthBook.xlam``: one self-contained package, built without Excel.

It holds the ribbon tab (``macros/customUI14.xml``), and a VBA project with:

- ``AuthBook``: the buttons' callbacks (``macros/AuthBook.bas``);
- ``xlwings`` and ``Dictionary``: xlwings' custom add-in module (``RunPython``, ``XLPy``) and the
  class it needs on macOS, taken from the installed xlwings at build time;
- ``AuthBookFunctions``: the ``AB_…`` worksheet functions, written by xlwings' own generator
  for ``authbook.functions.udfs``;
- ``ThisWorkbook`` (which describes the functions for Insert Function when Excel opens the
  add-in) and ``Sheet1``, the ``authbook.conf`` sheet: the add-in's xlwings settings (its
  Python, its UDF module), so a data workbook needs no reference, no macros and no conf sheet.

Its references are those of the custom add-in Excel wrote that xlwings ships. The same sources,
settings and xlwings version always give the same bytes.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from authbook.functions import xlwings_vba
from authbook.functions.sources import MACROS_DIR, AddinError, check_sources, module_source
from authbook.functions.vbaproject import Module, read_project, vba_project_bin

__all__ = [
    "ADDIN_NAME",
    "CONF_SHEET",
    "SETTINGS",
    "AddinFileError",
    "addin_bytes",
    "build_addin",
    "is_addin",
    "read_settings",
    "single_module_project",
]

ADDIN_NAME = "AuthBook.xlam"
PROJECT_NAME = "AuthBookAddin"  # a VBA project may not share its name with one of its modules
CONF_SHEET = xlwings_vba.PROJECT_NAME + ".conf"
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
SETTINGS = ("Interpreter_Win", "Interpreter_Mac", "UDF Modules")
"""The add-in's xlwings settings, in the order of its conf sheet (xlwings reads column A down
to the first blank cell, and the value next to each key)."""


class AddinFileError(AddinError):
    """The add-in cannot be written where asked; the message says why and what to do."""


_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.ms-excel.addin.macroEnabled.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)

_ROOT_RELS = (
    _XML + f'<Relationships xmlns="{_NS_PKG_REL}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/extended-properties" Target="docProps/app.xml"/>'
    '<Relationship Id="rId4" Type="http://schemas.microsoft.com/office/2007/relationships/'
    'ui/extensibility" Target="customUI/customUI14.xml"/>'
    "</Relationships>"
)

_WORKBOOK_RELS = (
    _XML + f'<Relationships xmlns="{_NS_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_REL}/styles" Target="styles.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.microsoft.com/office/2006/relationships/'
    'vbaProject" Target="vbaProject.bin"/>'
    "</Relationships>"
)

_WORKBOOK = (
    _XML + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
    '<workbookPr codeName="ThisWorkbook"/>'
    '<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="16000" windowHeight="9000"/>'
    "</bookViews>"
    f'<sheets><sheet name="{CONF_SHEET}" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)

_STYLES = (
    _XML + f'<styleSheet xmlns="{_NS_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

_CORE = (
    _XML + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
    'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:title>AuthBook</dc:title><dc:creator>AuthBook</dc:creator>"
    "</cp:coreProperties>"
)

_APP = (
    _XML + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties"><Application>Microsoft Excel</Application></Properties>'
)


def _settings_sheet(settings: Mapping[str, str]) -> str:
    def cell(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'

    rows = []
    for number, key in enumerate(SETTINGS, start=1):
        cells = cell(f"A{number}", key) + cell(f"B{number}", settings.get(key, "") or "")
        if number == 1:
            cells += cell("D1", "Filled in by 'authbook addin install'. Read by xlwings.")
        rows.append(f'<row r="{number}">{cells}</row>')
    return (
        _XML + f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
        f'<sheetPr codeName="Sheet1"/><dimension ref="A1:D{len(SETTINGS)}"/>'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )


_DOCUMENT_BASES = {
    "ThisWorkbook": "0{00020819-0000-0000-C000-000000000046}",
    "Sheet1": "0{00020820-0000-0000-C000-000000000046}",
}
"""The document modules of an Excel VBA project, with the class each one extends."""

_WORKBOOK_OPEN = (
    "Private Sub Workbook_Open()\r\n"
    "    ' Category and help for the AB_ functions in Excel's Insert Function dialog.\r\n"
    "    On Error Resume Next\r\n"
    f"    {xlwings_vba.FUNCTIONS_MODULE}.DescribeFunctions\r\n"
    "End Sub\r\n"
)


def _document_module(name: str, code: str = "") -> Module:
    lines = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{_DOCUMENT_BASES[name]}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return Module(name, "document", "".join(line + "\r\n" for line in lines) + code)


def addin_modules(macros_dir: Path | None = None) -> list[Module]:
    """The add-in's VBA modules, in the order of its project."""
    bas = (macros_dir or MACROS_DIR) / "AuthBook.bas"
    written = xlwings_vba.excel_written_project()
    functions = xlwings_vba.udf_wrappers() + xlwings_vba.function_descriptions()
    return [
        _document_module("ThisWorkbook", _WORKBOOK_OPEN),
        _document_module("Sheet1"),
        Module("AuthBook", "module", module_source(bas)),
        Module(xlwings_vba.FUNCTIONS_MODULE, "module", functions),
        Module("xlwings", "module", xlwings_vba.runpython_module()),
        Module("Dictionary", "class", written.modules["Dictionary"]),
    ]


def addin_references() -> bytes:
    """The registered references of the custom add-in Excel wrote (xlwings ships it): Office,
    which defines ``IRibbonControl``. Its MSForms control reference is left out: it points at a
    per-user cache file and nothing in the add-in uses a form."""
    written = xlwings_vba.excel_written_project()
    return b"".join(r.records for r in written.references if r.kind == "registered")


def single_module_project(source: str, module_name: str = "AuthBook") -> bytes:
    """A ``vbaProject.bin`` with one standard module holding ``source`` (plus the two
    document modules), with the add-in's references: what an .xlsm's project looks like."""
    modules = [
        _document_module("ThisWorkbook"),
        _document_module("Sheet1"),
        Module(module_name, "module", source),
    ]
    return vba_project_bin(PROJECT_NAME, modules, addin_references())


def _package_parts(macros_dir: Path, settings: Mapping[str, str]) -> Iterator[tuple[str, bytes]]:
    bas, customui = macros_dir / "AuthBook.bas", macros_dir / "customUI14.xml"
    check_sources(bas, customui)
    project = vba_project_bin(PROJECT_NAME, addin_modules(macros_dir), addin_references())
    yield "[Content_Types].xml", _CONTENT_TYPES.encode()
    yield "_rels/.rels", _ROOT_RELS.encode()
    yield "docProps/core.xml", _CORE.encode()
    yield "docProps/app.xml", _APP.encode()
    yield "xl/workbook.xml", _WORKBOOK.encode()
    yield "xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.encode()
    yield "xl/worksheets/sheet1.xml", _settings_sheet(settings).encode()
    yield "xl/styles.xml", _STYLES.encode()
    yield "xl/vbaProject.bin", project
    yield "customUI/customUI14.xml", customui.read_bytes()


def addin_bytes(
    *, macros_dir: Path | None = None, interpreter: Mapping[str, str] | None = None
) -> bytes:
    """The add-in file's bytes. ``interpreter`` gives the conf sheet's ``Interpreter_Win`` and
    ``Interpreter_Mac`` (blank: the add-in asks for ``authbook addin install``)."""
    settings = {"UDF Modules": xlwings_vba.UDF_MODULE, **(interpreter or {})}
    parts = list(_package_parts(macros_dir or MACROS_DIR, settings))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, data)
    return out.getvalue()


def is_addin(path: Path) -> bool:
    """Whether ``path`` is an Excel add-in package (any add-in, not only AuthBook's)."""
    try:
        with zipfile.ZipFile(path) as package:
            return ADDIN_CONTENT_TYPE in package.read("[Content_Types].xml").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return False


def read_settings(path: Path) -> dict[str, str]:
    """The conf sheet of a built add-in, as ``{key: value}``."""
    with zipfile.ZipFile(path) as package:
        root = ElementTree.fromstring(package.read("xl/worksheets/sheet1.xml"))
    cells = {
        c.attrib["r"]: "".join(t.text or "" for t in c.iter(f"{{{_NS_MAIN}}}t"))
        for c in root.iter(f"{{{_NS_MAIN}}}c")
    }
    return {cells[f"A{n}"]: cells.get(f"B{n}", "") for n in range(1, 100) if f"A{n}" in cells}


def xlwings_version_of(path: Path) -> str | None:
    """The xlwings version whose VBA a built add-in carries (its ``XLWINGS_VERSION``)."""
    with zipfile.ZipFile(path) as package:
        source = read_project(package.read("xl/vbaProject.bin")).modules.get("xlwings", "")
    found = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', source)
    return found.group(1) if found else None


def build_addin(
    path: Path | None = None,
    *,
    macros_dir: Path | None = None,
    interpreter: Mapping[str, str] | None = None,
    force: bool = False,
) -> Path:
    """Write the AuthBook add-in and return where it went.

    ``path`` is the ``.xlam`` file to write (default ``AuthBook.xlam`` here; a folder means
    ``AuthBook.xlam`` inside it). An existing file is replaced only when it is an add-in, or
    with ``force``. The file is written next to the target and renamed over it, so a failed
    build leaves the old file as it was. Raises :class:`AddinFileError` for a name that does not
    end in ``.xlam`` or a file that is not an add-in, and ``SourceError`` /
    ``XlwingsSourceError`` when a source is missing.
    """
    target = Path(path) if path is not None else Path.cwd() / ADDIN_NAME
    if target.is_dir():
        target = target / ADDIN_NAME
    if target.suffix.lower() != ".xlam":
        raise AddinFileError(
            f"{target.name}: an Excel add-in file must end in .xlam; nothing was written"
        )
    if target.exists() and not force and not is_addin(target):
        raise AddinFileError(
            f"{target} exists and is not an Excel add-in; nothing was written "
            "(use --force to replace it)"
        )
    data = addin_bytes(macros_dir=macros_dir, interpreter=interpreter)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=".authbook-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target
