"""What a bulk action is asked to do, read from the text a user types: ``COLUMN=VALUE``
assignments, ``COLUMN=VALUE`` conditions (``=`` a comma list, ``<``, ``<=``, ``>``, ``>=``,
``~`` contains), Client ID lists, and column names as the user sees them (header text,
case and spacing ignored). Both shells read their input through here: the command line its
``--set`` / ``--where`` / ``--clients`` options, the ribbon the labels of its form.

Input that cannot be used raises ``BulkInputError``; its message starts with ``option``,
the name the text was given under (``--where``), so the user knows which to fix.
"""

from __future__ import annotations

import re

from authbook.rules.bulk import CLIENT_FILTER_FIELDS, Where
from authbook.workbook import changes, schema

_CONDITION = re.compile(r"^([^<>=~]*?)\s*(<=|>=|<|>|~|=)(.*)$", re.S)


class BulkInputError(Exception):
    """Input a bulk action cannot use; the message is for the user."""


def split_assignment(text: str, option: str) -> tuple[str, str]:
    """``COLUMN=VALUE`` -> (column, value); a missing '=' is an error."""
    column, sep, value = text.partition("=")
    if not sep or not column.strip():
        raise BulkInputError(f"{option} {text!r}: write it as COLUMN=VALUE")
    return column.strip(), value.strip()


def _values(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",")) if text.strip() else ("",)


def split_condition(text: str, option: str = "--where") -> tuple[str, str, tuple[str, ...]]:
    """``COLUMN=VALUE`` (or ``<``, ``<=``, ``>``, ``>=``, ``~``) -> (column, operator,
    values): a comma list for ``=``, the one value otherwise."""
    found = _CONDITION.match(text)
    if not found or not found.group(1).strip():
        raise BulkInputError(
            f"{option} {text!r}: write it as COLUMN=VALUE (or COLUMN<VALUE, <=, >, >=, COLUMN~TEXT)"
        )
    column, op, value = found.group(1).strip(), found.group(2), found.group(3).strip()
    return column, op, (_values(value) if op == "=" else (value,))


def auth_wheres(texts: list[str], option: str = "--where") -> list[Where]:
    """Conditions on Auths rows: an Auths column, or the client's Division, Client Group,
    Primary Therapist or Primary Payer."""
    wheres = []
    for text in texts:
        name, op, values = split_condition(text, option)
        column = changes.find_column(schema.CLIENTS, name)
        if column is not None and column.field in CLIENT_FILTER_FIELDS:
            wheres.append(
                Where(field=column.field, values=values, on_client=True, label=name, op=op)
            )
            continue
        column = changes.find_column(schema.AUTHS, name)
        if column is None or column.sensitive:
            usable = [c.header for c in schema.AUTHS.columns if not c.sensitive] + [
                schema.CLIENTS.column(f).header for f in CLIENT_FILTER_FIELDS
            ]
            raise BulkInputError(
                f"{option}: '{name}' is not a column auths can be filtered by; use one of: "
                + ", ".join(dict.fromkeys(usable))
            )
        wheres.append(Where(field=column.field, values=values, label=name, op=op))
    return wheres


def client_wheres(texts: list[str], option: str = "--where") -> list[Where]:
    """Conditions on Clients rows: any Clients column."""
    wheres = []
    for text in texts:
        name, op, values = split_condition(text, option)
        column = changes.find_column(schema.CLIENTS, name)
        if column is None:
            raise BulkInputError(
                f"{option}: the Clients sheet has no column '{name}'; use one of: "
                + ", ".join(schema.CLIENTS.headers)
            )
        wheres.append(Where(field=column.field, values=values, label=name, op=op))
    return wheres


def auth_sets(texts: list[str], option: str = "--set") -> dict[str, str]:
    """``COLUMN=VALUE`` texts -> Auths field -> value as typed: a column named once, not one
    AuthBook computes."""
    sets: dict[str, str] = {}
    for text in texts:
        name, value = split_assignment(text, option)
        column = changes.find_column(schema.AUTHS, name)
        if column is None:
            raise BulkInputError(f"{option}: the Auths sheet has no column '{name}'")
        if column.computed:
            raise BulkInputError(
                f"{option}: '{column.header}' is computed by AuthBook on every refresh; "
                "it cannot be set"
            )
        if column.field in sets:
            raise BulkInputError(f"{option}: '{column.header}' is given twice")
        sets[column.field] = value
    return sets


def auth_field(name: object) -> str | None:
    """The Auths field of the column named ``name`` (its header, case and spacing ignored),
    or None."""
    column = changes.find_column(schema.AUTHS, name)
    return column.field if column is not None else None


def client_ids(text: str) -> list[str]:
    """``C1, C2,C3`` -> the Client IDs listed (blanks left out)."""
    return [c.strip() for c in text.split(",") if c.strip()]
