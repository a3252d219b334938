"""The error every workbook adapter raises for a file a user must deal with."""

from __future__ import annotations


class WorkbookError(Exception):
    """A workbook that cannot be opened, read or saved; the message is for the user."""
