"""`authbook remit`: 835 remittances read back into the Remittances sheet and the notes'
Remit Status. Every 835 here is built in code and accepted by pyx12's validator first."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from authbook.claims.build import Check, Claim
from tests.claims.claim_fixtures import line, remit_file, write_book

SUMMIT = ("SUMMIT CARE", "SUMMIT")
EVERGREEN = ("EVERGREEN HMO", "EVERG")


def check(payer, number, day, *claims) -> Check:
    return Check(payer[0], payer[1], number, day, tuple(claims))


def paid_n1(status="1", paid=90.0) -> Claim:
    return Claim(
        "N1",
        "MEM001",
        (line("90834", date(2026, 3, 2), control="N1", paid=paid),),
        status=status,
        payer_claim_no="PX1",
    )


#: One ERA, two payers' checks: a paid line, a CO-197 denial, a two-line claim with a
#: partial payment, a line for no note and a line for two.
FIRST_ERA = [
    check(
        SUMMIT,
        "CHK100",
        date(2026, 3, 25),
        paid_n1(),
        Claim(
            "CL2",
            "MEM001",
            (
                line(
                    "90837",
                    date(2026, 3, 9),
                    paid=0,
                    units_paid=0,
                    adjustments=(("CO", "197", 150.0),),
                    remarks=("N54",),
                ),
            ),
            status="4",
        ),
    ),
    check(
        EVERGREEN,
        "EFT200",
        date(2026, 3, 26),
        Claim(
            "CL3",
            "MEM002",
            (
                line("90837", date(2026, 3, 3), paid=80),
                line(
                    "90837",
                    date(2026, 3, 10),
                    units=2,
                    charge=300,
                    paid=90,
                    units_paid=1,
                    adjustments=(("CO", "198", 150.0),),
                ),
            ),
        ),
        Claim("CL9", "MEM009", (line("90834", date(2026, 3, 4), paid=80),)),
        Claim("CL4", "MEM003", (line("90834", date(2026, 3, 4), paid=80),)),
    ),
]


def sheet(path: Path, name: str) -> list[dict]:
    ws = load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def note_outcomes(path: Path) -> dict[str, tuple]:
    return {
        r["Note ID"]: (r["Remit Status"], r["Paid Units"], r["Remit CARC"])
        for r in sheet(path, "Notes")
        if r["Remit Status"]
    }


@pytest.fixture
def imported(tmp_path, run_cli):
    book = write_book(tmp_path / "book.xlsx", notes=_notes_with_two_units())
    era = remit_file(tmp_path / "first.835", FIRST_ERA)
    result = run_cli("remit", str(book), str(era), "--yes")
    return book, era, result


def _notes_with_two_units():
    from tests.claims.claim_fixtures import NOTES

    return [dict(n, units=2) if n["note_id"] == "N4" else n for n in NOTES]


def test_remittance_lines_become_rows_and_set_each_notes_remit_status(imported):
    book, _, result = imported
    assert result.returncode == 1, result.stderr  # two lines matched no note
    assert "6 remitted service lines: 6 new (4 Paid, 1 Denied, 1 Partial)" in result.stdout
    rows = sheet(book, "Remittances")
    assert [
        (r["Check/EFT #"], r["Payer"], r["Patient Control #"], r["Remit Status"], r["Note ID"])
        for r in rows
    ] == [
        ("CHK100", "SUMMIT CARE", "N1", "Paid", "N1"),
        ("CHK100", "SUMMIT CARE", "CL2", "Denied", "N2"),
        ("EFT200", "EVERGREEN HMO", "CL3", "Paid", "N3"),
        ("EFT200", "EVERGREEN HMO", "CL3", "Partial", "N4"),
        ("EFT200", "EVERGREEN HMO", "CL9", "Paid", None),
        ("EFT200", "EVERGREEN HMO", "CL4", "Paid", None),
    ]
    denied = rows[1]
    assert (denied["Adjustments"], denied["Denial CARC"], denied["RARC"]) == (
        "CO-197 150.00",
        "197",
        "N54",
    )
    partial = rows[3]
    assert (partial["Units Billed"], partial["Units Paid"], partial["Billed"], partial["Paid"]) == (
        2,
        1,
        300,
        90,
    )
    assert "its Member ID is on no client" in rows[4]["Match"]
    assert "MEM009" not in result.stdout + result.stderr  # health information stays in
    assert rows[5]["Match"].startswith("several notes") and "N6, N7" in rows[5]["Match"]
    assert note_outcomes(book) == {
        "N1": ("Paid", 1, None),
        "N2": ("Denied", 0, "197"),
        "N3": ("Paid", 1, None),
        "N4": ("Partial", 1, "198"),
    }


def test_importing_the_same_era_again_changes_nothing(imported, run_cli):
    book, era, _ = imported
    before = book.read_bytes()
    again = run_cli("remit", str(book), str(era), "--yes")
    assert again.returncode == 0, again.stderr
    assert "all already imported: nothing to change" in again.stdout
    assert book.read_bytes() == before


def test_reversal_replaces_the_payment_and_a_later_correction_replaces_both(
    imported, tmp_path, run_cli
):
    book, _, _ = imported
    reversal = remit_file(
        tmp_path / "reversal.835",
        [
            check(SUMMIT, "CHK300", date(2026, 4, 2), paid_n1(status="22")),
        ],
    )
    assert run_cli("remit", str(book), str(reversal), "--yes").returncode == 0
    assert note_outcomes(book)["N1"] == ("Reversed", 0, None)
    corrected = remit_file(
        tmp_path / "corrected.835",
        [
            check(SUMMIT, "CHK301", date(2026, 4, 3), paid_n1(status="1", paid=100)),
        ],
    )
    assert run_cli("remit", str(book), str(corrected), "--yes").returncode == 0
    assert note_outcomes(book)["N1"] == ("Paid", 1, None)
    statuses = [
        (r["Check/EFT #"], r["Claim Status"], r["Remit Status"])
        for r in sheet(book, "Remittances")
        if r["Note ID"] == "N1"
    ]
    assert statuses == [
        ("CHK100", "1", "Paid"),
        ("CHK300", "22", "Reversed"),
        ("CHK301", "1", "Paid"),
    ]


def test_remit_shows_what_it_will_add_and_writes_nothing_unless_told_yes(tmp_path, run_cli):
    book = write_book(tmp_path / "book.xlsx")
    before = book.read_bytes()
    era = remit_file(tmp_path / "e.835", [check(SUMMIT, "CHK1", date(2026, 3, 25), paid_n1())])
    said_no = run_cli("remit", str(book), str(era), stdin="n\n")
    assert said_no.returncode == 0
    assert "CHK1" in said_no.stdout and "nothing written" in said_no.stdout
    closed = run_cli("remit", str(book), str(era))
    assert closed.returncode == 2 and "--yes" in closed.stderr
    assert book.read_bytes() == before
    said_yes = run_cli("remit", str(book), str(era), stdin="y\n")
    assert said_yes.returncode == 0, said_yes.stderr
    assert note_outcomes(book) == {"N1": ("Paid", 1, None)}


def test_remit_adds_the_notes_columns_at_the_right_of_the_notes_table(tmp_path, run_cli):
    book = write_book(tmp_path / "book.xlsx")
    before = [c.value for c in load_workbook(book)["Notes"][1]]
    assert "Remit Status" not in before  # a new workbook has no remit columns yet
    era = remit_file(tmp_path / "e.835", [check(SUMMIT, "CHK1", date(2026, 3, 25), paid_n1())])
    result = run_cli("remit", str(book), str(era), "--yes")
    assert result.returncode == 0, result.stderr
    ws = load_workbook(book)["Notes"]
    assert [c.value for c in ws[1]] == [*before, "Remit Status", "Paid Units", "Remit CARC"]
    assert ws.tables["Notes"].ref == f"A1:{ws.cell(1, len(before) + 3).column_letter}{ws.max_row}"
    assert note_outcomes(book) == {"N1": ("Paid", 1, None)}


@pytest.mark.parametrize(
    "name, damage, said",
    [
        ("claims.835", "837", "not an 835"),
        ("status.277", "277", "not an 835"),
        ("cut.835", "cut", "truncated"),
        ("text.835", "text", "not an X12 file"),
    ],
)
def test_file_that_is_not_an_835_is_exit_2_and_nothing_is_imported(
    tmp_path, name, damage, said, run_cli
):
    from authbook.claims.build import claims_837p
    from tests.claims.claim_fixtures import CREATED

    book = write_book(tmp_path / "book.xlsx")
    good = remit_file(tmp_path / "good.835", FIRST_ERA)
    text = good.read_text()
    bad = tmp_path / name
    if damage == "837":
        bad.write_text(claims_837p([paid_n1()], CREATED))
    elif damage == "277":
        bad.write_text(text.replace("ST*835*", "ST*277*"))
    elif damage == "cut":
        bad.write_text(text[: int(len(text) * 0.7)])
    else:
        bad.write_text("payer,check,amount\nSUMMIT,CHK1,90\n")
    before = book.read_bytes()
    result = run_cli("remit", str(book), str(good), str(bad), "--yes")  # the good one first
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr and name in result.stderr and "Traceback" not in result.stderr
    assert book.read_bytes() == before


def test_libreoffice_reads_the_remittances_and_notes_columns_remit_wrote(imported, libreoffice):
    book, _, _ = imported
    seen = libreoffice.cells(book, "Remittances", "Notes")
    remits = seen["Remittances"]
    header = [c["text"] for c in remits[0] if c]
    status = header.index("Remit Status")
    assert [row[status]["text"] for row in remits[1:]] == [
        "Paid",
        "Denied",
        "Paid",
        "Partial",
        "Paid",
        "Paid",
    ]
    notes = seen["Notes"]
    columns = [c["text"] if c else None for c in notes[0]]
    at = columns.index("Remit Status")
    assert notes[2][at] == {"text": "Denied"}  # N2, row 3
    assert notes[2][columns.index("Paid Units")]["value"] == 0
