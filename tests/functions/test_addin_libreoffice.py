"""LibreOffice, an independent VBA reader, loads the built add-in and runs its buttons.

LibreOffice's Basic cannot compile xlwings' module (Windows API declarations under conditional
compilation) nor its Dictionary class, and one module it cannot compile stops the whole library.
So after listing every module with its source, the script removes those two from the library
it loaded (in memory) and runs each ribbon Sub: each stops before Python would be called, or,
when it does call RunPython (absent here), falls into the add-in's error handler. Every run
ends in the add-in's own message, which ``AuthBookLastMessage`` gives back.
"""

from __future__ import annotations

import json
import sys

import pytest
from oletools.olevba import VBA_Parser

from authbook.functions.sources import MACROS_DIR, ribbon_actions
from authbook.functions.xlam import build_addin
from tests import lo_helpers

BUTTONS = {
    "AB_Refresh": "Refresh",
    "AB_ShowAlerts": "Show Alerts",
    "AB_CheckNotes": "Check Notes",
    "AB_EligibleForSelection": "Eligible Codes",
    "AB_BulkUpdateVisible": "Update Visible",
    "AB_BulkAddSelected": "Add to Selected",
}
MISSING_PYTHON = "/nowhere/python.exe"

SCRIPT = r"""
import json
report = {}
for path in sys.argv[1:]:
    # LibreOffice's type detection does not list the add-in content type, so name the filter.
    doc = load(path, FilterName="Calc MS Excel 2007 VBA XML", MacroExecutionMode=4)
    if doc is None:
        raise SystemExit("LibreOffice could not open " + path)
    libraries = doc.BasicLibraries
    found = {}
    for name in libraries.getElementNames():
        libraries.loadLibrary(name)
        library = libraries.getByName(name)
        found[name] = {m: library.getByName(m) for m in library.getElementNames()}
    project = next(name for name in found if "AuthBook" in found[name])
    library = libraries.getByName(project)
    for module in ("xlwings", "Dictionary"):
        library.removeByName(module)
    subs = json.loads(ENV_SUBS)
    probe = ["Option VBASupport 1"]
    for sub in subs:
        probe += [
            "Public Function Probe_%s() As String" % sub,
            "    Dim before As Long",
            "    before = Application.Calculation",
            "    %s Nothing" % sub,
            "    Probe_%s = AuthBookLastMessage() & \"|\" & (Application.Calculation = before)"
            % sub,
            "End Function",
        ]
    library.insertByName("Probe", "\n".join(probe) + "\n")
    provider = doc.getScriptProvider()
    runs = {}
    for sub in subs:
        url = "vnd.sun.star.script:%s.Probe.Probe_%s?language=Basic&location=document"
        runs[sub] = str(provider.getScript(url % (project, sub)).invoke((), (), ())[0])
    report[path] = {"modules": found[project], "runs": runs}
    doc.close(True)
print(json.dumps(report))
"""


def code_lines(text: str) -> list[str]:
    """Source lines without the headers VBA and LibreOffice add, nor trailing blank lines."""

    headers = ("Attribute VB_", "Rem Attribute VBA_ModuleType=", "Option VBASupport ")
    lines = text.splitlines()
    while lines and lines[0].startswith(headers + ("Option ClassModule",)):
        lines.pop(0)
    # Member attributes (``Attribute Item.VB_UserMemId = 0``) are hidden in the editor too.
    lines = [line for line in lines if not line.startswith("Attribute ")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    soffice, uno_python = lo_helpers.require_libreoffice()
    folder = tmp_path_factory.mktemp("lo-addin")
    files = {
        "unconfigured": build_addin(folder / "a" / "AuthBook.xlam"),
        "missing": build_addin(
            folder / "b" / "AuthBook.xlam", interpreter={"Interpreter_Win": MISSING_PYTHON}
        ),
        "present": build_addin(
            folder / "c" / "AuthBook.xlam", interpreter={"Interpreter_Win": sys.executable}
        ),
    }
    script = SCRIPT.replace("ENV_SUBS", repr(json.dumps(list(BUTTONS))))
    with lo_helpers.running_office(soffice, folder / "office") as office:
        result = lo_helpers.run_uno_script(
            uno_python, office, script, *(str(p) for p in files.values()), timeout=400
        )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return {kind: found[str(path)] | {"path": path} for kind, path in files.items()}


def test_libreoffice_lists_every_module_of_the_addin_with_its_source(report):
    loaded = report["unconfigured"]
    parser = VBA_Parser(str(loaded["path"]))
    try:
        olevba = {s.split("/")[-1]: code for _, s, _, code in parser.extract_macros()}
    finally:
        parser.close()
    assert (
        set(loaded["modules"])
        == set(olevba)
        == {
            "AuthBook",
            "AuthBookFunctions",
            "xlwings",
            "Dictionary",
            "ThisWorkbook",
            "Sheet1",
        }
    )
    for name, source in loaded["modules"].items():
        assert code_lines(source) == code_lines(olevba[name]), name
    bas = (MACROS_DIR / "AuthBook.bas").read_text(encoding="utf-8")
    assert code_lines(loaded["modules"]["AuthBook"]) == code_lines(bas)


def test_every_ribbon_button_was_run(report):
    assert set(ribbon_actions()) == set(BUTTONS)
    for kind in report:
        assert set(report[kind]["runs"]) == set(BUTTONS)


def test_without_a_python_each_button_says_to_run_authbook_addin_install(report):
    for sub, label in BUTTONS.items():
        message, restored = report["unconfigured"]["runs"][sub].rsplit("|", 1)
        assert message.startswith("AuthBook does not know which Python to use"), sub
        assert "authbook addin install" in message and f"click {label} again" in message
        assert restored == "True"


def test_with_a_python_that_is_gone_each_button_says_python_not_found(report):
    for sub, label in BUTTONS.items():
        message, _ = report["missing"]["runs"][sub].rsplit("|", 1)
        assert message.startswith(f"Python not found at {MISSING_PYTHON}"), sub
        assert f"click {label} again" in message


def test_when_runpython_fails_the_button_says_so_and_restores_calculation(report):
    for sub, label in BUTTONS.items():
        message, restored = report["present"]["runs"][sub].rsplit("|", 1)
        assert message.startswith(f"AuthBook could not run {label} in Python."), sub
        assert "authbook doctor" in message
        assert restored == "True"
