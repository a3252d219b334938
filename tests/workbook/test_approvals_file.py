"""Payer approvals as they arrive (issue 23), on real .xlsx files written, refreshed and read
back: one payer number on several code lines, pools that never cross approvals."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from openpyxl import load_workbook

from authbook.services import refresh as app
from authbook.workbook import template

AS_OF = date(2026, 3, 1)
JAN1, JUN30 = date(2026, 1, 1), date(2026, 6, 30)
SEED_CODES = ("90832", "90834", "90837", "90853")
CLIENTS = [
    {"client_id": "C1", "last_name": "Testperson", "first_name": "Alex", "active": True},
    {"client_id": "C2", "last_name": "Sample", "first_name": "Bo", "active": True},
]


def line(number, code, start=JAN1, end=JUN30, units=20, group="Group 1", client="C1", **more):
    """One Auths line as a biller types it from the payer's letter."""
    return {
        "auth_no": number,
        "client_id": client,
        "billing_code": code,
        "start_date": start,
        "end_date": end,
        "allotted_units": units,
        "auth_group": group,
        **more,
    }


def note(day: date, code: str, auth_no=None, client="C1", status="Released"):
    return {
        "client_id": client,
        "service_date": day,
        "billing_code": code,
        "status": status,
        "auth_no": auth_no,
    }


def refreshed(tmp_path: Path, auths, notes, name="book.xlsx") -> Path:
    path = tmp_path / name
    template.write_new(path, {"Clients": CLIENTS, "Auths": auths, "Notes": notes})
    (tmp_path / (name + ".bak")).unlink(missing_ok=True)
    app.refresh_file(path, today=AS_OF)
    return path


def rows_of(path: Path, sheet: str) -> list[dict]:
    ws = load_workbook(path, data_only=True)[sheet]
    headers = [c.value for c in ws[1]]
    return [
        dict(zip(headers, row))
        for row in ws.iter_rows(min_row=2, values_only=True)
        if any(v is not None for v in row)
    ]


def seed_approval(number="AET-7788", start=JAN1, end=JUN30):
    """Seed 001's example with the payer's number: 20 visits of any of four codes."""
    return [line(number, code, start, end) for code in SEED_CODES]


def test_one_payer_number_on_four_code_lines_is_one_pool_and_the_21st_note_is_over(tmp_path):
    codes = list(SEED_CODES) * 5 + ["90837"]  # 21 sessions, every code, all naming the number
    notes = [note(JAN1 + timedelta(days=i), c, "AET-7788") for i, c in enumerate(codes)]
    path = refreshed(tmp_path, seed_approval(), notes)
    auths = rows_of(path, "Auths")
    assert [a["Used Units"] for a in auths] == [21] * 4
    assert [a["Remaining Units"] for a in auths] == [-1] * 4
    checks = [n["Check"] for n in rows_of(path, "Notes")]
    assert checks[:20] == ["OK"] * 20
    assert checks[20].startswith("OVER UNITS") and "CARC 198" in checks[20]
    assert [n["Applied Auth #"] for n in rows_of(path, "Notes")] == ["AET-7788"] * 21
    assert rows_of(path, "Problems") == []


def test_pinned_note_draws_from_the_line_whose_code_fits(tmp_path):
    auths = seed_approval()
    notes = [note(date(2026, 2, 2), "90853", "AET-7788")]
    path = refreshed(tmp_path, auths, notes)
    assert rows_of(path, "Notes")[0]["Check"] == "OK"
    assert [a["Used Units"] for a in rows_of(path, "Auths")] == [1, 1, 1, 1]


def test_pinned_note_is_carc_15_only_when_no_line_of_its_number_fits(tmp_path):
    notes = [
        note(date(2026, 2, 2), "90791", "AET-7788"),  # no line of the number for 90791
        note(date(2026, 2, 3), "90834", "AET-7788", client="C2"),  # another client's number
        note(date(2026, 2, 4), "90834", "NOPE-1"),  # unknown
    ]
    path = refreshed(tmp_path, seed_approval(), notes)
    checks = [n["Check"] for n in rows_of(path, "Notes")]
    assert all("CARC 15" in c for c in checks), checks
    assert "AET-7788 is for 90832, 90834, 90837, 90853, not 90791" in checks[0]
    assert "another client" in checks[1]
    assert [a["Used Units"] for a in rows_of(path, "Auths")] == [0] * 4


def test_one_number_without_a_pool_counts_units_per_line(tmp_path):
    auths = [
        line("MCD-5", "90791", units=1, group=None),
        line("MCD-5", "90834", units=6, group=None),
    ]
    notes = [note(date(2026, 1, 5), "90791", "MCD-5")] + [
        note(date(2026, 1, 12) + timedelta(weeks=w), "90834", "MCD-5") for w in range(6)
    ]
    path = refreshed(tmp_path, auths, notes)
    assert [(a["Used Units"], a["Remaining Units"]) for a in rows_of(path, "Auths")] == [
        (1, 0),
        (6, 0),
    ]
    assert {n["Check"] for n in rows_of(path, "Notes")} == {"OK"}
    assert rows_of(path, "Problems") == []


def test_overlapping_renewal_is_untouched_until_its_own_notes(tmp_path):
    """The renewal starts June 1 inside the same Auth Group; June notes pinned to the old
    approval draw from it alone, and the renewal's first July note is fine."""
    old = seed_approval("AET-7788")
    renewal = seed_approval("AET-9900", date(2026, 6, 1), date(2026, 12, 31))
    june = [note(date(2026, 6, d), "90834", "AET-7788") for d in (2, 9, 16, 23)]
    july = [note(date(2026, 7, 7), "90837")]
    path = refreshed(tmp_path, old + renewal, june + july)
    auths = rows_of(path, "Auths")
    assert [a["Used Units"] for a in auths[:4]] == [4] * 4
    assert [a["Used Units"] for a in auths[4:]] == [1] * 4
    assert [a["Remaining Units"] for a in auths[4:]] == [19] * 4
    assert {n["Check"] for n in rows_of(path, "Notes")} == {"OK"}
    assert not any((a["Alert"] or "").startswith(("EXHAUSTED", "OVER")) for a in auths)


def test_unpinned_june_note_draws_from_one_approval_only(tmp_path):
    """Without an Auth # on the note, a session in the overlap still draws from one line
    (the one ending first) and counts against that line's pool only."""
    old = seed_approval("AET-7788")
    renewal = seed_approval("AET-9900", date(2026, 6, 1), date(2026, 12, 31))
    path = refreshed(tmp_path, old + renewal, [note(date(2026, 6, 2), "90834")])
    assert [a["Used Units"] for a in rows_of(path, "Auths")] == [1] * 4 + [0] * 4


def test_same_number_on_two_clients_is_a_problem_on_each_line(tmp_path):
    auths = [line("AET-7788", "90834"), line("AET-7788", "90834", client="C2")]
    notes = [
        note(date(2026, 2, 2), "90834", "AET-7788"),
        note(date(2026, 2, 3), "90834", client="C2"),
    ]
    path = refreshed(tmp_path, auths, notes)
    problems = rows_of(path, "Problems")
    assert [(p["Sheet"], p["Row"]) for p in problems] == [("Auths", 2), ("Auths", 3)]
    assert "row 3" in problems[0]["Problem"] and "row 2" in problems[1]["Problem"]
    assert all("another client" in p["Problem"] for p in problems)
    # the rest still refreshes: each client's note draws from its own line
    assert [a["Used Units"] for a in rows_of(path, "Auths")] == [1, 1]
    assert {n["Check"] for n in rows_of(path, "Notes")} == {"OK"}


def test_same_number_twice_for_one_code_with_overlapping_dates_is_a_problem(tmp_path):
    auths = [
        line("AET-7788", "90834", group=None),
        line("AET-7788", "90834", date(2026, 6, 1), date(2026, 12, 31), group=None),
        line("AET-7788", "90837", group=None),  # another code: one approval, no problem
    ]
    path = refreshed(tmp_path, auths, [note(date(2026, 2, 2), "90834", "AET-7788")])
    problems = rows_of(path, "Problems")
    assert [(p["Sheet"], p["Row"]) for p in problems] == [("Auths", 2), ("Auths", 3)]
    assert "row 3" in problems[0]["Problem"] and "row 2" in problems[1]["Problem"]
    assert "overlapping dates" in problems[0]["Problem"]
    auths = rows_of(path, "Auths")
    assert auths[0]["Alert"].startswith("INPUT PROBLEM")
    assert auths[2]["Alert"] == "" or auths[2]["Alert"] is None
    assert [a["Used Units"] for a in auths] == [1, 0, 0]


def test_libreoffice_reads_the_shared_number_pool_as_authbook_wrote_it(tmp_path, libreoffice):
    """An independent reader sees the same Used Units on every line of the pool."""
    notes = [note(JAN1 + timedelta(days=i), c, "AET-7788") for i, c in enumerate(SEED_CODES)]
    path = refreshed(tmp_path, seed_approval(), notes)
    cells = libreoffice.cells(path, "Auths")["Auths"]
    headers = [c and c.get("text") for c in cells[0]]
    used = headers.index("Used Units")
    assert [row[used]["value"] for row in cells[1:5]] == [4.0] * 4


def test_alerts_sheet_has_one_row_per_pool_and_the_alert_column_marks_every_line(tmp_path):
    codes = list(SEED_CODES) * 5  # 20 sessions: the pool is exhausted
    notes = [note(JAN1 + timedelta(days=i), c, "AET-7788") for i, c in enumerate(codes)]
    auths = seed_approval() + [
        line("MCD-5", "90791", units=1, group=None),
        line("MCD-5", "90834", units=1, group=None),
    ]
    notes += [note(date(2026, 2, 2), "90791", "MCD-5"), note(date(2026, 2, 3), "90834", "MCD-5")]
    path = refreshed(tmp_path, auths, notes)
    assert [a["Alert"] for a in rows_of(path, "Auths")] == ["EXHAUSTED: no units left"] * 6
    alerts = [a for a in rows_of(path, "Alerts") if a["Alert"] == "EXHAUSTED"]
    # the pool is one row naming its codes and rows; the two lines without a pool, one each
    by_code = {a["Billing Code"]: a for a in alerts}
    assert sorted(by_code) == ["90791", "90832, 90834, 90837, 90853", "90834"]
    pool = by_code["90832, 90834, 90837, 90853"]
    assert pool["Cell"].startswith("Auths!") and pool["Cell"].endswith("2")
    assert pool["Auth #"] == "AET-7788"
    assert "rows 2, 3, 4, 5" in pool["Message"]
    renewals = rows_of(path, "Renewals")
    assert len([r for r in renewals if (r["Billing Code"] or "").startswith("90832")]) == 1
    assert len(renewals) == 3


def test_note_with_blank_code_takes_the_default_auths_code_and_the_cell_stays_blank(tmp_path):
    auths = [
        line("AET-7788", "90834", units=2, group=None, default=True),
        line("AET-7788", "90837", units=2, group=None),
        line("MCD-5", "90791", date(2026, 7, 1), date(2026, 12, 31), 1, None, default=True),
    ]
    notes = [
        note(date(2026, 2, 2), None),  # the Default auth covers it: 90834
        note(date(2026, 2, 9), None),
        note(date(2026, 2, 16), None),  # the third: beyond the Default auth's 2 units
        note(date(2026, 2, 2), None, client="C2"),  # C2 has no Default auth: a problem
    ]
    path = refreshed(tmp_path, auths, notes)
    rows = rows_of(path, "Notes")
    assert [r["Billing Code"] for r in rows] == [None] * 4  # the typed cells stay blank
    assert [r["Default Code"] for r in rows] == ["90834", "90834", "90834", None]
    assert rows[0]["Check"] == rows[1]["Check"] == "OK"
    assert rows[2]["Check"].startswith("OVER UNITS (CARC 198)")
    assert rows[3]["Check"].startswith("INPUT PROBLEM")
    assert [a["Used Units"] for a in rows_of(path, "Auths")] == [3, 0, 0]
    problems = rows_of(path, "Problems")
    assert [(p["Sheet"], p["Row"], p["Column"]) for p in problems] == [("Notes", 5, "Billing Code")]


def test_demo_has_shared_payer_numbers_and_an_overlapping_renewal_left_untouched(tmp_path):
    from authbook.demo import demo_rows

    path = tmp_path / "demo.xlsx"
    template.write_new(path, demo_rows(AS_OF, clients=40))
    computed = app.refresh_file(path, today=AS_OF)
    assert computed.problems == []
    auths = rows_of(path, "Auths")
    lines_of: dict[str, list[dict]] = {}
    for a in auths:
        lines_of.setdefault(a["Auth #"], []).append(a)
    shared = [n for n, lines in lines_of.items() if len(lines) == 4]
    assert len(shared) > 5  # payer numbers on the four code lines of therapy approvals
    old, renewal = lines_of["SCP-7788"], lines_of["SCP-9900"]
    assert old[0]["End Date"] > renewal[0]["Start Date"]  # they overlap
    assert {a["Used Units"] for a in old} == {20} and {a["Pending Units"] for a in old} == {1}
    assert {(a["Used Units"], a["Pending Units"]) for a in renewal} == {(0, 0)}


def test_a_billing_code_formula_not_calculated_yet_takes_no_default_code():
    """A formula whose result was never saved reads as blank but is not blank: no guess."""
    from authbook.models import RawBook
    from authbook.rules.refresh import refresh
    from tests.rules.ledger import table

    raw = RawBook(
        auths=table(
            "Auths",
            """
            auth_no | client_id | billing_code | start_date | end_date   | allotted_units | default
            A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 10             | Y
            """,
        ),
        notes=table(
            "Notes",
            """
            client_id | service_date | billing_code | status
            C1        | 2026-02-02   |              | Released
            C1        | 2026-02-03   |              | Released
            """,
        ),
        uncalculated=frozenset({("Notes", 3, "billing_code")}),
    )
    result = refresh(raw, today=AS_OF)
    assert [d.note.source.row for d in result.draws] == [2]
    assert result.book.notes[0].billing_code == "90834"
    assert [(p.source.row, p.field) for p in result.problems] == [(3, "billing_code")]
