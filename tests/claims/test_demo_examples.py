"""`authbook demo` writes examples/ beside its workbook: an 837P of demo notes and an 835
answering it. Round trip: scrub, remit, and the Check vs payer table checked by hand."""

from __future__ import annotations

import json

from authbook.claims import x12


def test_demo_examples_scrub_then_remit_and_the_check_vs_payer_figures(tmp_path, run_cli):
    book = tmp_path / "demo.xlsx"
    made = run_cli("demo", str(book), "--as-of", "2026-03-01", "--clients", "40")
    assert made.returncode == 0, made.stderr
    claims, remittance = (
        tmp_path / "examples" / "claims.837",
        tmp_path / "examples" / "remittance.835",
    )
    assert f"example: {claims}" in made.stdout
    assert x12.validate(claims) == [] and x12.validate(remittance) == []  # real X12

    scrubbed = run_cli("scrub", str(book), str(claims), "--format", "json")
    assert scrubbed.returncode == 1
    found = json.loads(scrubbed.stdout)
    # one claim sent without its REF*G1, two whose notes the Check already says are over
    assert sorted({r["check"] for r in found}) == ["MISSING AUTH #", "OVER UNITS"]
    assert [r["carc"] for r in found] == ["15", "198", "198"]
    assert all(r["note_id"] for r in found)

    remitted = run_cli("remit", str(book), str(remittance), "--yes")
    assert remitted.returncode == 0, remitted.stderr
    assert "8 new (4 Paid, 3 Denied, 1 Partial)" in remitted.stdout
    report = json.loads(run_cli("report", str(book), "--format", "json").stdout)
    rows = report["panels"]["Check vs payer (remitted notes)"]
    # by hand: 8 notes remitted; the two the Check said over were denied 198 (predicted);
    # one the Check passed was denied 197 (missed); the partial one (CO-119) is no denial
    assert [list(r.values())[1:] for r in rows] == [[8, 2, 1, 0]]
