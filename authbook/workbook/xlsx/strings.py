"""Shared strings (``sharedStrings.xml``), read only to know a header row's text, and the
text a header cell shows."""

from __future__ import annotations

import html
import re
import zipfile
from xml.etree import ElementTree

from authbook.workbook.xlsx.cells import _ATTR_T

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class SharedStrings:
    """Shared strings read lazily and only as far as asked, phonetic runs left out: a header
    row's text is among the first strings a program saves, and a workbook Excel or
    LibreOffice saved may hold hundreds of thousands after them (12 MB at 20,000 auths,
    whose whole parse took 0.7 s of a save that needed three of its strings)."""

    def __init__(self, zin: zipfile.ZipFile, part: str | None):
        self.zin, self.part = zin, part
        self.items: list[str] = []
        self._more = self._texts() if part else iter(())

    def _texts(self):
        with self.zin.open(self.part) as f:
            for _, el in ElementTree.iterparse(f):
                if el.tag == _NS + "si":
                    yield _si_text(el)
                    el.clear()

    def get(self, index: int) -> str:
        while index >= len(self.items):
            text = next(self._more, None)
            if text is None:
                break
            self.items.append(text)
        return self.items[index] if 0 <= index < len(self.items) else ""


def _si_text(si) -> str:
    texts = []
    for child in si:
        if child.tag == _NS + "t":
            texts.append(child.text or "")
        elif child.tag == _NS + "r":
            texts.extend(t.text or "" for t in child.iter(_NS + "t"))
    return "".join(texts)


def _cell_text(attrs: bytes, inner: bytes | None, strings: SharedStrings) -> str:
    """The text a header cell shows (shared, inline or plain)."""
    if not inner:
        return ""
    t = _ATTR_T.search(attrs)
    kind = t.group(1) if t else b"n"
    if kind == b"inlineStr":
        parts = re.findall(rb"<(?:\w+:)?t\b[^>]*>([^<]*)</(?:\w+:)?t>", inner)
        return html.unescape(b"".join(parts).decode("utf-8"))
    v = re.search(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>", inner)
    if v is None:
        return ""
    text = html.unescape(v.group(1).decode("utf-8"))
    if kind == b"s":
        return strings.get(int(text))
    if kind == b"n":
        number = float(text)
        return str(int(number)) if number.is_integer() else str(number)
    return text
