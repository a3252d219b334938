"""The bulk use cases as the shells call them (``services.bulk``): what a result says before
anything is written, where it stops, and the text both shells read (``services.bulkinput``).
Also the one appender every row-adding writer uses (``workbook.newrows``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from authbook.cli import main
from authbook.rules.bulk import Where
from authbook.services import bulk, bulkinput
from authbook.workbook import billingrows, changes, importrows, schema
from authbook.workbook.sheetdata import RowRead, SheetRead
from tests.bulk_fixtures import (
    AS_OF,
    AUTHS,
    bulk_book,  # noqa: F401 (the "book" fixture)
    sheet_rows,
)


def aetna() -> bulk.Matching:
    return bulk.Matching((Where(field="payer", values=("Aetna",)),))


def test_declining_leaves_the_file_as_it_was_and_the_result_says_what_would_have_changed(book):
    before = book.read_bytes()
    asked = []

    def decline(result) -> bool:
        asked.append(result)
        return False

    sets = {"end_date": "3/31/2026"}
    result = bulk.bulk_update_file(book, aetna(), sets, None, AS_OF, AS_OF, decline)
    assert result.stop is bulk.Stop.NOT_CONFIRMED and asked == [result]
    assert book.read_bytes() == before
    assert result.rows == [2, 3, 5] and result.changed_rows == [2, 3, 5] and result.cells == 3
    assert result.set_headers == ["End Date"]
    assert result.date_moves() == {"End Date": {"earlier": 2, "later": 1}}
    assert [(e.row, e.header, e.only_new) for e in result.edits(5)] == [(5, "End Date", False)]


def test_without_a_confirm_the_update_is_written_and_refreshed(book):
    sets = {"end_date": "12/31/2026"}
    result = bulk.bulk_update_file(book, aetna(), sets, "lee", AS_OF, AS_OF)
    assert result.stop is None and result.computed is not None
    rows = sheet_rows(book, "Auths")
    assert {r for r, v in rows.items() if v["Last Edited By"] == "lee"} == {2, 3, 5, 9}


def test_visible_rows_of_a_sheet_with_nothing_filtered_are_taken_only_when_someone_is_asked(
    book,
):
    wb = load_workbook(book)
    del wb["Auths"].tables["Auths"]  # no filter saved, and no row hidden
    wb.save(book)
    before = book.read_bytes()
    unasked = bulk.Visible(unfiltered_ok=False)
    result = bulk.bulk_update_file(book, unasked, {"payer": "Aetna"}, None, AS_OF, AS_OF)
    assert result.stop is bulk.Stop.UNFILTERED and book.read_bytes() == before
    result = bulk.bulk_update_file(
        book, bulk.Visible(), {"payer": "Aetna"}, None, AS_OF, AS_OF, lambda r: False
    )
    assert result.stop is bulk.Stop.NOT_CONFIRMED
    assert result.every_row_visible == len(AUTHS)


def test_a_store_that_cannot_tell_hidden_rows_stops_before_planning(book):
    result = bulk.bulk_update_file(
        book, bulk.Visible(unknown={"Auths"}), {"payer": "Aetna"}, None, AS_OF, AS_OF
    )
    assert result.stop is bulk.Stop.HIDDEN_UNKNOWN and result.plan is None


def test_a_refused_plan_places_each_problem_by_column_and_row(book):
    sets = {"allotted_units": "lots", "end_date": "12/31/2025"}
    result = bulk.bulk_update_file(book, aetna(), sets, None, AS_OF, AS_OF)
    assert result.stop is bulk.Stop.REFUSED
    assert [(p.column, p.on_input, p.row) for p in result.problems] == [("Allotted Units", True, 1)]
    result = bulk.bulk_update_file(book, aetna(), {"end_date": "12/31/2025"}, None, AS_OF, AS_OF)
    assert {(p.sheet, p.row, p.column) for p in result.problems} == {
        ("Auths", 2, "End Date"),
        ("Auths", 3, "End Date"),
        ("Auths", 5, "End Date"),
    }
    assert all(p.described.startswith("Auths!") for p in result.problems)


def test_a_bulk_add_of_picked_rows_leaves_hidden_and_header_rows_out(book):
    values = {"start_date": "4/1/2026", "end_date": "6/30/2026", "allotted_units": "6"}
    result = bulk.bulk_add_file(
        book, bulk.Picked((1, 4)), "Medication Management", values, None, AS_OF, AS_OF
    )
    assert result.stop is None and result.client_ids == ["C3"]
    assert result.added == 2 and result.added_clients == 1


def test_bulk_add_takes_client_ids_typed_in_another_case(book, capsys):
    args = ["--clients", "c2", "--allotted", "20", "--start", "2026-04-01", "--end", "2026-09-30"]
    argv = ["bulk-add", str(book), "--code-group", "Outpatient Therapy", *args, "--yes"]
    assert main([*argv, "--as-of", AS_OF.isoformat()]) == 0
    assert "for 1 client (listed)" in capsys.readouterr().out
    new = [v for r, v in sheet_rows(book, "Auths").items() if r > len(AUTHS) + 1]
    assert [v["Client ID"] for v in new] == ["C2"] * 4


# --- the text both shells read ----------------------------------------------------------------


def test_conditions_are_read_with_their_operator_and_values():
    assert bulkinput.split_condition("Payer=Aetna, Cigna") == ("Payer", "=", ("Aetna", "Cigna"))
    assert bulkinput.split_condition("End Date <= 6/30/2026") == ("End Date", "<=", ("6/30/2026",))
    assert bulkinput.split_condition("Payer=") == ("Payer", "=", ("",))
    [where] = bulkinput.auth_wheres(["primary  PAYER=Aetna"])
    assert (where.field, where.on_client, where.label) == ("primary_payer", True, "primary  PAYER")


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["Payer"], "--set 'Payer': write it as COLUMN=VALUE"),
        (["Colour=red"], "--set: the Auths sheet has no column 'Colour'"),
        (["Active=Y"], "--set: 'Active' is computed by AuthBook on every refresh"),
        (["Payer=A", "payer=B"], "--set: 'Payer' is given twice"),
    ],
)
def test_assignments_that_cannot_be_used_say_which_and_why(texts, message):
    with pytest.raises(bulkinput.BulkInputError, match="^" + message.replace("?", r"\?")):
        bulkinput.auth_sets(texts)


def test_both_shells_name_columns_the_same_way():
    assert bulkinput.auth_field("end   DATE") == "end_date"
    assert bulkinput.auth_field("Colour") is None
    assert bulkinput.client_ids(" C1, ,C2 ") == ["C1", "C2"]


# --- one appender -----------------------------------------------------------------------------


def test_every_row_writer_appends_a_row_the_same_way():
    def auths(headers: list[str]) -> SheetRead:
        width = len(headers)
        rows = [RowRead(2, ["AB1", "C1", "90834"] + [None] * (width - 3))]
        return SheetRead(name="Auths", headers=headers, rows=rows)

    record = {"auth_no": "AB3", "client_id": "C2", "billing_code": "90834", "payer": "Aetna"}

    def writes(read: SheetRead) -> list:
        return [
            changes.append_rows(schema.AUTHS, read, [record]),
            billingrows.append_records(schema.AUTHS, read, [record]),
            importrows.append_rows(schema.AUTHS, read, [record]),
        ]

    whole = writes(auths(list(schema.AUTHS.headers)))
    assert whole[0].cells == whole[1].cells == whole[2].cells
    assert sorted(whole[0].cells.values()) == ["90834", "AB3", "Aetna", "C2"]
    assert {w.last_row for w in whole} == {3}
    # A sheet without all its columns: the AuditLog's writer adds every missing column's
    # header, the others only those of the values they write.
    short = writes(auths(list(schema.AUTHS.headers[:3])))
    added = [sorted(v for k, v in w.cells.items() if k[0] == 1) for w in short]
    assert added[1] == added[2] == ["Payer"]
    assert len(added[0]) == len(schema.AUTHS.columns) - 3


def test_the_bulk_commands_reach_rules_and_workbook_only_through_the_services():
    """cli_bulk reads options, prints and asks; what it runs is in services.bulk."""
    import ast

    from authbook import cli_bulk

    tree = ast.parse(Path(cli_bulk.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.startswith(("authbook.rules", "authbook.workbook"))}
