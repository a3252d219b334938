"""Issue 25, "messages a user can act on": each says what to fix, and none runs to thousands
of lines."""

from __future__ import annotations

from datetime import date

from authbook.cli import MAX_PROBLEM_LINES, main
from authbook.workbook import template
from tests.bulk_fixtures import make_book
from tests.cli.migrate_fixtures import fresh_book, run_import, write_csv
from tests.rules.ledger import note_status, run


def test_a_note_for_a_client_not_on_the_clients_sheet_says_so():
    result = run(
        notes="""
        note_id | client_id | service_date | billing_code | status
        N1      | C7        | 2026-01-10   | 90834        | Released
        """
    )
    check = note_status(result, 2).check
    assert "Client ID is not on the Clients sheet" in check
    assert "no auth for" not in check


def test_a_note_whose_auth_has_a_blank_allotted_units_says_so():
    result = run(
        """
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        A1      | C1        | 90853        | 2026-01-01 | 2026-06-30 |
        """,
        """
        note_id | client_id | service_date | billing_code | status
        N1      | C1        | 2026-01-10   | 90853        | Released
        """,
    )
    check = note_status(result, 2).check
    assert "Auths row 2" in check and "Allotted Units is blank" in check


def test_eligible_without_a_provider_says_when_an_auth_is_for_one_provider(tmp_path, capsys):
    book = tmp_path / "practice.xlsx"
    auth = {"client_id": "C1", "start_date": date(2026, 1, 1), "end_date": date(2026, 6, 30)}
    template.write_new(
        book,
        {
            "Clients": [{"client_id": "C1", "active": True}],
            "Providers": [{"provider": "Dr Ash", "active": True}],
            "Auths": [
                {**auth, "auth_no": "A1", "billing_code": "90834", "allotted_units": 5},
                {
                    **auth,
                    "auth_no": "A2",
                    "billing_code": "90837",
                    "allotted_units": 5,
                    "provider": "Dr Ash",
                },
            ],
        },
    )
    assert main(["eligible", str(book), "--client", "C1", "--date", "2026-03-01"]) == 0
    out, err = capsys.readouterr()
    assert out.split() == ["90834"]  # stdout: one code per line, as before
    assert "90837" in err and "A2" in err and "--provider" in err
    assert "90834" not in err
    assert "Dr Ash" not in err  # names the auth, not the person


def test_import_reasons_name_the_source_column_of_a_blank_value(tmp_path, capsys):
    src = write_csv(
        tmp_path / "tracker.csv",
        [
            ["Patient", "CPT", "Auth Number", "Visits Approved", "Start", "Exp Date"],
            ["Doe, Jane", "90834", "X1", "abc", "1/1/2026", ""],
        ],
        "utf-8",
    )
    book = fresh_book(tmp_path / "practice.xlsx")
    _, out, counts = run_import(capsys, src, book)
    assert counts == (1, 0, 1, 0)
    line = next(x for x in out.splitlines() if "rejected row 2" in x)
    assert "missing End Date (Exp Date is blank)" in line
    assert "Visits Approved:" in line  # the column whose value the message hides
    assert "missing Allotted Units" not in line  # unreadable is not missing


def test_fifteen_thousand_unknown_clients_print_a_short_list(tmp_path, capsys):
    book = make_book(tmp_path)
    clients = ",".join(f"Z{n}" for n in range(15_000))
    status = main(
        ["bulk-add", str(book), "--code-group", "Medication Management", "--clients", clients,
         "--allotted", "6", "--start", "4/1/2026", "--end", "6/30/2026", "--yes"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) <= MAX_PROBLEM_LINES + 2
    assert "14960 more" in err
