"""Issue 25 item 4: a cell typed by hand in Auths — here by LibreOffice over UNO, as a person
would, then saved as .xlsx — is logged old -> new in the AuditLog by the next refresh, and its
row gets Last Edited Date/By; AuthBook's memory of the inputs survives the round trip, hidden."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from authbook.cli import main
from tests import lo_helpers
from tests.bulk_fixtures import AS_OF, audit_log, make_book, sheet_rows

#: Type values into cells of a sheet (A1 references), save as .xlsx over the file, and print
#: whether each sheet is visible in LibreOffice.
EDIT_AND_SAVE = r"""
import json
path, sheet_name, edits = sys.argv[1:4]
doc = load(path)
sheet = doc.Sheets.getByName(sheet_name)
for ref, value in json.loads(edits).items():
    cell = sheet.getCellRangeByName(ref)
    if isinstance(value, str):
        cell.setString(value)
    else:
        cell.setValue(value)
visible = {name: doc.Sheets.getByName(name).IsVisible for name in doc.Sheets.ElementNames}
doc.storeToURL(file_url(path), props(FilterName="Calc MS Excel 2007 XML"))
doc.close(True)
print(json.dumps(visible))
"""


#: LibreOffice writes its user's name (Tools > Options > User Data) as the file's
#: lastModifiedBy when it saves: this profile's user is Robin Lo.
LO_USER_ROBIN_LO = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.UserProfile/Data"><prop oor:name="givenname" oor:op="fuse">
<value>Robin</value></prop></item>
<item oor:path="/org.openoffice.UserProfile/Data"><prop oor:name="sn" oor:op="fuse">
<value>Lo</value></prop></item>
</oor:items>
"""


def memory_state(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/workbook.xml").decode()
    tag = next(t for t in xml.split("<") if 'name="AuthBookMemory"' in t)
    return (
        "veryHidden"
        if 'state="veryHidden"' in tag
        else ("hidden" if "hidden" in tag else "visible")
    )


def refresh(path: Path) -> int:
    return main(["refresh", str(path), "--as-of", AS_OF.isoformat()])


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """The practice refreshed by AuthBook, then edited and saved by LibreOffice: Allotted
    Units of AB000003 (row 4, column G) 20 -> 7, Comments of AB000005 (row 6, column T)."""
    soffice, uno_python = lo_helpers.require_libreoffice()
    folder = tmp_path_factory.mktemp("lo-hand-edits")
    user = folder / "lo-profile" / "user"  # the profile running_office starts LibreOffice with
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(LO_USER_ROBIN_LO, encoding="utf-8")
    path = make_book(folder, "practice.xlsx")
    assert refresh(path) in (0, 1)
    assert memory_state(path) == "veryHidden"
    with lo_helpers.running_office(soffice, folder) as office:
        edits = json.dumps({"G4": 7, "T6": "called the payer"})
        result = lo_helpers.run_uno_script(
            uno_python, office, EDIT_AND_SAVE, str(path), "Auths", edits
        )
        seen_by_lo = json.loads(result.stdout)
        log_before = len(audit_log(path))
        assert refresh(path) in (0, 1)
        again = lo_helpers.run_uno_script(
            uno_python, office, EDIT_AND_SAVE, str(path), "Auths", "{}"
        )
    return path, seen_by_lo, json.loads(again.stdout), log_before


def test_a_cell_typed_in_libreoffice_is_logged_old_to_new_by_the_next_refresh(edited):
    path, _, _, log_before = edited
    logged = [e for e in audit_log(path)[log_before:] if e["Action"] == "edit by hand"]
    cells = {(e["Row"], e["Column"]): (e["Old Value"], e["New Value"]) for e in logged}
    assert cells == {(4, "Allotted Units"): (20, 7), (6, "Comments"): (None, "called the payer")}
    assert {e["Auth #"] for e in logged} == {"AB000003", "AB000005"}
    assert {e["User"] for e in logged} == {"Robin Lo"}  # who saved it in LibreOffice
    row = sheet_rows(path, "Auths")[4]
    assert row["Last Edited By"] == logged[0]["User"]
    assert isinstance(row["Last Edited Date"], datetime)


def test_the_memory_survives_libreoffice_hidden_and_is_very_hidden_again_after_a_refresh(edited):
    path, seen_by_lo, seen_again, _ = edited
    assert seen_by_lo["AuthBookMemory"] is False and seen_again["AuthBookMemory"] is False
    assert seen_by_lo["Auths"] is True
    wb = load_workbook(path)
    assert "AuthBookMemory" in wb.sheetnames


def test_a_refresh_with_no_edit_since_logs_nothing(edited, tmp_path):
    path, _, _, _ = edited
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    assert refresh(copy) in (0, 1)  # the memory catches up with the last LibreOffice save
    count = len(audit_log(copy))
    assert refresh(copy) in (0, 1)
    assert len(audit_log(copy)) == count
    assert memory_state(copy) == "veryHidden"
