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
    row's text is among the strings a program saves, and a workbook Excel or LibreOffice
    saved may hold hundreds of thousands of others.

    The part is read a piece at a time and its ``<si>`` items only located (a byte
    pattern) up to the one asked for; only the items asked for are parsed, as XML. The
    headers of a LibreOffice-saved Notes sheet are items ~80,000 of ~580,000 at 50,000
    auths (LibreOffice numbers strings in the order its sheets hold them): parsing every
    item up to them took 0.4 s of the Notes sheet's write; locating them takes ~0.03 s."""

    #: How much of the part is inflated at a time.
    PIECE = 1 << 20

    def __init__(self, zin: zipfile.ZipFile, part: str | None):
        self.zin, self.part = zin, part
        #: The items located so far, as their XML.
        self.located: list[bytes] = []
        #: The items parsed so far (the ones asked for): index -> text.
        self.parsed: dict[int, str] = {}
        # the part's root element's start and end tags, each item parsed between them (the
        # start tag declares the namespaces)
        self._root: tuple[bytes, bytes] | None = None
        self._more = self._items() if part else iter(())

    def _items(self):
        """The ``<si>`` items' XML, in order, a list per piece of the part read (found by
        ``findall``, in C: one at a time, the 80,000 items before a LibreOffice-saved Notes
        sheet's headers took 0.08 s)."""
        with self.zin.open(self.part) as f:
            rest = b""
            while True:
                piece = f.read(self.PIECE)
                data = rest + piece
                if self._root is None:
                    root = _ROOT.search(data)
                    if root is None and piece:
                        rest = data
                        continue
                    found = (root.group(0), b"</" + root.group(1) + b">") if root else None
                    self._root = found or (b"<sst>", b"</sst>")
                found = _ITEM.findall(data)
                # what follows the last item is the start of the next (no whole item in it)
                at = data.rindex(found[-1]) + len(found[-1]) if found else 0
                yield found
                if not piece:
                    return
                rest = data[at:]

    def get(self, index: int) -> str:
        """The text of item ``index``; "" for an index the part does not have."""
        text = self.parsed.get(index)
        if text is not None:
            return text
        while index >= len(self.located):
            items = next(self._more, None)
            if items is None:
                return ""
            self.located.extend(items)
        if index < 0:
            return ""
        start, end = self._root
        xml = start + self.located[index] + end
        text = self.parsed[index] = _si_text(ElementTree.fromstring(xml)[0])
        return text


#: The part's root element's start tag (``<sst ...>``, perhaps with a prefix).
_ROOT = re.compile(rb"<((?:[\w.-]+:)?sst)\b[^>]*>")
#: One ``<si>`` item, whole (its text holds no ``<``: XML escapes it).
_ITEM = re.compile(rb"<(?:[\w.-]+:)?si\b[^>]*?(?:/>|>.*?</(?:[\w.-]+:)?si\s*>)", re.S)


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
