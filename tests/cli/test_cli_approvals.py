"""`authbook renew` and `authbook bulk-update` on a whole payer approval (issue 23), on real
.xlsx files."""

from __future__ import annotations

from datetime import date, datetime

from openpyxl import load_workbook

from authbook.cli import main
from authbook.workbook import template

SEED_CODES = ("90832", "90834", "90837", "90853")
CLIENTS = [{"client_id": "C1", "last_name": "Testperson", "first_name": "Alex", "active": True}]


def line(number, code, units=20, group="Group 1", end=date(2026, 3, 31)):
    return {
        "auth_no": number,
        "client_id": "C1",
        "billing_code": code,
        "start_date": date(2026, 1, 1),
        "end_date": end,
        "allotted_units": units,
        "auth_group": group,
    }


def book_with(tmp_path, auths):
    path = tmp_path / "book.xlsx"
    template.write_new(path, {"Clients": CLIENTS, "Auths": auths, "Notes": []})
    return path


def auths_of(path) -> list[dict]:
    ws = load_workbook(path, data_only=True)["Auths"]
    headers = [c.value for c in ws[1]]
    rows = []
    for values in ws.iter_rows(min_row=2, values_only=True):
        if any(v is not None for v in values):
            row = dict(zip(headers, values))
            rows.append({k: v.date() if isinstance(v, datetime) else v for k, v in row.items()})
    return rows


def seed_book(tmp_path):
    auths = [line("AET-7788", code) for code in SEED_CODES] + [line("MCD-5", "90791", 1, None)]
    return book_with(tmp_path, auths)


def test_renew_a_number_renews_every_line_of_its_approval_as_one_new_approval(tmp_path, capsys):
    path = seed_book(tmp_path)
    status = main(["renew", str(path), "AET-7788", "--user", "kim"])
    out = capsys.readouterr().out
    assert status == 0, out
    auths = auths_of(path)
    new = auths[5:]
    assert [a["Billing Code"] for a in new] == list(SEED_CODES)
    assert len({a["Auth #"] for a in new}) == 1  # one new approval, one number
    assert {a["Auth Group"] for a in new} == {"Group 1"}  # the pool kept
    assert {(a["Start Date"], a["Request Status"]) for a in new} == {
        (date(2026, 4, 1), "Requested")
    }
    assert "AET-7788 -> " in out and "(4 lines: 90832, 90834, 90837, 90853)" in out


def test_renew_a_line_reference_renews_that_line_alone(tmp_path, capsys):
    path = seed_book(tmp_path)
    assert main(["renew", str(path), "Auths!3"]) == 0
    capsys.readouterr()
    new = auths_of(path)[5:]
    assert [(a["Billing Code"], a["Request Status"]) for a in new] == [("90834", "Requested")]


def test_bulk_update_where_auth_number_changes_every_line_of_the_approval(tmp_path, capsys):
    path = seed_book(tmp_path)
    status = main(
        ["bulk-update", str(path), "--where", "Auth #=AET-7788", "--set", "End Date=6/30/2026"]
        + ["--yes"]
    )
    capsys.readouterr()
    assert status == 0
    ends = [(a["Auth #"], a["End Date"]) for a in auths_of(path)]
    assert ends == [("AET-7788", date(2026, 6, 30))] * 4 + [("MCD-5", date(2026, 3, 31))]
