"""Shared strings are read only as far as a header needs them, and read as a spreadsheet
shows them: plain, in rich-text runs, without phonetic runs, escaped characters unescaped."""

from __future__ import annotations

import io
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from authbook.workbook.xlsx.strings import SharedStrings

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


def _escaped(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _item(value: str, runs: bool) -> str:
    """One ``<si>``: the text whole, or cut in two rich-text runs with a phonetic run."""
    if not runs:
        return f'<si><t xml:space="preserve">{_escaped(value)}</t></si>'
    half = len(value) // 2
    return (
        f'<si><r><t xml:space="preserve">{_escaped(value[:half])}</t></r>'
        f'<r><rPr><b/></rPr><t xml:space="preserve">{_escaped(value[half:])}</t></r>'
        '<rPh sb="0" eb="1"><t>ignored</t></rPh></si>'
    )


def _package(items: list[tuple[str, bool]]) -> zipfile.ZipFile:
    body = "".join(_item(value, runs) for value, runs in items)
    xml = f'<sst xmlns="{NS}" count="{len(items)}" uniqueCount="{len(items)}">{body}</sst>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("xl/sharedStrings.xml", xml.encode("utf-8"))
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


@given(st.lists(st.tuples(text, st.booleans()), max_size=30), st.data())
def test_each_string_reads_as_written_whatever_order_it_is_asked_in(items, data):
    strings = SharedStrings(_package(items), "xl/sharedStrings.xml")
    asked = data.draw(st.lists(st.integers(-2, len(items) + 2), max_size=40))
    for index in asked:
        expected = items[index][0] if 0 <= index < len(items) else ""
        assert strings.get(index) == expected


def test_a_header_of_a_large_table_is_read_without_the_rest():
    items = [(f"Header {n}", False) for n in range(5)] + [(f"cell {n}", True) for n in range(50000)]
    strings = SharedStrings(_package(items), "xl/sharedStrings.xml")
    assert [strings.get(n) for n in (2, 0, 4)] == ["Header 2", "Header 0", "Header 4"]
    assert sorted(strings.parsed) == [0, 2, 4]  # only the strings asked for were parsed
    assert len(strings.located) < 50005  # and the part was read only as far as they go
    assert strings.get(50004) == "cell 49999" and strings.get(50005) == ""


@given(st.lists(st.tuples(text, st.booleans()), min_size=1, max_size=30), st.data())
def test_items_cut_across_the_pieces_read_are_read_whole(items, data):
    """However the part falls into the pieces it is read in, every item reads whole."""
    strings = SharedStrings(_package(items), "xl/sharedStrings.xml")
    strings.PIECE = data.draw(st.integers(1, 64))
    for index in data.draw(st.permutations(range(len(items)))):
        assert strings.get(index) == items[index][0]


def test_a_prefixed_namespace_reads_as_the_default_one():
    xml = (
        f'<x:sst xmlns:x="{NS}" count="2"><x:si><x:t>Client ID</x:t></x:si>'
        "<x:si><x:r><x:t>Units</x:t></x:r><x:rPh><x:t>u</x:t></x:rPh></x:si></x:sst>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("xl/sharedStrings.xml", xml.encode("utf-8"))
    strings = SharedStrings(zipfile.ZipFile(buffer), "xl/sharedStrings.xml")
    assert [strings.get(1), strings.get(0), strings.get(2)] == ["Units", "Client ID", ""]


def test_a_workbook_without_shared_strings_reads_every_index_as_empty():
    assert SharedStrings(_package([]), None).get(0) == ""
