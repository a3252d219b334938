"""Shared formulas (one Excel filled down or across) whose first cell a value is written
over: the group's other cells lose their source, so each is given the formula in full,
moved to its own place as Excel moves a formula filled down."""

from __future__ import annotations

import html
import re

from authbook.workbook.xlsx.errors import NeedsFullRewrite


class SharedFormulas:
    """The shared formulas of one worksheet (namespace prefix ``p``) that lost their first
    cell to a written value (``check``), and the rows written with their other cells given
    the formula in full (``filled_in``)."""

    def __init__(self, p: bytes, sheet: str):
        self.p, self.sheet = p, sheet
        #: ``si -> (formula, the first cell's reference)``: the other cells of each are
        #: written out in full.
        self._orphans: dict[bytes, tuple[str, str]] = {}
        self._dependent = re.compile(
            rb"(<" + p + rb'c\b[^>]*?\br="([A-Z]+\d+)"[^>]*>)<' + p
            + rb"f\b([^>]*?)(?:/>|></" + p + rb"f>)"
        )  # fmt: skip

    def check(self, inner: bytes, ref: bytes) -> None:
        """A value is about to be written over the formula in ``inner`` (cell ``ref``).
        When the formula is the first cell of a shared one (a formula Excel filled down or
        across), the other cells of the group lose their source: they are given the
        formula in full, moved to their place (``filled_in``)."""
        p = self.p
        f = re.search(rb"<" + p + rb"f\b([^>]*?)(?:/>|>(.*?)</" + p + rb"f>)", inner, re.S)
        attrs = f.group(1) if f else b""
        if b't="shared"' in attrs and b"ref=" in attrs:
            si = re.search(rb'\bsi="(\d+)"', attrs)
            if si is None or not f.group(2):
                raise NeedsFullRewrite(
                    f"{self.sheet}!{ref.decode()} holds a shared formula without its text"
                )
            self._orphans[si.group(1)] = (html.unescape(f.group(2).decode()), ref.decode())

    def filled_in(self, data: bytes) -> bytes:
        """``data`` (rows written) with each cell of a shared formula whose first cell was
        written over given that formula in full, moved to its own place as Excel moves a
        formula filled down (relative references follow, absolute ones stay)."""
        if not self._orphans or b"si=" not in data:
            return data
        return self._dependent.sub(self._formula_in_full, data)

    def _formula_in_full(self, m: re.Match) -> bytes:
        attrs = m.group(3)
        si = re.search(rb'\bsi="(\d+)"', attrs)
        if b't="shared"' not in attrs or si is None or si.group(1) not in self._orphans:
            return m.group(0)
        text, origin = self._orphans[si.group(1)]
        # openpyxl here, where a formula is moved, not at the top: start-up time
        from openpyxl.formula.tokenizer import TokenizerError
        from openpyxl.formula.translate import Translator, TranslatorError

        try:
            moved = Translator("=" + text, origin=origin).translate_formula(m.group(2).decode())
        except (TokenizerError, TranslatorError) as exc:
            raise NeedsFullRewrite(
                f"{self.sheet}!{origin}: its formula, shared with other cells, could not"
                f" be moved to them ({exc})"
            ) from None
        kept = re.sub(rb'\s+(?:t|si|ref)="[^"]*"', b"", attrs)
        p = self.p
        body = html.escape(moved[1:], quote=False).encode()
        return m.group(1) + b"<" + p + b"f" + kept + b">" + body + b"</" + p + b"f>"
