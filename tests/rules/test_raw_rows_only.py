"""The rules see the Auths and Notes rows one way (issue 22): RawBook holds them as RawRows
however they are given, so no rule branches between RawRows and a sequence of RawRecord."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from authbook.models import RawBook, RawRecord, RawRows, Source

RULES = Path(__file__).resolve().parents[2] / "authbook" / "rules"


def record(sheet: str, row: int, **values) -> RawRecord:
    return RawRecord(source=Source(sheet=sheet, row=row), values=values)


NOTES = (
    record("Notes", 2, note_id="N1", client_id="C1"),
    record("Notes", 3, client_id="C2", units=2),
    record("Notes", 5, note_id="N3", remit_status=None),
)


def test_no_rule_asks_whether_its_rows_are_raw_rows():
    found = []
    for path in sorted(RULES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("isinstance", "type")
                and "RawRows" in {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            ):
                found.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Compare) and "RawRows" in {
                n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            }:
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_records_given_by_hand_are_held_as_raw_rows_by_every_constructor():
    rows = RawRows.of_records("Notes", NOTES)
    made = [
        RawBook(notes=NOTES, auths=()),
        RawBook.trusted(notes=NOTES, auths=list(NOTES[:1])),
        RawBook().model_copy(update={"notes": NOTES}),
        dataclasses.replace(RawBook(), notes=NOTES),
        RawBook(notes=list(NOTES)),  # a list: pydantic's validator makes it a tuple first
    ]
    for raw in made:
        assert type(raw.notes) is RawRows and type(raw.auths) is RawRows
        assert raw.notes == rows  # (not == NOTES: a key a record lacks now reads None)
        assert raw.notes.fields == rows.fields
    assert RawBook(notes=NOTES) == RawBook(notes=rows)


def test_raw_rows_given_are_kept_as_they_are():
    rows = RawRows("Notes", ("note_id",), [2], [("N1",)])
    assert RawBook(notes=rows).notes is rows
    assert RawBook.trusted(notes=rows).notes is rows
    part = RawRows.of_records("Notes", NOTES).at([1])  # RawRows of some rows of others
    assert RawBook(notes=part).notes is part
    assert TypeAdapter(RawBook).validate_python({"notes": part}).notes is part


def test_records_become_rows_of_every_key_first_seen_first_a_missing_one_blank():
    rows = RawRows.of_records("Notes", NOTES)
    assert rows.sheet == "Notes"
    assert rows.fields == ("note_id", "client_id", "units", "remit_status")
    assert rows.rows == [2, 3, 5]
    assert rows.columns(["units", "note_id", "payer"]) == [
        (None, 2, None),
        ("N1", None, "N3"),
        (None, None, None),
    ]
    # a record read back has every field: a key it lacked now reads as a blank cell, as
    # every rule already read it (``values.get``; ``parse_row`` skips blank cells)
    assert rows[1] == record("Notes", 3, note_id=None, client_id="C2", units=2, remit_status=None)
    assert [r.source for r in rows] == [r.source for r in NOTES]


def test_no_records_are_empty_rows_of_no_sheet():
    raw = RawBook()
    assert raw.notes == () and len(raw.auths) == 0
    assert raw.notes.sheet == "" and raw.notes.rows == []
    assert raw.notes.columns(["client_id"]) == [()]


def test_rows_of_two_sheets_are_refused():
    with pytest.raises(ValueError):
        RawRows.of_records("Notes", (*NOTES, record("Auths", 2, auth_no="A1")))


def test_rows_at_positions_pick_their_columns_as_asked_and_read_as_the_whole_does():
    whole = RawRows.of_records("Notes", NOTES)
    part = whole.at([0, 2])
    assert part.rows == [2, 5] and len(part) == 2
    assert part == [whole[0], whole[2]]
    assert part[-1] == whole[2]
    assert part.columns(["note_id", "payer"]) == [("N1", "N3"), (None, None)]
    assert part.at([1]) == [whole[2]] and part.at([1]).columns(["client_id"]) == [(None,)]
    assert whole.at([]) == [] and whole.at([]).columns(["note_id"]) == [()]
    changed = part.with_cells("units", {5: 4})
    assert changed.columns(["units"]) == [[None, 4]] and changed.rows == [2, 5]
