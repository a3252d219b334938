"""Cell XML: values encoded as ``<c>`` elements, column letters, and the patterns that find
cells and rows in a worksheet part.

Text is written as an inline string (``t="inlineStr"``), so text starting with ``=`` stays
text; dates become Excel serial numbers in the workbook's date system.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from authbook.workbook.sheetdata import Formula

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
_LEAP_BUG_END = datetime(1900, 3, 1)

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR_R = re.compile(rb'\br="([A-Z]+)(\d+)"')
_ATTR_S = re.compile(rb'\bs="(\d+)"')
_ATTR_T = re.compile(rb'\bt="(\w+)"')
_ROW_R = re.compile(rb'\br="(\d+)"')
_SPANS = re.compile(rb'\bspans="(\d+):(\d+)"')
_SPANS_VALUE = re.compile(rb"(\d+):(\d+)")
_CUSTOM_FORMAT = re.compile(rb'\bcustomFormat="(?:1|true)"')


def has_custom_format(tag: bytes) -> bool:
    """Whether a row's tag (or the tags of many rows, joined) gives its cells a style of its
    own (``customFormat="1"`` or ``"true"``). LibreOffice writes ``customFormat="false"`` on
    every row: the plain byte searches first keep the pattern (which looks at every byte,
    ~0.5 s over a 500,000-row sheet) for the rare tag that has one."""
    return (b'customFormat="1"' in tag or b'customFormat="true"' in tag) and bool(
        _CUSTOM_FORMAT.search(tag)
    )


#: Column number -> its letters, as bytes (``_LETTERS[1] == b"A"``), for every column a
#: sheet can have (XFD is 16,384): the one-, two- and three-letter names in order.
_ONE = [bytes((c,)) for c in range(ord("A"), ord("Z") + 1)]
_TWO = [a + b for a in _ONE for b in _ONE]
_LETTERS = [b"", *_ONE, *_TWO, *[ab + c for ab in _TWO for c in _ONE]][: 16384 + 1]
_COLUMNS = dict(zip(_LETTERS[1:], range(1, len(_LETTERS))))  # (made by joining bytes: 2x faster)


def excel_serial(value: date, date1904: bool = False) -> int | float:
    """The Excel serial number of a date or datetime (whole days for a date)."""
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    moment = moment.replace(tzinfo=None)
    delta = moment - (_EPOCH_1904 if date1904 else _EPOCH_1900)
    days = delta.days + (delta.seconds * 1_000_000 + delta.microseconds) / 86_400_000_000
    if not date1904 and moment < _LEAP_BUG_END:
        days -= 1  # Excel counts 29 Feb 1900, which never was
    return int(days) if float(days).is_integer() else days


def _text(value: str) -> bytes:
    if not (value.isascii() and value.isprintable()):
        value = _ILLEGAL_XML.sub("", value)
    escaped = (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )
    return escaped.encode("utf-8")


def _number(value: int | float) -> bytes:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be stored in a cell")
        if value.is_integer() and abs(value) < 2**53:
            return b"%d" % int(value)
        return repr(value).encode()
    return b"%d" % value


def _is_date(value: object) -> bool:
    return isinstance(value, date)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _prefixed(template: bytes, prefix: bytes) -> bytes:
    """An XML template with every element name given the namespace prefix."""
    if not prefix:
        return template
    return (
        template.replace(b"</", b"\0").replace(b"<", b"<" + prefix).replace(b"\0", b"</" + prefix)
    )


class CellWriter:
    """Makes ``<c>`` elements for one worksheet (its namespace prefix, its date system).

    A cell is ``c_ref + ref + tail``: ``c_ref`` opens the element up to its reference
    (``<c r="``), ``tail`` (from ``tail``) is the rest, the same for every cell of one column
    holding one value, so callers can keep tails and put only the reference in per cell.
    """

    def __init__(self, prefix: bytes, date1904: bool):
        p = prefix
        self.p = p
        self.c = b"<" + p + b"c"
        self.c_ref = self.c + b' r="'
        self.text_tail = _prefixed(b'"%s t="inlineStr"><is><t%s>%s</t></is></c>', p)
        self.value_tail = _prefixed(b'"%s%s><v>%s</v></c>', p)
        self.date1904 = date1904
        self._text_tails: dict[int, bytes] = {}

    def cell(self, ref: bytes, style: int, value: object) -> bytes:
        tail = self.tail(style, value)
        return b"" if tail is None else self.c_ref + ref + tail

    def plain_text_tail(self, style: int, value: str) -> bytes:
        """``tail`` of printable ASCII text that neither starts nor ends with a space."""
        templates = self._text_tails
        template = templates.get(style)
        if template is None:
            s = b' s="%d"' % style if style else b""
            template = templates[style] = self.text_tail.replace(b"%s", s, 1).replace(b"%s", b"", 1)
        text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return template % text.encode()

    def tail(self, style: int, value: object) -> bytes | None:
        """The cell after its reference, from the closing quote on; None: no cell at all
        (nothing to write into a cell without a style)."""
        s = b' s="%d"' % style if style else b""
        kind = type(value)
        if kind is str:
            space = b' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else b""
            return self.text_tail % (s, space, _text(value))
        if kind is int or kind is float:
            return self.value_tail % (s, b"", _number(value))
        if value is None:
            return b'"%s/>' % s if style else None
        if kind is bool:
            return self.value_tail % (s, b' t="b"', b"1" if value else b"0")
        if isinstance(value, str):
            return self.tail(style, str(value))
        if _is_number(value):
            return self.value_tail % (s, b"", _number(value))
        if isinstance(value, date):
            return self.value_tail % (s, b"", _number(excel_serial(value, self.date1904)))
        if kind is Formula:  # a Table's calculated column: no result, calculated on opening
            return b'"%s><%sf>%s</%sf></%sc>' % (s, self.p, _text(value.text), self.p, self.p)
        raise TypeError(f"cannot write a {type(value).__name__} into a cell: {value!r}")
