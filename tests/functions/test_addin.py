"""The AuthBook Excel add-in: its ribbon, its VBA callbacks and the .xlam the builder writes.

Independent readers check the built file: the zip and XML parsers of the standard library,
olefile and olevba (oletools) for the VBA project, and LibreOffice headless for the whole
add-in.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import posixpath
import re
import struct
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import olefile
import pytest
from oletools.olevba import VBA_Parser

from authbook.functions import addin
from authbook.functions.addin import (
    AddinError,
    build_addin,
    decompress,
    install_addin,
    ribbon_actions,
    runpython_targets,
)
from authbook.functions.vbaproject import decrypt

BAS = addin.MACROS_DIR / "AuthBook.bas"
CUSTOMUI = addin.MACROS_DIR / "customUI14.xml"
RIBBON_ENTRY_POINTS = {
    "refresh",
    "check_notes",
    "eligible_for_selection",
    "bulk_update_visible",
    "bulk_add_selected",
    "show_alerts",
}
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
UI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin") / "AuthBook.xlam")


def bas_code_lines() -> list[str]:
    return BAS.read_text(encoding="utf-8").splitlines()


def vba_project(path: Path) -> olefile.OleFileIO:
    with zipfile.ZipFile(path) as package:
        return olefile.OleFileIO(package.read("xl/vbaProject.bin"))


# ---- the ribbon and the VBA agree ----------------------------------------------------------


def test_every_ribbon_button_has_a_matching_vba_sub():
    subs = set(addin.vba_subs(BAS))
    actions = ribbon_actions(CUSTOMUI)
    assert actions, "the ribbon has no buttons"
    assert [a for a in actions if a not in subs] == []


def test_every_ribbon_callback_takes_the_ribbon_control():
    source = BAS.read_text(encoding="utf-8")
    for action in ribbon_actions(CUSTOMUI):
        pattern = rf"^Public Sub {action}\(control As IRibbonControl\)$"
        assert re.search(pattern, source, re.MULTILINE), action


def test_ribbon_buttons_have_unique_ids_icons_and_screentips():
    root = ElementTree.parse(CUSTOMUI).getroot()
    assert root.tag == "{http://schemas.microsoft.com/office/2009/07/customui}customUI"
    buttons = [el for el in root.iter() if el.tag.endswith("}button")]
    assert len({b.attrib["id"] for b in buttons}) == len(buttons)
    for button in buttons:
        assert {"label", "imageMso", "screentip", "supertip", "onAction"} <= set(button.attrib)


def test_every_ribbon_button_runs_one_ribbon_entry_point_through_xlwings():
    targets = dict(runpython_targets(BAS))
    assert set(ribbon_actions(CUSTOMUI)) == set(targets)
    assert set(targets.values()) == RIBBON_ENTRY_POINTS
    # RunPython is the xlwings module's, inside the same add-in: no other add-in is needed.
    assert "xlwings.xlam" not in BAS.read_text()
    assert "    result = RunPython(pythonCommand)" in BAS.read_text().splitlines()


@pytest.mark.skipif(
    importlib.util.find_spec("authbook.functions.ribbon") is None,
    reason="ribbon module not written yet",
)
def test_runpython_strings_name_functions_in_the_ribbon_module():
    ribbon = importlib.import_module("authbook.functions.ribbon")
    missing = [(sub, fn) for sub, fn in runpython_targets(BAS) if not hasattr(ribbon, fn)]
    assert missing == []


def test_vba_module_is_plain_windows_1252_text_named_authbook():
    lines = bas_code_lines()
    assert lines[0] == 'Attribute VB_Name = "AuthBook"'
    BAS.read_text(encoding="utf-8").encode("cp1252")


# ---- the package -----------------------------------------------------------------------------


def test_built_addin_is_a_valid_ooxml_package(built: Path):
    with zipfile.ZipFile(built) as package:
        assert package.testzip() is None
        names = set(package.namelist())
        types = ElementTree.fromstring(package.read("[Content_Types].xml"))
        defaults = {el.attrib["Extension"] for el in types.iter(f"{CT_NS}Default")}
        overrides = {el.attrib["PartName"] for el in types.iter(f"{CT_NS}Override")}
        for name in names:
            if name.endswith(".xml") or name.endswith(".rels"):
                ElementTree.fromstring(package.read(name))  # well-formed
            if name != "[Content_Types].xml":
                has_type = "/" + name in overrides or name.rsplit(".", 1)[-1] in defaults
                assert has_type, f"{name} has no content type"
        assert overrides <= {"/" + n for n in names}
        rels = [n for n in names if n.endswith(".rels")]
        assert "_rels/.rels" in rels
        for rel_part in rels:
            base = posixpath.dirname(posixpath.dirname(rel_part))
            for rel in ElementTree.fromstring(package.read(rel_part)).iter(f"{REL_NS}Relationship"):
                target = posixpath.normpath(posixpath.join(base, rel.attrib["Target"]))
                assert target in names, f"{rel_part}: {rel.attrib['Target']} is missing"


def test_built_addin_is_a_macro_enabled_addin_with_ribbon_and_vba_parts(built: Path):
    with zipfile.ZipFile(built) as package:
        types = ElementTree.fromstring(package.read("[Content_Types].xml"))
        main = {
            el.attrib["PartName"]: el.attrib["ContentType"] for el in types.iter(f"{CT_NS}Override")
        }["/xl/workbook.xml"]
        assert main == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
        root_rels = ElementTree.fromstring(package.read("_rels/.rels"))
        ui = [r.attrib["Target"] for r in root_rels if r.attrib["Type"] == UI_REL]
        assert ui == ["customUI/customUI14.xml"]
        assert package.read("customUI/customUI14.xml") == CUSTOMUI.read_bytes()
        book_rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
        assert [r.attrib["Target"] for r in book_rels if r.attrib["Type"] == VBA_REL] == [
            "vbaProject.bin"
        ]


def test_building_twice_gives_the_same_bytes(tmp_path: Path):
    first = build_addin(tmp_path / "a.xlam").read_bytes()
    assert build_addin(tmp_path / "b.xlam").read_bytes() == first


def test_build_into_a_folder_writes_authbook_xlam(tmp_path: Path):
    assert build_addin(tmp_path) == tmp_path / "AuthBook.xlam"
    assert (tmp_path / "AuthBook.xlam").is_file()


def test_build_refuses_a_ribbon_button_without_a_vba_sub(tmp_path: Path):
    (tmp_path / "AuthBook.bas").write_text(BAS.read_text())
    ui = CUSTOMUI.read_text().replace('onAction="AB_Refresh"', 'onAction="AB_Missing"')
    (tmp_path / "customUI14.xml").write_text(ui)
    with pytest.raises(AddinError, match="AB_Missing"):
        build_addin(tmp_path / "out.xlam", macros_dir=tmp_path)


# ---- the VBA project -----------------------------------------------------------------------


def test_olevba_extracts_the_module_source_exactly(built: Path):
    parser = VBA_Parser(str(built), relaxed=False)
    try:
        modules = {stream: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()
    assert set(modules) == {
        "VBA/AuthBook",
        "VBA/AuthBookFunctions",
        "VBA/xlwings",
        "VBA/Dictionary",
        "VBA/ThisWorkbook",
        "VBA/Sheet1",
    }
    assert modules["VBA/AuthBook"].splitlines() == bas_code_lines()


def test_vba_project_carries_no_compiled_code(built: Path):
    ole = vba_project(built)
    header = ole.openstream("VBA/_VBA_PROJECT").read()
    assert header == struct.pack("<HHBH", 0x61CC, 0xFFFF, 0, 0)  # Excel recompiles
    source = decompress(ole.openstream("VBA/AuthBook").read())  # MODULEOFFSET 0
    assert source.decode("cp1252").splitlines() == bas_code_lines()


def test_project_stream_lists_the_module_and_is_unprotected_and_visible(built: Path):
    text = vba_project(built).openstream("PROJECT").read().decode("cp1252")
    assert "Module=AuthBook\r\n" in text
    assert "Module=xlwings\r\n" in text and "Class=Dictionary\r\n" in text
    values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"\r$', text, re.MULTILINE))
    assert decrypt(values["CMG"]) == b"\x00\x00\x00\x00"
    assert decrypt(values["DPB"]) == b"\x00"
    assert decrypt(values["GC"]) == b"\xff"
    project_id = re.search(r'^ID="(\{[0-9A-F-]+\})"', text).group(1)
    seed, proj_key_enc = bytes.fromhex(values["GC"][:6])[0::2]
    assert seed ^ proj_key_enc == sum(project_id.encode()) & 0xFF


# ---- installing ----------------------------------------------------------------------------


def test_install_copies_the_addin_into_the_windows_xlstart_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    installed = install_addin(platform="win32")
    assert installed == tmp_path / "Roaming" / "Microsoft" / "Excel" / "XLSTART" / "AuthBook.xlam"
    assert zipfile.is_zipfile(installed)


def test_install_copies_a_built_addin_into_the_mac_startup_folder(tmp_path, monkeypatch, built):
    monkeypatch.setenv("HOME", str(tmp_path))
    installed = install_addin(built, platform="darwin")
    folder = "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized"
    assert installed == tmp_path / folder / "Excel" / "AuthBook.xlam"
    assert installed.read_bytes() == built.read_bytes()


def test_install_on_linux_raises_a_clear_addin_error():
    with pytest.raises(AddinError, match="Windows or macOS"):
        install_addin(platform="linux")


# ---- command line --------------------------------------------------------------------------


def run_addin_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="authbook")
    addin.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["addin", *argv])
    return args.run(args)


def test_addin_build_command_writes_the_addin_where_asked(tmp_path, capsys):
    assert run_addin_command("build", str(tmp_path / "out.xlam")) == 0
    assert zipfile.is_zipfile(tmp_path / "out.xlam")
    assert str(tmp_path / "out.xlam") in capsys.readouterr().out


def test_addin_install_command_off_windows_and_macos_explains_and_exits_2(capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    assert run_addin_command("install") == 2
    err = capsys.readouterr().err
    assert err.startswith("authbook: ") and "Windows or macOS" in err
    assert "Traceback" not in err


# ---- never a partial add-in, never a workbook overwritten ----------------------------------


def startup_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_install_refuses_while_excel_holds_the_addin_and_changes_nothing(tmp_path, monkeypatch):
    from authbook.functions import install

    (tmp_path / "AuthBook.xlam").write_bytes(b"the add-in Excel has open")
    before = startup_files(tmp_path)
    real_open = open

    def excel_lock(path, mode="r", *args, **kwargs):  # Windows' sharing violation
        if Path(path) == tmp_path / "AuthBook.xlam" and mode != "rb":
            raise PermissionError(13, "The process cannot access the file")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", excel_lock)
    with pytest.raises(install.InstallError, match="Close Excel"):
        install_addin(platform="win32", folder=tmp_path)
    assert startup_files(tmp_path) == before


def test_a_copy_failing_half_way_leaves_the_previous_addin_whole(tmp_path, monkeypatch):
    from authbook.functions import install

    (tmp_path / "AuthBook.xlam").write_bytes(b"previous add-in")

    def half_copy(source, target):
        Path(target).write_bytes(Path(source).read_bytes()[:100])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(install.shutil, "copyfile", half_copy)
    with pytest.raises(install.InstallError, match="previous add-in is still there"):
        install_addin(platform="win32", folder=tmp_path)
    assert startup_files(tmp_path) == {"AuthBook.xlam": b"previous add-in"}


def test_a_first_install_failing_half_way_leaves_no_file(tmp_path, monkeypatch):
    from authbook.functions import install

    def half_copy(source, target):
        Path(target).write_bytes(Path(source).read_bytes()[:100])
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(install.shutil, "copyfile", half_copy)
    with pytest.raises(install.InstallError, match="nothing was left there"):
        install_addin(platform="win32", folder=tmp_path / "XLSTART")
    assert startup_files(tmp_path / "XLSTART") == {}


def test_install_builds_outside_the_startup_folder(tmp_path, monkeypatch):
    from authbook.functions import install

    folders = []
    real_build = install.build_addin

    def watched(path, **kwargs):
        folders.append(Path(path).parent)
        return real_build(path, **kwargs)

    monkeypatch.setattr(install, "build_addin", watched)
    installed = install_addin(platform="win32", folder=tmp_path / "XLSTART")
    assert folders and tmp_path / "XLSTART" not in folders
    assert startup_files(tmp_path / "XLSTART").keys() == {"AuthBook.xlam"}
    assert zipfile.is_zipfile(installed)


def test_addin_build_refuses_to_overwrite_a_workbook(tmp_path, capsys):
    workbook = tmp_path / "practice.xlsx"
    workbook.write_bytes(b"a biller's workbook")
    assert run_addin_command("build", str(workbook)) == 2
    assert "must end in .xlam" in capsys.readouterr().err
    assert workbook.read_bytes() == b"a biller's workbook"


def test_addin_build_replaces_an_addin_but_not_another_file_without_force(tmp_path, capsys):
    target = tmp_path / "AuthBook.xlam"
    target.write_bytes(b"not an add-in")
    assert run_addin_command("build", str(target)) == 2
    assert "is not an Excel add-in" in capsys.readouterr().err
    assert target.read_bytes() == b"not an add-in"
    assert run_addin_command("build", str(target), "--force") == 0
    assert run_addin_command("build", str(target)) == 0  # an add-in is replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["AuthBook.xlam"]


def test_readme_installs_the_addin_as_the_excel_check_does():
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Use it in Excel") :]
    section = section[: section.index("\n## ", 3)]
    check = (root / "docs" / "excel-check.md").read_text(encoding="utf-8")
    steps = ("pip install authbook", "authbook addin install", "Restart Excel")
    for text in (section, check[: check.index("**Buttons")]):
        where = [text.lower().index(step.lower()) for step in steps]
        assert where == sorted(where)
    for button in (
        "Refresh",
        "Show Alerts",
        "Check Notes",
        "Eligible Codes",
        "Update Visible",
        "Add to Selected",
    ):
        assert f"*{button}*" in section and f"*{button}*" in check
    for function in (
        "AB_REMAINING",
        "AB_AVAILABLE",
        "AB_STATUS",
        "AB_ELIGIBLE_CODES",
        "AB_AUTH_FOR",
        "AB_CHARGE",
    ):
        assert f"={function}(" in section and f"={function}(" in check


def test_the_startup_folder_is_the_one_a_running_excel_reports(tmp_path, monkeypatch):
    from authbook.functions.install import MAC_STARTUP, startup_folder

    monkeypatch.setenv("HOME", str(tmp_path))
    assert (
        startup_folder("darwin", ask_excel=lambda: tmp_path / "Excel says")
        == tmp_path / "Excel says"
    )
    assert startup_folder("darwin", ask_excel=lambda: None) == tmp_path / MAC_STARTUP
