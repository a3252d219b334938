"""A workbook's input sheets read ahead of the use case that needs them: the command line
begins it before importing the use case's modules, which take about as long to import as
calamine takes to parse a small practice's Notes sheet (``workbook.readahead``)."""

from __future__ import annotations

from authbook.workbook import readahead

#: The input sheets, the largest (Notes) first: ``workbook.schema.INPUT_SHEETS``, which a
#: test checks this against. The schema is not imported here: its import would come
#: before the parse (about 10 ms).
INPUT_SHEETS = (
    "Notes",
    "Auths",
    "Clients",
    "AuthGroups",
    "CodeGroups",
    "BillingCodes",
    "Payers",
    "Providers",
    "Settings",
    "AuditLog",
)


def read_ahead(path) -> readahead.ReadAhead | None:
    """Begin parsing the input sheets of the workbook at ``path``, for the store a use case
    then opens on it (``FastWorkbookFile(path, ahead=...)``). None for a workbook too large
    to gain from it, or not a workbook (the use case says why)."""
    return readahead.read_ahead(path, INPUT_SHEETS)
