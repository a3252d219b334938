"""AuthBook's worksheet functions, called as xlwings calls them: tables as 2-D lists (header row
first, numbers as floats, dates as datetimes). Each must give what ``authbook refresh`` writes
into the sheet for the same data, and a bad argument must give ``#AUTHBOOK: …`` text."""

from __future__ import annotations

import ast
import pickle
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.cli import main
from authbook.functions import udfs
from authbook.rules.values import date_to_excel_serial
from authbook.services import refresh as app
from authbook.workbook import template
from tests.functions.excel_fixtures import (
    AS_OF,
    AUTHS,
    NOTES,
    column_of,
    make_book,
    table_arg,
)

UDF_SOURCE = Path(udfs.__file__).read_text(encoding="utf-8")


@pytest.fixture
def book(tmp_path):
    """(original file, the same file refreshed by the file path, Auths, Notes, Clients args)."""
    path = make_book(tmp_path)
    refreshed = tmp_path / "refreshed.xlsx"
    shutil.copy(path, refreshed)
    app.refresh_file(refreshed, AS_OF, AS_OF, user="test")
    return (
        path,
        refreshed,
        table_arg(path, "Auths"),
        table_arg(path, "Notes"),
        table_arg(path, "Clients"),
    )


def fresh(table):
    """A new copy made of new objects, as xlwings builds for every call."""
    return pickle.loads(pickle.dumps(table))


# --- equal to the file path -----------------------------------------------------------------


def test_remaining_and_available_equal_the_refreshed_auths_sheet(book):
    _, refreshed, auths, notes, _ = book
    remaining = column_of(refreshed, "Auths", "Remaining Units")
    available = column_of(refreshed, "Auths", "Available Units")
    unmanaged = column_of(refreshed, "Auths", "Unmanaged")
    alerts = column_of(refreshed, "Auths", "Alert")
    assert len(remaining) == len(AUTHS)
    for number, value in remaining.items():
        if str(alerts[number] or "").startswith("INPUT PROBLEM"):
            assert udfs.AB_REMAINING(auths, notes, number).startswith(udfs.ERROR)
        elif unmanaged[number] == "Y":
            assert udfs.AB_REMAINING(auths, notes, number) == udfs.UNMANAGED
            assert udfs.AB_AVAILABLE(auths, notes, number) == udfs.UNMANAGED
        else:
            assert udfs.AB_REMAINING(auths, notes, number) == value, number
            assert udfs.AB_AVAILABLE(auths, notes, number) == available[number], number


def test_status_is_the_alert_a_refresh_writes(book):
    _, refreshed, auths, notes, clients = book
    for number, alert in column_of(refreshed, "Auths", "Alert").items():
        assert udfs.AB_STATUS(auths, notes, number, AS_OF, clients) == (alert or ""), number


def test_status_without_clients_alerts_an_inactive_clients_expired_auth(book):
    _, _, auths, notes, clients = book
    assert udfs.AB_STATUS(auths, notes, "A6", AS_OF, clients) == ""
    assert udfs.AB_STATUS(auths, notes, "A6", AS_OF).startswith("EXPIRED")


def test_a_blank_auth_number_is_found_by_the_number_a_refresh_gives_it(book):
    _, refreshed, auths, notes, _ = book
    numbers = list(column_of(refreshed, "Auths", "Remaining Units"))
    generated = numbers[2]
    assert generated not in [a["auth_no"] for a in AUTHS]
    assert udfs.AB_REMAINING(auths, notes, generated) == 3


@pytest.mark.parametrize(
    ("client", "day", "provider"),
    [
        ("C1", "2026-03-02", None),
        ("C1", "2026-02-12", "Dr Birch"),
        ("C1", "2026-02-12", "Dr Ash"),
        ("C2", "2026-03-02", None),
        ("C2", "2027-01-05", None),
        ("C3", "2026-03-02", None),
    ],
)
def test_eligible_codes_equal_authbook_eligible(book, capsys, client, day, provider):
    path, _, auths, notes, _ = book
    argv = ["eligible", str(path), "--client", client, "--date", day]
    assert main(argv + (["--provider", provider] if provider else [])) == 0
    expected = capsys.readouterr().out.split()
    got = udfs.AB_ELIGIBLE_CODES(auths, notes, client, date.fromisoformat(day), provider)
    if expected:
        assert got == [[code] for code in expected]
    else:
        assert got.startswith("NO AUTH")


def test_eligible_codes_put_the_default_auths_code_first():
    header = ["Auth #", "Client ID", "Billing Code", "Start Date", "End Date", "Allotted Units"]
    auths = [
        header + ["Default"],
        ["A1", "C1", 90834.0, datetime(2026, 1, 1), datetime(2026, 3, 31), 5.0, None],
        ["A2", "C1", 90837.0, datetime(2026, 1, 1), datetime(2026, 6, 30), 5.0, "Y"],
    ]
    notes = [["Note ID", "Client ID", "Service Date", "Billing Code", "Units", "Status"]]
    codes = udfs.AB_ELIGIBLE_CODES(auths, notes, "C1", datetime(2026, 3, 2))
    assert codes == [["90837"], ["90834"]]


@pytest.mark.parametrize(
    ("client", "code", "day", "provider"),
    [
        ("C1", "90834", date(2026, 3, 2), None),  # A1 has units
        ("C1", "90837", date(2026, 3, 2), None),  # A2 is over: OVER UNITS
        ("C2", "90837", date(2026, 3, 2), None),  # the numbered auth, then the group
        ("C2", "90834", date(2026, 3, 2), None),  # group pool
        ("C2", "90832", date(2026, 3, 2), None),  # unmanaged
        ("C1", "90853", date(2026, 3, 2), "Dr Ash"),  # provider not allowed
        ("C1", "90853", date(2026, 3, 2), "Dr Birch"),
        ("C1", "90791", date(2026, 3, 2), None),  # excluded from notes
        ("C1", "90834", date(2027, 3, 2), None),  # outside dates
        ("C1", "90846", date(2026, 3, 2), None),  # no auth
    ],
)
def test_auth_for_names_the_auth_a_new_note_draws_from_or_why_it_is_denied(
    book, tmp_path, client, code, day, provider
):
    _, _, auths, notes, _ = book
    new_note = {
        "note_id": "NEW",
        "client_id": client,
        "service_date": day,
        "billing_code": code,
        "status": "Pending",
        "provider": provider,
    }
    with_note = make_book(tmp_path, "with_note.xlsx", notes=NOTES + [new_note])
    app.refresh_file(with_note, AS_OF, AS_OF, user="test")
    applied = column_of(with_note, "Notes", "Applied Auth #")["NEW"]
    check = column_of(with_note, "Notes", "Check")["NEW"]
    got = udfs.AB_AUTH_FOR(auths, notes, client, code, day, provider)
    assert got == (applied if check == "OK" else check)


def test_charge_equals_the_notes_sheets_charge(book):
    _, refreshed, auths, notes, _ = book
    codes = table_arg(refreshed, "BillingCodes")
    charges = column_of(refreshed, "Notes", "Charge")
    applied = column_of(refreshed, "Notes", "Applied Auth #")
    pct = {a["auth_no"]: a.get("sliding_scale_pct") for a in AUTHS}
    checked = 0
    for note in NOTES:
        if charges[note["note_id"]] is None:
            continue
        units = note["units"] or 1
        got = udfs.AB_CHARGE(codes, note["billing_code"], units, pct.get(applied[note["note_id"]]))
        assert got == charges[note["note_id"]], note["note_id"]
        checked += 1
    assert checked >= 5
    assert udfs.AB_CHARGE(codes, "90834", 2, 50) == 110.0


def test_dates_may_be_date_cells_serial_numbers_or_text(book):
    _, _, auths, notes, _ = book
    day = date(2026, 3, 2)
    as_cell = udfs.AB_ELIGIBLE_CODES(auths, notes, "C1", datetime(2026, 3, 2))
    assert udfs.AB_ELIGIBLE_CODES(auths, notes, "C1", float(date_to_excel_serial(day))) == as_cell
    assert udfs.AB_ELIGIBLE_CODES(auths, notes, "C1", "3/2/2026") == as_cell


def test_ids_and_codes_typed_as_numbers_match_their_text(tmp_path):
    path = make_book(
        tmp_path,
        auths=[
            {
                "auth_no": 1001,
                "client_id": 42,
                "billing_code": 90834,
                "start_date": date(2026, 1, 1),
                "end_date": date(2026, 6, 30),
                "allotted_units": 5,
            }
        ],
        notes=[],
    )
    auths, notes = table_arg(path, "Auths"), table_arg(path, "Notes")
    assert udfs.AB_REMAINING(auths, notes, 1001.0) == 5
    assert udfs.AB_AUTH_FOR(auths, notes, 42.0, 90834.0, "2026-02-01") == "1001"


# --- bad arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda a, n, c: udfs.AB_REMAINING(a, n, "NOPE"), "NOPE"),
        (lambda a, n, c: udfs.AB_REMAINING(n, a, "A1"), "Auths"),
        (lambda a, n, c: udfs.AB_REMAINING(a[1:], n, "A1"), "Auths[#All]"),
        (lambda a, n, c: udfs.AB_REMAINING(None, n, "A1"), "Auths"),
        (lambda a, n, c: udfs.AB_REMAINING(a, n, None), "Auth #"),
        (lambda a, n, c: udfs.AB_REMAINING(a, n, "A11"), "E12 (Start Date) [A11]: 'soon'"),
        (lambda a, n, c: udfs.AB_ELIGIBLE_CODES(a, n, "C1", "2/30/2026"), "2/30/2026"),
        (lambda a, n, c: udfs.AB_ELIGIBLE_CODES(a, n, None, AS_OF), "Client ID"),
        (lambda a, n, c: udfs.AB_ELIGIBLE_CODES(a, n, "C1", None), "service date"),
        (lambda a, n, c: udfs.AB_ELIGIBLE_CODES(a, n, "C1", True), "not a date"),
        (lambda a, n, c: udfs.AB_AUTH_FOR(a, n, "C1", None, AS_OF), "billing code"),
        (lambda a, n, c: udfs.AB_STATUS(a, n, "A1", "someday"), "as-of date"),
        (lambda a, n, c: udfs.AB_CHARGE(c, "90834", "two"), "units"),
        (lambda a, n, c: udfs.AB_CHARGE(c, "90834", 1, 0.5), "50 for 50%"),
        (lambda a, n, c: udfs.AB_CHARGE(c, "90834", -1), "negative"),
        (lambda a, n, c: udfs.AB_CHARGE(c, "99999", 1), "99999"),
        (lambda a, n, c: udfs.AB_CHARGE(a, "90834", 1), "BillingCodes"),
    ],
)
def test_a_bad_argument_gives_readable_authbook_text(book, call, names):
    path, _, auths, notes, _ = book
    codes = table_arg(path, "BillingCodes")
    got = call(auths, notes, codes)
    assert isinstance(got, str) and got.startswith("#AUTHBOOK: "), got
    assert names in got, got
    assert "Traceback" not in got


def test_a_bug_shows_a_short_message_not_a_traceback(book, monkeypatch):
    _, _, auths, notes, _ = book

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(udfs, "eligible_codes", broken)
    udfs._computed_books.clear()
    got = udfs.AB_ELIGIBLE_CODES(auths, notes, "C1", AS_OF)
    assert got == "#AUTHBOOK: internal error (ZeroDivisionError); please report it"


# --- the cache ------------------------------------------------------------------------------


def test_repeated_formulas_reuse_one_computation(book):
    _, _, auths, notes, _ = book
    udfs._computed_books.clear()
    for number in ("A1", "A2", "A5", "A8"):
        udfs.AB_REMAINING(fresh(auths), fresh(notes), number)
    assert (udfs._computed_books.misses, udfs._computed_books.hits) == (1, 3)


def test_a_changed_cell_is_seen_despite_the_cache(book):
    _, _, auths, notes, _ = book
    assert udfs.AB_REMAINING(auths, notes, "A1") == 8
    changed = fresh(notes)
    units = changed[0].index("Units")
    changed[1][units] = 3.0  # N1: 2 -> 3 released units, somewhere in the middle of the table
    assert udfs.AB_REMAINING(changed, notes, "A1").startswith(udfs.ERROR)  # tables swapped
    assert udfs.AB_REMAINING(auths, changed, "A1") == 7
    assert udfs.AB_REMAINING(auths, notes, "A1") == 8


def test_changing_a_table_the_caller_passed_does_not_change_cached_answers(book):
    _, _, auths, notes, _ = book
    notes = fresh(notes)
    udfs._computed_books.clear()
    assert udfs.AB_REMAINING(auths, notes, "A1") == 8
    notes[1][notes[0].index("Units")] = 4.0
    assert udfs.AB_REMAINING(auths, notes, "A1") == 6


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4),
            st.sampled_from(["Released", "Pending", "Draft"]),
            st.integers(min_value=1, max_value=180),
        ),
        max_size=12,
    ),
    st.integers(min_value=0, max_value=30),
)
def test_available_is_remaining_minus_pending_units(notes, allotted):
    header = ["Note ID", "Client ID", "Service Date", "Billing Code", "Units", "Status"]
    note_rows = [header] + [
        [
            f"N{i}",
            "C1",
            datetime(2026, 1, 1) + (datetime(2026, 1, 2) - datetime(2026, 1, 1)) * d,
            "90834",
            float(units),
            status,
        ]
        for i, (units, status, d) in enumerate(notes)
    ]
    auths = [
        ["Auth #", "Client ID", "Billing Code", "Start Date", "End Date", "Allotted Units"],
        ["A1", "C1", "90834", datetime(2026, 1, 1), datetime(2026, 12, 31), float(allotted)],
    ]
    released = sum(u for u, s, _ in notes if s == "Released")
    pending = sum(u for u, s, _ in notes if s == "Pending")
    assert udfs.AB_REMAINING(auths, note_rows, "A1") == allotted - released
    assert udfs.AB_AVAILABLE(auths, note_rows, "A1") == allotted - released - pending


# --- what Excel's function help shows -------------------------------------------------------


def udf_definitions() -> list[ast.FunctionDef]:
    tree = ast.parse(UDF_SOURCE)
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("AB_")]


def decorator_calls(node: ast.FunctionDef, name: str) -> list[ast.Call]:
    return [
        d
        for d in node.decorator_list
        if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == name
    ]


def test_every_worksheet_function_is_an_ab_function_in_the_authbook_category():
    names = {f.name for f in udf_definitions()}
    assert names == {
        "AB_ELIGIBLE_CODES",
        "AB_REMAINING",
        "AB_AVAILABLE",
        "AB_AUTH_FOR",
        "AB_STATUS",
        "AB_CHARGE",
    }
    for func in udf_definitions():
        (call,) = decorator_calls(func, "func")
        category = {k.arg: k.value for k in call.keywords}["category"]
        assert ast.unparse(category) in ("CATEGORY", "'AuthBook'"), func.name
    assert udfs.CATEGORY == "AuthBook"


def test_every_argument_has_help_text_and_every_table_arrives_as_a_2d_list():
    for func in udf_definitions():
        documented = {}
        for call in decorator_calls(func, "arg"):
            keywords = {k.arg: k.value for k in call.keywords}
            documented[call.args[0].value] = keywords
            assert "doc" in keywords, (func.name, call.args[0].value)
        assert set(documented) == {a.arg for a in func.args.args}, func.name
        for name, keywords in documented.items():
            is_table = name in ("auths", "notes", "clients", "billing_codes")
            assert ("ndim" in keywords) == is_table, (func.name, name)


def test_function_descriptions_fit_excels_255_characters():
    for func in udf_definitions():
        doc = getattr(udfs, func.name).__doc__
        assert doc and len(doc) <= 255, (func.name, len(doc or ""))
    for name in dir(udfs):
        if name.endswith("_DOC"):
            assert len(getattr(udfs, name)) <= 255


def test_a_new_workbook_has_no_xlwings_conf_sheet_the_add_in_carries_its_settings(tmp_path):
    """Issue 24: the formulas work in any workbook, which stays a plain .xlsx with no
    settings sheet; the add-in's own authbook.conf sheet names the UDF module."""
    from openpyxl import load_workbook

    path = tmp_path / "t.xlsx"
    template.write_new(path)
    names = load_workbook(path).sheetnames
    assert not [n for n in names if n.endswith(".conf")], names
