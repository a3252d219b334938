"""The one exception of the xlsx package: a write it cannot make by rewriting parts."""


class NeedsFullRewrite(Exception):
    """This write cannot be done surgically; write the workbook with the openpyxl adapter."""
