"""Issue 25, "bulk edits a manager can trust": the preview says what a date change does,
--visible says when nothing is filtered, and --where takes comparisons and "contains"."""

from __future__ import annotations

import io

import pytest

from tests.bulk_fixtures import (
    bulk_book,  # noqa: F401 (the "book" fixture)
    run,
    sheet_rows,
)


def answering(monkeypatch, answer: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(answer + "\n"))


def test_the_preview_says_how_many_rows_a_date_makes_earlier_and_later(book, monkeypatch, capsys):
    answering(monkeypatch, "n")
    before = book.read_bytes()
    # Aetna: AB000001 and AB000002 end 6/30/2026, AB000004 ends 2/15/2026
    status = run("bulk-update", str(book), "--where", "Payer=Aetna", "--set", "End Date=3/31/2026")
    out = capsys.readouterr().out
    assert status == 2 and book.read_bytes() == before  # not confirmed: nothing written
    assert "End Date: 1 later, 2 earlier" in out


def test_visible_with_nothing_filtered_says_every_row_is_visible_before_asking(
    book, monkeypatch, capsys
):
    answering(monkeypatch, "n")
    before = book.read_bytes()
    status = run("bulk-update", str(book), "--visible", "--set", "Unit Alert Level=4")
    out = capsys.readouterr().out
    assert status == 2 and book.read_bytes() == before
    said, asked = out.index("every row is visible"), out.index("Update these")
    assert said < asked


def changed_rows(book, before) -> set[int]:
    after = sheet_rows(book, "Auths")
    return {r for r in after if after[r]["Unit Alert Level"] != before[r]["Unit Alert Level"]}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("End Date<=3/1/2026", {5}),  # AB000004 ends 2/15/2026
        ("End Date>3/1/2026", {2, 3, 4, 6, 7, 8, 9, 10}),
        ("Allotted Units<10", {7, 9, 10}),  # 5, 8 and 1 units
        ("Allotted Units>=20", {2, 4, 5, 6, 8}),
        ("Comments~NOT A", {10}),  # "=not a formula", case ignored
    ],
)
def test_where_takes_comparisons_and_contains(book, where, expected):
    before = sheet_rows(book, "Auths")
    assert run(
        "bulk-update", str(book), "--where", where, "--set", "Unit Alert Level=3", "--yes"
    ) in (0, 1)
    assert changed_rows(book, before) == expected


def test_where_contains_on_a_computed_column_uses_the_last_refresh(book):
    assert run("refresh", str(book)) in (0, 1)
    before = sheet_rows(book, "Auths")
    expired = {r for r, v in before.items() if "EXPIRED" in str(v["Alert"] or "")}
    assert expired  # the fixture has an auth that ended
    assert run(
        "bulk-update", str(book), "--where", "Alert~expired", "--set", "Unit Alert Level=3", "--yes"
    ) in (0, 1)
    assert changed_rows(book, before) == expired


def test_a_comparison_with_text_is_a_usage_error(book, capsys):
    before = book.read_bytes()
    assert (
        run(
            "bulk-update",
            str(book),
            "--where",
            "Payer<Cigna",
            "--set",
            "Unit Alert Level=3",
            "--yes",
        )
        == 2
    )
    assert "use = or ~" in capsys.readouterr().err
    assert book.read_bytes() == before
