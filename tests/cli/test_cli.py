"""The `authbook` command as a user runs it: output, exit status, files written."""

from __future__ import annotations

import json
from datetime import date

import pytest
from openpyxl import load_workbook

from authbook.cli import main
from authbook.models import ALERT_KINDS
from authbook.workbook import template

AS_OF = "2026-03-01"


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "practice.xlsx"
    template.write_new(
        path,
        {
            "Clients": [
                {
                    "client_id": "C1",
                    "last_name": "Zed",
                    "first_name": "Quinn",
                    "dob": date(1980, 1, 2),
                    "primary_payer": "Self Pay",
                    "active": True,
                },
            ],
            "Auths": [
                {
                    "auth_no": "A1",
                    "client_id": "C1",
                    "billing_code": "90834",
                    "start_date": date(2026, 1, 1),
                    "end_date": date(2026, 6, 30),
                    "allotted_units": 10,
                },
                {
                    "auth_no": "A2",
                    "client_id": "C1",
                    "billing_code": "90837",
                    "start_date": date(2026, 1, 1),
                    "end_date": date(2026, 6, 30),
                    "allotted_units": 10,
                    "default": True,
                },
                {
                    "auth_no": "A3",
                    "client_id": "C1",
                    "billing_code": "90853",
                    "start_date": date(2026, 1, 1),
                    "end_date": date(2026, 3, 10),
                    "allotted_units": 1,
                    "exp_alert_days": 30,
                },
            ],
            "Notes": [
                {
                    "note_id": "N1",
                    "client_id": "C1",
                    "service_date": date(2026, 2, 1),
                    "billing_code": "90853",
                    "status": "Released",
                },
            ],
        },
    )
    return path


def test_demo_builds_a_practice_with_every_alert_kind(tmp_path, run_cli):
    path = tmp_path / "demo.xlsx"
    done = run_cli("demo", str(path), "--as-of", AS_OF, "--clients", "40")
    assert done.returncode == 0, done.stderr
    assert "problems: 0" in done.stdout
    alerts = load_workbook(path, read_only=True)["Alerts"]
    kinds = {row[0] for row in alerts.iter_rows(min_row=2, values_only=True) if row[0]}
    assert kinds == set(ALERT_KINDS)


def test_refresh_exits_zero_and_prints_a_summary(book, run_cli):
    done = run_cli("refresh", str(book), "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    assert "alerts: EXHAUSTED 1, EXPIRING 1" in done.stdout


def test_refresh_exits_one_when_data_problems_are_found_and_still_saves(book, run_cli):
    wb = load_workbook(book)
    wb["Auths"]["G2"] = -5  # Allotted Units
    wb.save(book)
    done = run_cli("refresh", str(book), "--as-of", AS_OF)
    assert done.returncode == 1
    assert "Auths!G2 (Allotted Units) [A1]: -5 is negative" in done.stderr
    assert load_workbook(book)["Problems"]["F2"].value.startswith("-5 is negative")


def test_errors_never_show_names_or_birth_dates(book, run_cli):
    wb = load_workbook(book)
    wb["Clients"]["D2"] = "2/30/1980"  # DOB
    wb.save(book)
    done = run_cli("refresh", str(book), "--as-of", AS_OF)
    assert done.returncode == 1
    assert "Clients!D2 (DOB)" in done.stderr
    for secret in ("2/30/1980", "Zed", "Quinn"):
        assert secret not in done.stderr + done.stdout


def test_a_name_typed_into_client_id_is_not_echoed(book, run_cli):
    wb = load_workbook(book)
    wb["Auths"]["B3"] = "Quinn Zed"  # a client's name typed where the Client ID goes
    notes = wb["Notes"]
    notes.append([None, "Quinn Zed", date(2026, 2, 2), None, "90834", 1, None, "Released"])
    row = notes.max_row  # a note without a Note ID: the Client ID would name the row
    wb.save(book)
    done = run_cli("refresh", str(book), "--as-of", AS_OF)
    assert done.returncode == 1
    assert "Auths!B3 (Client ID) [A2]: the value is not on the Clients sheet" in done.stderr
    assert f"Notes!B{row} (Client ID): the value is not on the Clients sheet" in done.stderr
    assert "Quinn" not in done.stderr + done.stdout
    # the workbook's own Problems sheet still shows what was typed, for the biller to fix
    problems = [c.value for c in load_workbook(book)["Problems"]["F"]]
    assert "'Quinn Zed' is not on the Clients sheet" in problems


@pytest.mark.parametrize(
    "args, message",
    [
        (["refresh", "missing.xlsx"], "does not exist"),
        (["refresh", "practice.csv"], "not an .xlsx"),
        (["eligible", "PATH", "--client", "C9", "--date", AS_OF], "C9 is not on the Clients"),
    ],
)
def test_usage_and_file_errors_exit_two_with_a_message_not_a_traceback(
    tmp_path, book, args, message, run_cli
):
    (tmp_path / "practice.csv").write_text("a,b\n")
    args = [a.replace("PATH", str(book)) for a in args]
    args = [str(tmp_path / a) if a.endswith((".xlsx", ".csv")) else a for a in args]
    done = run_cli(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_workbook_without_auth_sheets_is_not_an_authbook(tmp_path, run_cli):
    from openpyxl import Workbook

    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    done = run_cli("refresh", str(path))
    assert done.returncode == 2
    assert "not an AuthBook workbook" in done.stderr


def test_bad_date_on_the_command_line_is_a_usage_error(book, run_cli):
    done = run_cli("eligible", str(book), "--client", "C1", "--date", "2/30/2026")
    assert done.returncode == 2
    assert "not a real date" in done.stderr


def test_eligible_prints_one_code_per_line_default_first(book, capsys):
    assert main(["eligible", str(book), "--client", "C1", "--date", "03/01/2026"]) == 0
    assert capsys.readouterr().out.split() == ["90837", "90834"]


def test_eligible_accepts_an_excel_serial_date(book, capsys):
    assert main(["eligible", str(book), "--client", "C1", "--date", "46082"]) == 0
    assert capsys.readouterr().out.split() == ["90837", "90834"]


def test_alerts_as_json_name_the_auth_and_the_cell(book, capsys):
    assert main(["alerts", str(book), "--as-of", AS_OF, "--format", "json"]) == 0
    alerts = json.loads(capsys.readouterr().out)
    assert [(a["kind"], a["auth_no"], a["cell"]) for a in alerts] == [
        ("EXHAUSTED", "A3", "Auths!Z4"),
        ("EXPIRING", "A3", "Auths!Z4"),
    ]


def test_alerts_do_not_change_the_workbook(book):
    before = book.read_bytes()
    assert main(["alerts", str(book), "--as-of", AS_OF, "--format", "csv"]) == 0
    assert book.read_bytes() == before


def test_new_refuses_to_overwrite_an_existing_workbook(book, run_cli):
    done = run_cli("new", str(book))
    assert done.returncode == 2
    assert "already exists" in done.stderr


def test_eligible_says_so_when_no_code_is_eligible(book, run_cli):
    done = run_cli("eligible", str(book), "--client", "C1", "--date", "2027-01-05")
    assert done.returncode == 0
    assert done.stdout == ""
    assert "no eligible codes for client C1 on 01/05/2027" in done.stderr


def test_output_cut_short_by_the_reader_is_not_an_error(book, monkeypatch, capsys):
    """`authbook alerts … | head`: the reader stopping is not reported as an internal error."""
    import authbook.cli as cli

    def reader_gone(*args, **kwargs):
        raise BrokenPipeError

    monkeypatch.setattr(cli, "print_rows", reader_gone)
    assert cli.main(["alerts", str(book), "--as-of", AS_OF]) == cli.EXIT_BROKEN_PIPE
    assert "internal error" not in capsys.readouterr().err
