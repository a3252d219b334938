"""`authbook check`, `authbook renew` and `authbook report` on real workbook files."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook

from authbook.services import refresh as app
from authbook.workbook import template

AS_OF = "2026-03-01"


CLIENTS = [
    {
        "client_id": "C1",
        "last_name": "Zedsecret",
        "first_name": "Quinn",
        "primary_payer": "Self Pay",
    },
    {
        "client_id": "C2",
        "last_name": "Yodsecret",
        "first_name": "Robin",
        "primary_payer": "Self Pay",
    },
]


def auth(no, client, code, allotted=10, **extra):
    return {
        "auth_no": no,
        "client_id": client,
        "billing_code": code,
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 6, 30),
        "allotted_units": allotted,
        **extra,
    }


def note(no, client, day, code, minutes=None, units=1, status="Pending"):
    return {
        "note_id": no,
        "client_id": client,
        "service_date": day,
        "billing_code": code,
        "units": units,
        "minutes": minutes,
        "status": status,
    }


def write_book(tmp_path, auths, notes, name="book.xlsx"):
    path = tmp_path / name
    template.write_new(path, {"Clients": CLIENTS, "Auths": auths, "Notes": notes})
    return path


@pytest.fixture
def clean_book(tmp_path):
    return write_book(
        tmp_path,
        [auth("A1", "C1", "90834")],
        [note("N1", "C1", date(2026, 2, 2), "90834", 45, status="Released")],
    )


@pytest.fixture
def denied_book(tmp_path):
    return write_book(
        tmp_path,
        [auth("A1", "C1", "90834"), auth("A2", "C1", "H0004", 100)],
        [
            note("N1", "C1", date(2026, 2, 2), "90834", 45),
            note("N2", "C2", date(2026, 2, 3), "90834", 45),
            note("N3", "C1", date(2026, 2, 4), "90834", 58),
            note("N4", "C1", date(2026, 2, 5), "H0004", 50, units=3),
            note("N5", "C1", date(2026, 2, 6), "H0004", 50, units=2),
            note("N6", "C2", date(2026, 2, 7), "90837", 20, status="Draft"),
        ],
    )


def test_check_exits_0_when_every_note_passes(clean_book, run_cli):
    done = run_cli("check", str(clean_book), "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    assert "0 notes would be denied" in done.stdout


def test_check_exits_1_and_lists_each_denied_note_with_its_carc(denied_book, run_cli):
    done = run_cli("check", str(denied_book), "--as-of", AS_OF, "--format", "csv")
    assert done.returncode == 1, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["Note ID"], r["Check"], r["CARC"]) for r in rows] == [
        ("N2", "NO AUTH", "197"),
        ("N3", "TIME DOES NOT FIT CODE", "150"),
        ("N5", "UNITS BELOW MINUTES", ""),
    ]
    assert rows[0]["Cell"].startswith("Notes!")


def test_check_writes_nothing_and_prints_no_client_names(denied_book, run_cli):
    before = denied_book.read_bytes()
    done = run_cli("check", str(denied_book), "--as-of", AS_OF)
    assert denied_book.read_bytes() == before
    assert "secret" not in done.stdout + done.stderr


def test_check_json_gives_one_object_per_finding(denied_book, run_cli):
    done = run_cli("check", str(denied_book), "--as-of", AS_OF, "--format", "json")
    found = json.loads(done.stdout)
    assert [f["Note ID"] for f in found] == ["N2", "N3", "N5"]
    assert found[0]["Service Date"] == "2026-02-03"


def test_only_warnings_do_not_make_check_fail(tmp_path, run_cli):
    path = write_book(
        tmp_path,
        [auth("A2", "C1", "H0004", 100)],
        [note("N5", "C1", date(2026, 2, 6), "H0004", 50, units=2)],
    )
    assert run_cli("check", str(path), "--as-of", AS_OF).returncode == 0


def test_refresh_writes_the_same_findings_to_the_notes_check_column_and_the_checks_sheet(
    denied_book, run_cli
):
    check_rows = list(
        csv.reader(
            io.StringIO(
                run_cli("check", str(denied_book), "--as-of", AS_OF, "--format", "csv").stdout
            )
        )
    )
    app.refresh_file(denied_book, date(2026, 3, 1), date(2026, 3, 1), user="test")
    wb = load_workbook(denied_book)
    sheet_rows = [
        ["" if v is None else (v.date().isoformat() if hasattr(v, "date") else str(v)) for v in r]
        for r in wb["Checks"].iter_rows(values_only=True)
    ]
    assert sheet_rows == check_rows
    notes = wb["Notes"]
    headers = [c.value for c in notes[1]]
    checks = {r[0]: r[headers.index("Check")] for r in notes.iter_rows(min_row=2, values_only=True)}
    assert checks["N1"] == "OK"
    assert checks["N2"].startswith("NO AUTH (CARC 197)")
    assert checks["N5"].startswith("UNITS BELOW MINUTES:")
    assert checks["N6"].startswith("DRAFT")
    assert list(wb["Checks"].tables) == ["Checks"]


def test_eligible_leaves_out_an_auth_at_its_weekly_limit_and_a_period_overrun_is_denied(
    tmp_path, run_cli
):
    path = write_book(
        tmp_path,
        [
            auth("A1", "C1", "90834", max_units=1, per="Week"),
            auth("A2", "C1", "90837"),
        ],
        [
            note("N1", "C1", date(2026, 2, 2), "90834", 45, status="Released"),
            note("N2", "C1", date(2026, 2, 5), "90834", 45),
        ],
    )
    same_week = run_cli("eligible", str(path), "--client", "C1", "--date", "2026-02-06")
    assert same_week.stdout.split() == ["90837"]
    next_week = run_cli("eligible", str(path), "--client", "C1", "--date", "2026-02-09")
    assert sorted(next_week.stdout.split()) == ["90834", "90837"]
    done = run_cli("check", str(path), "--as-of", AS_OF, "--format", "json")
    assert done.returncode == 1
    assert [(f["Note ID"], f["Check"], f["CARC"]) for f in json.loads(done.stdout)] == [
        ("N2", "PERIOD LIMIT", "119")
    ]


def rows_by_header(path, sheet: str) -> list[dict[str, object]]:
    ws = load_workbook(path)[sheet]
    headers = [c.value for c in ws[1]]
    return [
        dict(zip(headers, row))
        for row in ws.iter_rows(min_row=2, values_only=True)
        if any(v is not None for v in row)
    ]


@pytest.fixture
def expiring_book(tmp_path):
    return write_book(
        tmp_path,
        [
            auth(
                "A1",
                "C1",
                "90834",
                12,
                end_date=date(2026, 3, 10),
                exp_alert_days=21,
                auth_group="Group 1",
                payer="Self Pay",
                owner="Kim",
            )
        ],
        [note("N1", "C1", date(2026, 2, 2), "90834", 45, status="Released")],
    )


def test_refresh_lists_an_expiring_auth_on_the_renewals_sheet(expiring_book):
    app.refresh_file(expiring_book, date(2026, 3, 1), date(2026, 3, 1), user="test")
    rows = rows_by_header(expiring_book, "Renewals")
    assert [(r["Reason"], r["Auth #"], r["Request"], r["Owner"]) for r in rows] == [
        ("EXPIRING", "A1", "none", "Kim")
    ]


def test_renew_adds_a_requested_auth_for_the_next_period_and_logs_it(expiring_book, run_cli):
    done = run_cli("renew", str(expiring_book), "A1", "--units", "10", "--user", "kim")
    assert done.returncode == 0, done.stderr
    auths = rows_by_header(expiring_book, "Auths")
    assert len(auths) == 2
    new = auths[1]
    assert new["Auth #"] == "AB000001"
    assert (new["Client ID"], new["Billing Code"], new["Auth Group"], new["Payer"]) == (
        "C1",
        "90834",
        "Group 1",
        "Self Pay",
    )
    assert (new["Start Date"].date(), new["End Date"].date()) == (
        date(2026, 3, 11),
        date(2026, 5, 18),
    )
    assert (new["Request Status"], new["Requested Units"], new["Allotted Units"]) == (
        "Requested",
        10,
        None,
    )
    assert new["Owner"] == "Kim"
    assert done.stdout.startswith("A1 -> AB000001 03/11/2026-05/18/2026 Requested")
    log = rows_by_header(expiring_book, "AuditLog")
    assert {r["Action"] for r in log} == {"renew"}
    assert {r["Column"] for r in log} >= {"Auth #", "Start Date", "Request Status"}
    assert all(r["Row"] == 3 and r["Auth #"] == "AB000001" and r["User"] == "kim" for r in log)
    # Once a renewal is on file, the old auth needs no request.
    assert rows_by_header(expiring_book, "Renewals") == []


def test_renew_twice_is_refused_unless_forced_and_unknown_numbers_change_nothing(
    expiring_book, run_cli
):
    assert run_cli("renew", str(expiring_book), "A1").returncode == 0
    before = expiring_book.read_bytes()
    again = run_cli("renew", str(expiring_book), "A1")
    assert again.returncode == 2
    assert "already has a renewal on file: AB000001" in again.stderr
    unknown = run_cli("renew", str(expiring_book), "A9")
    assert unknown.returncode == 2 and "no auth numbered A9" in unknown.stderr
    assert expiring_book.read_bytes() == before
    forced = run_cli("renew", str(expiring_book), "A1", "--force", "--start", "2026-04-01")
    assert forced.returncode == 0, forced.stderr
    assert rows_by_header(expiring_book, "Auths")[2]["Start Date"].date() == date(2026, 4, 1)
