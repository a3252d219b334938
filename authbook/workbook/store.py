"""The store: what a use case asks of a workbook, whichever adapter holds it.

Three adapters implement ``Store``: ``xlsxfile.WorkbookFile`` (openpyxl),
``xlsxfile.FastWorkbookFile`` (calamine reads, the surgical ``xlsx`` writer) and
``live.LiveWorkbook`` (the workbook open in Excel, through xlwings). A use case reads the
sheets it needs, works out its ``SheetWrite``s, ``apply``s them and ``save``s.

Three capabilities are optional and declared all the same, so no caller needs to know which
adapter it holds:
- ``read_sheets_in_turn``: the small sheets first, the largest while the caller works on
  them (only the fast file adapter reads them side by side; the others read them all at
  once);
- ``start_writing``: begin writing a large sheet in a second process while the caller works
  out the rest (only the fast file adapter can; the others answer False);
- ``drawing_book``: the openpyxl workbook that ``save`` writes, to draw the Dashboard's
  charts into first (only the openpyxl adapter has one).

``StoreDefaults`` gives an adapter the no-op answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from authbook.workbook.sheetdata import SheetRead, SheetsInTurn, SheetWrite


@runtime_checkable
class Store(Protocol):
    """A workbook as AuthBook reads and changes it."""

    @property
    def sheet_names(self) -> list[str]:
        """The names of the workbook's sheets, in order."""

    def read_sheets(self, names: Iterable[str]) -> dict[str, SheetRead]:
        """The named sheets that exist in the workbook, as SheetRead."""

    def read_sheets_in_turn(self, names: Iterable[str], later: Iterable[str]) -> SheetsInTurn:
        """``read_sheets`` in two turns: the named sheets but those in ``later`` at once (its
        ``first``), the ones in ``later`` when its ``rest()`` is called. An adapter that
        reads them side by side goes on reading the rest meanwhile."""

    def apply(self, writes: dict[str, SheetWrite]) -> None:
        """Take in changes (nothing reaches the file before ``save``)."""

    def save(self, backup: bool = True) -> None:
        """Save the changes applied (a file: atomically, keeping ``PATH.bak``)."""

    def start_writing(self, name: str, write: SheetWrite) -> bool:
        """Begin writing sheet ``name``'s ``write`` now, while the caller goes on; ``apply``
        the same ``write`` and ``save`` as usual (or ``stop_writing``). Returns whether
        anything was begun."""

    def stop_writing(self) -> None:
        """End a write begun by ``start_writing`` that no ``save`` took."""

    def drawing_book(self) -> Any | None:
        """The openpyxl workbook ``save`` writes, to draw charts into before saving; None
        when ``save`` writes no such workbook."""

    def saved_file(self) -> Path | None:
        """The file ``save`` writes; None when it writes none (live Excel)."""


class StoreDefaults:
    """The optional capabilities of ``Store`` answered for an adapter without them: it
    reads every sheet at once, writes nothing early, and has no openpyxl workbook to draw
    into."""

    def read_sheets_in_turn(self, names: Iterable[str], later: Iterable[str]) -> SheetsInTurn:
        """Every named sheet read at once; those in ``later`` handed out second."""
        return SheetsInTurn.at_once(self.read_sheets(names), later)

    def start_writing(self, name: str, write: SheetWrite) -> bool:
        """Nothing is begun before ``save``."""
        return False

    def stop_writing(self) -> None:
        """Nothing was begun."""

    def drawing_book(self) -> Any | None:
        """No openpyxl workbook."""
        return None
