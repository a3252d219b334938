"""A record constructed without pydantic (its values already of their fields' types) is the
record pydantic's validator makes of the same values; any other value goes to pydantic."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from authbook.models import (
    Auth,
    Book,
    Client,
    Note,
    Problem,
    RawBook,
    RawRecord,
    RawRows,
    Settings,
    Source,
)
from authbook.rules.audit import AuditEntry, CellChange

SOURCE = Source(sheet="Notes", row=2)
#: Values of every kind a field may be given: of its type, convertible to it, or not.
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.sampled_from(["", "3", "2.5", "x", "2026-03-01", "true", "Released", "90837"]),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    st.sampled_from([datetime(2026, 3, 1), datetime(2026, 3, 1, 9, 30)]),
    st.just(SOURCE),
    st.sampled_from([(), ("a",), ("a", 1), [SOURCE], {"a": 1}]),
)


def outcome(make):
    """The record ``make()`` gives, with the type of each field's value (1, 1.0 and True are
    equal, but not the same value), or the ValidationError's failing fields."""
    try:
        made = make()
    except ValidationError as exc:
        return "refused", sorted(str(e["loc"]) for e in exc.errors())
    values = {f.name: getattr(made, f.name) for f in dataclasses.fields(made)}
    return type(made), values, {k: type(v) for k, v in values.items()}


def same_as_pydantic(cls, values: dict) -> None:
    assert outcome(lambda: cls(**values)) == outcome(
        lambda: TypeAdapter(cls).validate_python(values)
    )


#: Values of each record's fields that pydantic keeps as they are.
VALID = {
    Note: dict(source=SOURCE, client_id="C1", service_date=date(2026, 3, 1), billing_code="1"),
    Auth: dict(
        source=SOURCE,
        auth_no="A1",
        client_id="C1",
        billing_code="1",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 6, 30),
        allotted_units=10,
        sliding_scale_pct=0.5,
    ),
    Client: dict(source=SOURCE, client_id="C1", dob=date(1990, 1, 1), active=False),
    Problem: dict(source=SOURCE, message="m", value=[1]),
    Settings: dict(as_of=date(2026, 3, 1), forecast_weeks=4),
    CellChange: dict(source=SOURCE, field="units", old=1, new="2"),
}


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_a_record_made_without_pydantic_is_the_one_pydantic_makes(data):
    cls = data.draw(st.sampled_from(list(VALID)))
    values = dict(VALID[cls])
    names = [f.name for f in dataclasses.fields(cls)]
    for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2)):
        values[name] = data.draw(VALUES, label=name)
    if data.draw(st.integers(0, 5), label="drop a field") == 0:
        del values[data.draw(st.sampled_from(sorted(values)))]
    if data.draw(st.integers(0, 5), label="add an unknown field") == 0:
        values["colour"] = "red"
    same_as_pydantic(cls, values)


@settings(max_examples=60, deadline=None)
@given(
    notes=st.lists(st.sampled_from([SOURCE, "x", 3]), max_size=3).map(tuple)
    | st.lists(st.just(SOURCE), max_size=2),
    uncalculated=st.sampled_from(
        [frozenset(), frozenset({("Notes", 2, "units")}), frozenset({("Notes", "2", "units")})]
    ),
    values=st.sampled_from([{"a": 1}, {1: "a"}, {}, [("a", 1)]]),
)
def test_containers_and_raw_rows_are_kept_converted_or_refused_as_pydantic_does(
    notes, uncalculated, values
):
    raw = (RawRecord(source=SOURCE, values={"note_id": "N1"}),)
    rows = RawRows("Notes", ("note_id",), [2], [("N1",)])
    same_as_pydantic(RawBook, {"notes": rows, "auths": raw, "uncalculated": uncalculated})
    same_as_pydantic(RawBook, {"notes": notes})
    same_as_pydantic(RawRecord, {"source": SOURCE, "values": values})
    same_as_pydantic(Book, {"settings": Settings(), "notes": notes})
    change = CellChange(source=SOURCE, field="units")
    for when in (date(2026, 3, 1), datetime(2026, 3, 1, 9), "2026-03-01"):
        same_as_pydantic(
            AuditEntry, {"timestamp": when, "user": "u", "action": "a", "change": change}
        )


def test_a_dict_value_is_copied_as_pydantic_copies_it():
    values = {"a": 1}
    record = RawRecord(source=SOURCE, values=values)
    values["a"] = 2
    assert record.values == {"a": 1}


def test_records_stay_frozen():
    note = Note(source=SOURCE, client_id="C1", service_date=date(2026, 3, 1), billing_code="1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        note.units = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().auth_prefix = "X"  # type: ignore[misc]


def test_records_of_values_of_their_types_are_made_without_importing_pydantic():
    code = (
        "import sys; from datetime import date; from authbook.models import *\n"
        "s = Source(sheet='Notes', row=2)\n"
        "n = Note(source=s, client_id='C1', service_date=date(2026, 3, 1), billing_code='1')\n"
        "Book(notes=(n,), settings=Settings(as_of=date(2026, 3, 1)))\n"
        "RawBook(notes=(RawRecord(source=s, values={'units': 1}),), uncalculated=frozenset())\n"
        "Problem(source=s, message='m')\n"
        "print('pydantic' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[1]  # this checkout's authbook, not an installed one
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert done.stdout.strip() == "False"
