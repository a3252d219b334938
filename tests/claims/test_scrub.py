"""`authbook scrub`: 837P claim lines checked against the workbook before they are sent.

Every 837P here is built in code and accepted by pyx12's validator before AuthBook reads it
(``claim_fixtures.write_x12``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authbook.claims.build import Claim
from authbook.services import claims as app_claims
from tests.claims.claim_fixtures import AS_OF, claims_file, line, write_book

TODAY = date(2026, 3, 15)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return write_book(tmp_path_factory.mktemp("scrub") / "book.xlsx")


def scrub(book: Path, tmp_path: Path, claims: list[Claim]):
    path = claims_file(tmp_path / "claims.837", claims)
    scrubbed, _ = app_claims.scrub_files(book, [path], TODAY)
    return scrubbed


def checks(scrubbed) -> list[tuple[str, int, str, str | None]]:
    return [(f.line.claim_id, f.line.line_no, f.kind, f.carc) for f in scrubbed.findings]


def test_line_with_its_note_id_and_a_fitting_auth_number_passes(book, tmp_path):
    claim = Claim(
        "N1",
        "MEM001",
        (line("90834", date(2026, 3, 2), control="N1"),),
        auth="SUM-100",
        provider="Rowan Ellis",
    )
    scrubbed = scrub(book, tmp_path, [claim])
    assert scrubbed.matches[0].note.note_id == "N1"
    assert scrubbed.matches[0].how == "REF*6R"
    assert checks(scrubbed) == []


def test_claim_id_that_is_a_note_id_matches_the_line_of_that_note(book, tmp_path):
    claim = Claim("N2", "MEM001", (line("90837", date(2026, 3, 9)),), auth="SUM-101")
    scrubbed = scrub(book, tmp_path, [claim])
    assert (scrubbed.matches[0].note.note_id, scrubbed.matches[0].how) == ("N2", "CLM01")
    assert checks(scrubbed) == []


def test_missing_auth_number_is_carc_15_and_names_the_auth_the_note_drew(book, tmp_path):
    claim = Claim("CL2", "MEM001", (line("90837", date(2026, 3, 9)),))
    scrubbed = scrub(book, tmp_path, [claim])
    assert checks(scrubbed) == [("CL2", 1, "MISSING AUTH #", "15")]
    assert scrubbed.findings[0].note_id == "N2"  # matched by Member ID, date, code, units
    assert scrubbed.findings[0].fill_auth == "SUM-101"


def test_two_line_claim_checks_each_line_and_the_third_unit_on_a_two_unit_auth_is_198(
    book, tmp_path
):
    claim = Claim(
        "CL3",
        "MEM002",
        (line("90837", date(2026, 3, 3)), line("90837", date(2026, 3, 11))),
        auth="EVG-7",
    )
    scrubbed = scrub(book, tmp_path, [claim])
    assert [m.note.note_id for m in scrubbed.matches] == ["N3", "N5"]
    assert checks(scrubbed) == [("CL3", 2, "OVER UNITS", "198")]


def test_auth_number_of_the_client_but_another_code_is_carc_15(book, tmp_path):
    claim = Claim("CL7", "MEM002", (line("90837", date(2026, 3, 3)),), auth="EVG-8")
    scrubbed = scrub(book, tmp_path, [claim])
    assert checks(scrubbed) == [("CL7", 1, "AUTH # DOES NOT FIT", "15")]
    assert "bill under EVG-7" in scrubbed.findings[0].message


def test_auth_number_whose_dates_do_not_contain_the_session_is_carc_197_once(book, tmp_path):
    claim = Claim("CL6", "MEM002", (line("90834", date(2026, 3, 12)),), auth="EVG-8")
    scrubbed = scrub(book, tmp_path, [claim])
    assert checks(scrubbed) == [("CL6", 1, "AUTH # DOES NOT FIT", "197")]


def test_unknown_auth_number_and_another_clients_auth_number_are_carc_15(book, tmp_path):
    claims = [
        Claim("CL8", "MEM001", (line("90834", date(2026, 3, 2)),), auth="NOPE-1"),
        Claim("CL9", "MEM001", (line("90834", date(2026, 3, 2)),), auth="EVG-7"),
    ]
    scrubbed = scrub(book, tmp_path, claims)
    assert checks(scrubbed) == [
        ("CL8", 1, "AUTH # NOT FOUND", "15"),
        ("CL9", 1, "AUTH # DOES NOT FIT", "15"),
    ]


def test_line_level_auth_number_wins_over_the_claims(book, tmp_path):
    claim = Claim(
        "CL10", "MEM001", (line("90834", date(2026, 3, 2), auth="SUM-100"),), auth="EVG-7"
    )
    assert checks(scrub(book, tmp_path, [claim])) == []


def test_line_that_matches_no_note_is_listed_not_guessed(book, tmp_path):
    claims = [
        Claim("CL5", "MEM009", (line("90834", date(2026, 3, 4)),), auth="FAM-1"),
        Claim("CL11", "MEM001", (line("90834", date(2026, 3, 5)),), auth="SUM-100"),
        Claim("CL12", "MEM001", (line("90834", date(2026, 3, 2), units=2),), auth="SUM-100"),
    ]
    scrubbed = scrub(book, tmp_path, claims)
    assert [m.note for m in scrubbed.matches] == [None, None, None]
    assert checks(scrubbed) == [
        ("CL5", 1, "NO NOTE", None),
        ("CL11", 1, "NO NOTE", None),
        ("CL12", 1, "NO NOTE", None),
    ]
    assert "N1 has 1" in scrubbed.findings[2].message  # the near miss is named
    assert scrubbed.denied_lines == 0


def test_line_that_matches_two_notes_lists_both_and_picks_neither(book, tmp_path):
    claim = Claim("CL4", "MEM003", (line("90834", date(2026, 3, 4)),), auth="FAM-1")
    scrubbed = scrub(book, tmp_path, [claim])
    match = scrubbed.matches[0]
    assert match.note is None and match.is_ambiguous
    assert sorted(n.note_id for n in match.candidates) == ["N6", "N7"]
    assert checks(scrubbed) == [("CL4", 1, "SEVERAL NOTES", None)]
    assert "N6, N7" in scrubbed.findings[0].message


def test_scrub_command_exits_1_on_a_denial_prints_every_format_and_writes_nothing(
    book, tmp_path, run_cli
):
    before = book.read_bytes()
    path = claims_file(
        tmp_path / "c.837",
        [
            Claim("CL2", "MEM001", (line("90837", date(2026, 3, 9)),)),
            Claim("N1", "MEM001", (line("90834", date(2026, 3, 2), control="N1"),), auth="SUM-100"),
        ],
    )
    table = run_cli("scrub", str(book), str(path), "--as-of", AS_OF)
    assert table.returncode == 1, table.stderr
    assert "CL2" in table.stdout and "MISSING AUTH #" in table.stdout
    assert (
        "2 service lines in 2 claims: 2 matched a note, 0 did not; 1 would be denied"
        in table.stdout
    )
    as_json = run_cli("scrub", str(book), str(path), "--format", "json")
    rows = json.loads(as_json.stdout)
    assert [(r["claim"], r["line"], r["note_id"], r["carc"], r["auth_no"]) for r in rows] == [
        ("CL2", 1, "N2", "15", "SUM-101")
    ]
    as_csv = run_cli("scrub", str(book), str(path), "--format", "csv")
    assert (
        as_csv.stdout.splitlines()[0] == "File,Claim,Line,Segment,Note ID,Check,CARC,Change,Auth #"
    )
    clean = claims_file(
        tmp_path / "ok.837",
        [Claim("N1", "MEM001", (line("90834", date(2026, 3, 2), control="N1"),), auth="SUM-100")],
    )
    assert run_cli("scrub", str(book), str(clean)).returncode == 0
    assert book.read_bytes() == before
    assert "Zedsecret" not in table.stdout + table.stderr  # names never leave the workbook


def _good_837(tmp_path) -> str:
    return claims_file(
        tmp_path / "good.837",
        [Claim("CL1", "MEM001", (line("90834", date(2026, 3, 2)),), auth="SUM-100")],
    ).read_text()


@pytest.mark.parametrize(
    "name, damage, said",
    [
        ("notx12.837", lambda t: "Client,Date,Code\nC1,3/2/2026,90834\n", "not an X12 file"),
        ("inst.837", lambda t: t.replace("005010X222A1", "005010X223A2"), "not an 837P"),
        (
            "status.277",
            lambda t: t.replace("ST*837*", "ST*277*").replace("GS*HC", "GS*HN"),
            "not an 837P",
        ),
        ("cut.837", lambda t: t[: len(t) // 2], "truncated"),
        ("nolast.837", lambda t: t[: t.rindex("SE*")], "truncated"),
        ("terminator.837", lambda t: t[:106] + t[106:].replace("~", "\r"), "terminator"),
        ("binary.837", lambda t: "\x00\xff" + t, "not"),
    ],
)
def test_file_that_is_not_an_837p_is_exit_2_with_a_clear_message(
    book, tmp_path, name, damage, said, run_cli
):
    before = book.read_bytes()
    bad = tmp_path / name
    bad.write_bytes(damage(_good_837(tmp_path)).encode("latin-1"))
    result = run_cli("scrub", str(book), str(bad))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert said in result.stderr and name in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert book.read_bytes() == before


def test_write_fills_a_missing_auth_number_only_when_unambiguous_and_keeps_every_other_byte(
    book, tmp_path, run_cli
):
    from authbook.claims import x12

    source = claims_file(
        tmp_path / "in.837",
        [
            Claim("CL2", "MEM001", (line("90837", date(2026, 3, 9)),), provider="Rowan Ellis"),
            Claim("CL4", "MEM003", (line("90834", date(2026, 3, 4)),)),  # two notes: no fill
            Claim("N1", "MEM001", (line("90834", date(2026, 3, 2), control="N1"),), auth="SUM-100"),
        ],
    )
    out = tmp_path / "out.837"
    result = run_cli("scrub", str(book), str(source), "--write", str(out), "--as-of", AS_OF)
    assert "claim CL2: REF*G1*SUM-101 added" in result.stdout
    assert "wrote" in result.stdout and "(1 REF*G1 added)" in result.stdout
    assert result.returncode == 1  # CL4 is still missing its number
    assert x12.validate(out) == []  # the written file is valid X12 too
    before, after = source.read_text(), out.read_text()
    added = "REF*G1*SUM-101~\n"
    assert after.count(added) == 1
    # the claim's REF*G1 sits after its CLM (and any DTP), before HI
    assert after.index("CLM*CL2") < after.index(added) < after.index("HI*", after.index("CLM*CL2"))
    # every other byte is kept, but the segment count of the transaction
    count = int(before.split("\nSE*")[1].split("*")[0])
    assert after.replace(added, "", 1) == before.replace(f"\nSE*{count}*", f"\nSE*{count + 1}*")
    rescrubbed = run_cli("scrub", str(book), str(out), "--format", "json")
    assert [(r["claim"], r["check"]) for r in json.loads(rescrubbed.stdout)] == [
        ("CL4", "SEVERAL NOTES"),
        ("CL4", "MISSING AUTH #"),
    ]


def test_write_refuses_to_overwrite_the_file_it_scrubs(book, tmp_path, run_cli):
    source = claims_file(
        tmp_path / "in.837", [Claim("CL2", "MEM001", (line("90837", date(2026, 3, 9)),))]
    )
    before = source.read_bytes()
    result = run_cli("scrub", str(book), str(source), "--write", str(source))
    assert result.returncode == 2 and "new file" in result.stderr
    assert source.read_bytes() == before


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(["drop", "repeat", "swap", "cut", "extra"]),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=40),
)
def test_a_damaged_837p_is_read_or_refused_with_a_message_never_a_crash(tmp_path, how, i, j):
    from authbook.claims import x12

    text = _good_837(tmp_path)
    segments = text.split("~\n")
    i, j = i % (len(segments) - 1), j % (len(segments) - 1)
    if how == "drop":
        del segments[i]
    elif how == "repeat":
        segments.insert(i, segments[i])
    elif how == "swap":
        segments[i], segments[j] = segments[j], segments[i]
    elif how == "cut":
        segments[i] = segments[i][: j % (len(segments[i]) + 1)]
    else:
        segments[i] += "*EXTRA"
    damaged = tmp_path / "damaged.837"
    damaged.write_text("~\n".join(segments))
    try:
        lines = x12.read_claims(damaged)
    except x12.X12FileError as exc:
        assert "damaged.837" in str(exc)
    else:
        assert all(line.file == "damaged.837" for line in lines)
