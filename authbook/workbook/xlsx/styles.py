"""The stylesheet (``styles.xml``): the cell formats (``cellXfs``) read, and extended only
when a written value needs a number format no existing cell style has."""

from __future__ import annotations

import html
import re

# Not openpyxl's copy: a surgical refresh then never imports openpyxl (start-up time).
from authbook.workbook.numformats import BUILTIN_FORMATS, BUILTIN_FORMATS_REVERSE, is_date_format
from authbook.workbook.xlsx.cells import _is_date, _is_number
from authbook.workbook.xlsx.errors import NeedsFullRewrite

DEFAULT_DATE_FORMAT = "mm/dd/yyyy"


class Styles:
    """The cell formats (``cellXfs``) of styles.xml, extended only when a format is missing."""

    def __init__(self, data: bytes | None, part: str | None):
        self.part, self.data = part, data
        self.changed = False
        self.new_formats: list[tuple[int, str]] = []
        self.new_xfs: list[bytes] = []
        self._derived: dict[tuple[int, str], int] = {}
        self._fitted: dict[tuple, int] = {}
        if data is None:
            self.prefix, self.codes, self.xfs = b"", {}, [b"<xf/>"]
            return
        m = re.search(rb"<(\w+:)?styleSheet\b", data)
        self.prefix = p = (m.group(1) or b"") if m else b""
        self.codes = {
            int(i): html.unescape(code.decode("utf-8"))
            for i, code in re.findall(
                rb"<" + p + rb'numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"', data
            )
        }
        block = re.search(rb"<" + p + rb"cellXfs\b[^>]*>(.*?)</" + p + rb"cellXfs>", data, re.S)
        self.xfs = (
            re.findall(rb"<" + p + rb"xf\b[^>]*?(?:/>|>.*?</" + p + rb"xf>)", block.group(1), re.S)
            if block
            else []
        )

    def code_of(self, index: int) -> str:
        if index >= len(self.xfs):
            return "General"
        m = re.search(rb'numFmtId="(\d+)"', self.xfs[index].split(b">", 1)[0])
        fmt_id = int(m.group(1)) if m else 0
        if fmt_id in self.codes:
            return self.codes[fmt_id]
        if 27 <= fmt_id <= 36 or 50 <= fmt_id <= 58:  # locale date formats (East Asian)
            return "yyyy-mm-dd"
        return BUILTIN_FORMATS.get(fmt_id, "General")

    def fit(self, base: int, value: object, wanted: str | None, existing: bool) -> int:
        kind = type(value)
        key = (base, kind, wanted, existing)
        style = self._fitted.get(key)
        if style is None:
            style = self._fitted[key] = self._fit(base, value, wanted, existing)
        return style

    def _fit(self, base: int, value: object, wanted: str | None, existing: bool) -> int:
        """The style a cell gets for ``value``: ``base`` unless the value needs another format.

        An existing cell keeps its style unless it would read back as another type (a date in
        a number-formatted cell, a number in a date-formatted one); a new cell takes ``wanted``.
        """
        if not (_is_date(value) or _is_number(value)):
            return base
        code = self.code_of(base)
        target = None
        if _is_date(value):
            if not existing and wanted and is_date_format(wanted):
                target = wanted
            elif not is_date_format(code):
                target = wanted if wanted and is_date_format(wanted) else DEFAULT_DATE_FORMAT
        else:
            if not existing and wanted and not is_date_format(wanted):
                target = wanted
            elif is_date_format(code):
                target = wanted if wanted and not is_date_format(wanted) else "General"
        if target is None or target == code:
            return base
        return self.derive(base, target)

    def derive(self, base: int, code: str) -> int:
        key = (base, code)
        if key in self._derived:
            return self._derived[key]
        if self.data is None:
            raise NeedsFullRewrite("the workbook has no styles part")
        fmt_id = self._format_id(code)
        xf = self.xfs[base] if base < len(self.xfs) else self.xfs[0]
        tag, rest = (xf.split(b">", 1) + [b""])[:2]
        closing = tag.endswith(b"/")
        tag = tag[:-1] if closing else tag
        tag = _set_attr(tag, b"numFmtId", b"%d" % fmt_id)
        tag = _set_attr(tag, b"applyNumberFormat", b"1")
        new = tag + (b"/>" if closing else b">" + rest)
        index = _same_format(self.xfs, new)
        if index is None:
            index = len(self.xfs)
            self.xfs.append(new)
            self.new_xfs.append(new)
            self.changed = True
        self._derived[key] = index
        return index

    def _format_id(self, code: str) -> int:
        if code in BUILTIN_FORMATS_REVERSE:
            return BUILTIN_FORMATS_REVERSE[code]
        for fmt_id, known in self.codes.items():
            if known == code:
                return fmt_id
        fmt_id = max([163, *self.codes]) + 1
        self.codes[fmt_id] = code
        self.new_formats.append((fmt_id, code))
        self.changed = True
        return fmt_id

    def to_bytes(self) -> bytes:
        data, p = self.data, self.prefix
        if self.new_formats:
            items = b"".join(
                b"<"
                + p
                + b'numFmt numFmtId="%d" formatCode="%s"/>'
                % (i, html.escape(code, quote=True).encode("utf-8"))
                for i, code in self.new_formats
            )
            block = re.search(rb"<" + p + rb"numFmts\b[^>]*?(/?)>", data)
            if block and block.group(1):  # <numFmts/>
                data = (
                    data[: block.start()]
                    + b"<" + p + b'numFmts count="%d">' % len(self.new_formats)
                    + items + b"</" + p + b"numFmts>" + data[block.end():]
                )  # fmt: skip
            elif block:
                close = data.index(b"</" + p + b"numFmts>", block.end())
                count = len(re.findall(rb"<" + p + rb"numFmt\b", data[block.end() : close]))
                total = b"%d" % (count + len(self.new_formats))
                opening = _set_attr(block.group(0)[:-1], b"count", total)
                data = (
                    data[: block.start()]
                    + opening
                    + b">"
                    + data[block.end() : close]
                    + items
                    + data[close:]
                )
            else:
                root = re.search(rb"<" + p + rb"styleSheet\b[^>]*>", data)
                data = (
                    data[: root.end()] + b"<" + p + b'numFmts count="%d">' % len(self.new_formats)
                    + items + b"</" + p + b"numFmts>" + data[root.end():]
                )  # fmt: skip
        if self.new_xfs:
            block = re.search(rb"<" + p + rb"cellXfs\b[^>]*>", data)
            if block is None:
                raise NeedsFullRewrite("styles.xml has no cellXfs")
            close = data.index(b"</" + p + b"cellXfs>", block.end())
            opening = _set_attr(block.group(0)[:-1], b"count", b"%d" % len(self.xfs))
            data = (
                data[: block.start()] + opening + b">" + data[block.end() : close]
                + b"".join(self.new_xfs) + data[close:]
            )  # fmt: skip
        return data


_XF_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')


def _format_key(xf: bytes) -> tuple | None:
    """What a cell format (``<xf ...>``) does to a cell: its attributes and content. Its
    ``applyNumberFormat`` is left out when it is on or missing (openpyxl, for one, leaves it
    out; Excel and LibreOffice apply the number format all the same); None when it is off."""
    tag, _, rest = xf.partition(b">")
    closing = tag.endswith(b"/")
    attrs = dict(_XF_ATTR.findall(tag[:-1] if closing else tag))
    if attrs.pop(b"applyNumberFormat", b"1") not in (b"1", b"true"):
        return None
    content = b"" if closing else rest.rsplit(b"</", 1)[0].strip()
    return frozenset(attrs.items()), content


def _same_format(xfs: list[bytes], new: bytes) -> int | None:
    """The index of the first of ``xfs`` that formats a cell as ``new`` does, or None."""
    if new in xfs:
        return xfs.index(new)
    wanted = _format_key(new)
    if wanted is None:
        return None
    for index, xf in enumerate(xfs):
        if _format_key(xf) == wanted:
            return index
    return None


def _set_attr(tag: bytes, name: bytes, value: bytes) -> bytes:
    """Set ``name="value"`` in an opening tag given without its closing ``>``."""
    pattern = re.compile(rb"(\s" + name + rb'=")[^"]*(")')
    if pattern.search(tag):
        return pattern.sub(lambda m: m.group(1) + value + m.group(2), tag, count=1)
    return tag + b" " + name + b'="' + value + b'"'
