"""A worksheet part streamed as pieces of whole rows, without a DOM: the one way the reader
and the writer walk a sheet's XML."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator

#: How much of a part is read at a time.
CHUNK = 1 << 20


class UnreadableSheet(Exception):
    """A worksheet written in a shape the streaming scan does not handle (cells without ``r``)."""


def iter_row_chunks(stream, prefix: bytes = b"") -> Iterator[tuple[str, bytes]]:
    """Stream a worksheet part as ``("head", bytes)``, then ``("rows", bytes)`` pieces that
    each hold only whole ``<row>`` elements, then ``("tail", bytes)``.

    ``prefix`` is the XML namespace prefix with its colon (``b"x:"``) or empty.
    """
    open_tag = b"<" + prefix + b"sheetData"
    close_tag = b"</" + prefix + b"sheetData>"
    row_tag = b"<" + prefix + b"row"
    buf = b""
    state = "head"
    while True:
        chunk = stream.read(CHUNK)
        buf += chunk
        if state == "head":
            start = buf.find(open_tag)
            if start < 0:
                if not chunk:
                    yield "head", buf
                    return
                continue
            end = buf.find(b">", start)
            if end < 0:
                if not chunk:
                    raise UnreadableSheet("truncated sheetData")
                continue
            if buf[end - 1 : end] == b"/":  # <sheetData/>
                yield "head", buf[:start]
                yield "empty", buf[start : end + 1]
                state = "tail"
                buf = buf[end + 1 :]
                continue
            yield "head", buf[: end + 1]
            buf = buf[end + 1 :]
            state = "rows"
        if state == "rows":
            close = buf.find(close_tag)
            if close >= 0:
                if close:
                    yield "rows", buf[:close]
                buf = buf[close:]
                state = "tail"
            elif not chunk:
                raise UnreadableSheet("sheetData is not closed")
            else:
                cut = buf.rfind(row_tag)
                if cut > 0:
                    yield "rows", buf[:cut]
                    buf = buf[cut:]
                continue
        if state == "tail":
            if not chunk:
                yield "tail", buf
                return


def namespace_prefix(zf: zipfile.ZipFile, part: str) -> bytes:
    """The prefix (``b"x:"``) the part gives the spreadsheet namespace, or ``b""``."""
    with zf.open(part) as f:
        head = f.read(4096)
    m = re.search(rb"<(\w+:)?worksheet\b", head)
    return m.group(1) or b"" if m else b""


def column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + ch - 64
    return n


def _tail(zf: zipfile.ZipFile, part: str, size: int = 1 << 16) -> bytes:
    """The end of a part (what follows its sheetData), read by streaming through it."""
    keep = b""
    with zf.open(part) as f:
        while chunk := f.read(CHUNK):
            keep = (keep + chunk)[-size:]
    return keep
