"""``with_sheets_very_hidden``: the sheets named, and only those, become very hidden in
workbook.xml, whatever state they had and however the file's program wrote the tag."""

from __future__ import annotations

from authbook.workbook.xlsx.package import with_sheets_very_hidden

WORKBOOK = (
    b'<x:workbook xmlns:x="m" xmlns:r="r"><x:sheets>'
    b'<x:sheet name="Auths" sheetId="1" r:id="rId1"/>'
    b'<x:sheet name="AuthBookMemory" sheetId="2" state="hidden" r:id="rId2"/>'
    b'<x:sheet name="R&amp;D" sheetId="3" r:id="rId3"></x:sheet>'
    b"</x:sheets></x:workbook>"
)


def test_the_named_sheets_become_very_hidden_and_no_other():
    out = with_sheets_very_hidden(WORKBOOK, ("AuthBookMemory", "R&D"))
    assert b'<x:sheet name="Auths" sheetId="1" r:id="rId1"/>' in out
    assert b'<x:sheet name="AuthBookMemory" sheetId="2" r:id="rId2" state="veryHidden"/>' in out
    assert b'<x:sheet name="R&amp;D" sheetId="3" r:id="rId3" state="veryHidden">' in out
    assert out.count(b"state=") == 2


def test_a_sheet_already_very_hidden_or_absent_leaves_the_same_bytes():
    once = with_sheets_very_hidden(WORKBOOK, ("AuthBookMemory",))
    assert with_sheets_very_hidden(once, ("AuthBookMemory",)) == once
    assert with_sheets_very_hidden(WORKBOOK, ("Nowhere",)) == WORKBOOK
    assert with_sheets_very_hidden(WORKBOOK, ()) == WORKBOOK
