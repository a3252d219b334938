"""Issue 25 item 15: messages outside the workbook (stdout, stderr) name cells and IDs, never
a cell's contents. Names and dates of birth are planted in columns that should hold neither,
and every command's output is searched for them."""

from __future__ import annotations

import contextlib
import io
from datetime import date
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authbook.cli import main
from authbook.workbook import template
from tests.cli.migrate_fixtures import write_csv

NAMES = st.from_regex(r"[A-Z][a-z]{3,8} [A-Z][a-z]{4,10}", fullmatch=True)
DOBS = st.dates(date(1930, 1, 1), date(2012, 12, 31))


def dob_spellings(dob: date) -> set[str]:
    """How a date of birth could come out: as typed, padded, ISO."""
    return {f"{dob.month}/{dob.day}/{dob.year}", f"{dob:%m/%d/%Y}", dob.isoformat()}


def planted_book(path: Path, name: str, dob: date) -> Path:
    typed_dob = f"{dob.month}/{dob.day}/{dob.year}"
    template.write_new(
        path,
        {
            "Clients": [
                {"client_id": "C1", "last_name": "Zed", "first_name": "Quinn", "active": True},
                {"client_id": "C2", "division": name, "client_group": typed_dob},
            ],
            "Payers": [{"payer": "Self Pay", "active": True}],
            "Auths": [
                {
                    "auth_no": "A1",
                    "client_id": "C1",
                    "billing_code": "90834",
                    "start_date": date(2026, 1, 1),
                    "end_date": date(2026, 6, 30),
                    "allotted_units": typed_dob,
                    "payer": name,
                    "provider": name,
                    "auth_group": name,
                    "comments": f"{name} born {typed_dob}",
                },
                {
                    "auth_no": "A2",
                    "client_id": "C1",
                    "billing_code": name,
                    "start_date": typed_dob,
                    "end_date": date(2026, 6, 30),
                    "allotted_units": 10,
                    "prior_units_used": name,
                    "sliding_scale_pct": typed_dob,
                    "inpatient": name,
                },
                {
                    "auth_no": name,
                    "client_id": name,
                    "billing_code": "90837",
                    "start_date": date(2026, 1, 1),
                    "end_date": typed_dob,
                    "allotted_units": 4,
                    "request_status": name,
                },
            ],
            "Notes": [
                {
                    "note_id": "N1",
                    "client_id": "C1",
                    "service_date": typed_dob,
                    "billing_code": "90834",
                    "units": name,
                    "provider": name,
                    "status": name,
                },
                {
                    "note_id": "N3",
                    "client_id": "C1",
                    "service_date": date(2026, 2, 3),
                    "billing_code": name,
                    "status": "Released",
                },
                {
                    "note_id": name,
                    "client_id": "C1",
                    "service_date": date(2026, 2, 1),
                    "billing_code": "90834",
                    "units": typed_dob,
                    "status": "Released",
                },
            ],
        },
    )
    return path


def run_quietly(*argv: str, answer: str = "n\n") -> str:
    """stdout and stderr of one command, as one text."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        mock.patch("sys.stdin", io.StringIO(answer)),
    ):
        main(list(argv))
    return out.getvalue() + err.getvalue()


def assert_not_echoed(output: str, name: str, dob: date) -> None:
    assert name not in output
    for part in name.split():
        assert part not in output
    for spelling in dob_spellings(dob):
        assert spelling not in output


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAMES, dob=DOBS)
def test_messages_outside_the_workbook_never_echo_a_name_or_a_birth_date(tmp_path, name, dob):
    book = planted_book(tmp_path / f"p{abs(hash((name, dob)))}.xlsx", name, dob)
    output = run_quietly("refresh", str(book), "--as-of", "2026-03-01")
    assert "Auths!" in output  # the problems were reported, by cell
    output += run_quietly(
        "bulk-update",
        str(book),
        "--where",
        "Client ID=C1",
        "--set",
        "Comments=checked",
        "--set",
        "Allotted Units=12",
        "--as-of",
        "2026-03-01",
    )
    assert "row 2" in output  # the preview was printed
    output += run_quietly(
        "bulk-update",
        str(book),
        "--where",
        "Client ID=C1",
        "--set",
        "Payer=Nobody Known",
    )
    assert_not_echoed(output, name, dob)


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAMES, dob=DOBS)
def test_import_messages_never_echo_a_name_or_a_birth_date(tmp_path, name, dob):
    typed_dob = f"{dob.month}/{dob.day}/{dob.year}"
    folder = tmp_path / f"i{abs(hash((name, dob)))}"
    folder.mkdir()
    into = folder / "practice.xlsx"
    template.write_new(into)
    tracker = write_csv(
        folder / "tracker.csv",
        [
            [
                "Client ID",
                "CPT",
                "Auth Number",
                "Visits Approved",
                "Visits Used",
                "Start",
                "Exp Date",
            ],
            ["C1", "90834", "X1", typed_dob, "0", "1/1/2026", "6/30/2026"],
            ["C1", "90837", "X2", name, "0", "1/1/2026", "6/30/2026"],
            ["C1", "90837", "X3", "4", name, typed_dob, "6/30/2026"],
            ["C1", "90837", "X4", "4", "0", "1/1/2026", name],
        ],
        "utf-8",
    )
    output = run_quietly("import", str(tracker), "--into", str(into), "--dry-run")
    assert "rejected row" in output
    assert_not_echoed(output, name, dob)
