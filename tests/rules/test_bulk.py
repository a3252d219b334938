"""Bulk plans on inline ledgers: which rows a filter lists, which cells a plan changes, and
what stops a plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.models import RawBook, RawRows
from authbook.rules.bulk import (
    Where,
    plan_bulk_add,
    plan_bulk_update,
    select_auth_rows,
    select_client_ids,
)
from tests.rules.ledger import table

TODAY = date(2026, 3, 1)

CLIENTS = table(
    "Clients",
    """
    client_id | division | client_group | primary_therapist | primary_payer
    C1        | North    | Adults       | Dr Ash            | Aetna
    C2        | South    | Youth        | Dr Birch          | Cigna
    C3        | north    | Youth        | Dr Ash            | Medicaid
    """,
)
AUTHS = table(
    "Auths",
    """
    auth_no | client_id | billing_code | start_date | end_date   | allotted_units | payer    | unmanaged
    A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 20             | Aetna    |
    A2      | C1        | +90785       | 2026-01-01 | 2026-06-30 | 20             | Aetna    | N
    A3      | C2        | 90834        | 2026-02-01 | 2026-03-31 | 10             | Cigna    |
    A4      | C3        | 90837        | 2026-01-01 | 2026-12-31 | 12 visits      |          | Y
    """,
)
CODES = table("BillingCodes", "code\n90834\n90785\n90837\n90832\n90853")
PAYERS = table("Payers", "payer\nAetna\nCigna\nMedicaid")
GROUPS = table("AuthGroups", "group_name\nPool")
CODE_GROUPS = table(
    "CodeGroups",
    """
    group_name | billing_code
    Therapy    | 90832
    Therapy    | 90834
    Therapy    | 90837
    Therapy    | 90853
    """,
)
RAW = RawBook(
    clients=CLIENTS,
    auths=AUTHS,
    billing_codes=CODES,
    payers=PAYERS,
    auth_groups=GROUPS,
    code_groups=CODE_GROUPS,
)


#: RAW with its Auths as a workbook file gives them: RawRows, not RawRecords.
RAW_AS_READ = RAW.model_copy(update={"auths": RawRows.of_records("Auths", AUTHS)})


def where(field, *values, on_client=False):
    return Where(field=field, values=values, on_client=on_client)


def test_where_on_client_columns_ignores_case_and_ands_conditions():
    rows, errors = select_auth_rows(
        RAW, [where("division", "NORTH", on_client=True), where("billing_code", "90834", "90837")]
    )
    assert errors == [] and rows == [2, 5]


def test_where_reads_values_the_way_the_column_is_read():
    assert select_auth_rows(RAW, [where("end_date", "6/30/2026")])[0] == [2, 3]
    assert select_auth_rows(RAW, [where("allotted_units", "12")])[0] == [5]
    assert select_auth_rows(RAW, [where("unmanaged", "no", "")])[0] == [2, 3, 4]
    assert select_auth_rows(RAW, [where("billing_code", "90785")])[0] == [3]
    assert select_auth_rows(RAW, [where("payer", "")])[0] == [5]


def test_a_where_value_that_cannot_be_read_selects_nothing_and_says_why():
    rows, errors = select_auth_rows(RAW, [Where(field="end_date", values=("soon",), label="End")])
    assert rows == [] and errors == ["End: 'soon' is not a date"]


def test_clients_are_selected_by_any_of_their_columns():
    assert select_client_ids(RAW, [where("client_group", "youth")])[0] == ["C2", "C3"]


def test_bulk_update_changes_only_the_fields_given_on_the_rows_given():
    plan = plan_bulk_update(RAW, [2, 4], {"end_date": "12/31/2026"}, "pat", TODAY)
    assert plan.ok
    assert [(c.source.row, c.field, c.new) for c in plan.changes] == [
        (2, "end_date", date(2026, 12, 31)),
        (4, "end_date", date(2026, 12, 31)),
    ]
    assert [(c.auth_no, c.client_id) for c in plan.changes] == [("A1", "C1"), ("A3", "C2")]
    assert {(c.source.row, c.field, c.new) for c in plan.stamps} == {
        (2, "last_edited_date", TODAY),
        (2, "last_edited_by", "pat"),
        (4, "last_edited_date", TODAY),
        (4, "last_edited_by", "pat"),
    }


def test_a_cell_already_holding_the_value_is_not_rewritten():
    plan = plan_bulk_update(RAW, [2, 3], {"payer": "Aetna", "unmanaged": "yes"}, "pat", TODAY)
    assert [(c.source.row, c.field, c.old, c.new) for c in plan.changes] == [
        (2, "unmanaged", None, "Y"),
        (3, "unmanaged", "N", "Y"),
    ]


def test_bulk_update_refuses_a_computed_column():
    plan = plan_bulk_update(RAW, [2], {"remaining_units": "5"}, "pat", TODAY)
    assert not plan.ok and plan.changes == ()
    assert plan.problems[0].field == "remaining_units"


def test_a_change_that_breaks_one_row_stops_the_whole_plan():
    # 01/15/2026 is after A1's Start Date but before A3's (02/01/2026).
    plan = plan_bulk_update(RAW, [2, 4], {"end_date": "01/15/2026"}, "pat", TODAY)
    assert not plan.ok and plan.changes == ()
    assert [(p.source.row, p.field) for p in plan.problems] == [(4, "end_date")]


def test_a_payer_not_on_the_payers_sheet_stops_the_plan():
    plan = plan_bulk_update(RAW, [2], {"payer": "Nobody"}, "pat", TODAY)
    assert [(p.source.row, p.field) for p in plan.problems] == [(2, "payer")]


def test_bulk_add_puts_every_code_of_the_group_on_each_client_with_new_numbers():
    values = {"start_date": "2026-04-01", "end_date": "2026-09-30", "allotted_units": "20"}
    plan = plan_bulk_add(
        RAW, "therapy", ["C2", "c3"], {**values, "auth_group": "Pool"}, "pat", TODAY, 6
    )
    assert plan.ok and plan.rows == tuple(range(6, 14))
    rows: dict[int, dict] = {}
    for c in plan.changes:
        rows.setdefault(c.source.row, {})[c.field] = c.new
    assert [(v["client_id"], v["billing_code"]) for v in rows.values()][:5] == [
        ("C2", "90832"),
        ("C2", "90834"),
        ("C2", "90837"),
        ("C2", "90853"),
        ("C3", "90832"),
    ]
    assert [v["auth_no"] for v in rows.values()] == [f"AB{n:06d}" for n in range(1, 9)]
    assert {v["auth_group"] for v in rows.values()} == {"Pool"}
    assert all(c.old is None for c in plan.changes)


def test_bulk_add_refuses_an_unknown_group_client_or_auth_group_and_bad_values():
    values = {"start_date": "2026-04-01", "end_date": "2026-09-30", "allotted_units": "20"}
    checks = [
        ("Nope", ["C1"], values, "group_name"),
        ("Therapy", ["C9"], values, "client_id"),
        ("Therapy", ["C1"], {**values, "auth_group": "Other"}, "auth_group"),
        ("Therapy", ["C1"], {**values, "allotted_units": "-2"}, "allotted_units"),
        ("Therapy", ["C1"], {**values, "end_date": "2026-03-01"}, "end_date"),
    ]
    for group, clients, given_values, field in checks:
        plan = plan_bulk_add(RAW, group, clients, given_values, "pat", TODAY, 6)
        assert not plan.ok and plan.changes == (), field
        assert field in {p.field for p in plan.problems}, field


# --- properties -------------------------------------------------------------------------------

SETTABLE = {
    "end_date": st.sampled_from(["2026-06-30", "2026-12-31", "7/4/2026", ""]),
    "payer": st.sampled_from(["Aetna", "Cigna", "Medicaid", ""]),
    "unit_alert_level": st.sampled_from(["0", "2", "5", ""]),
    "unmanaged": st.sampled_from(["Y", "N", ""]),
    "comments": st.text(max_size=8),
}


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.sampled_from([2, 3, 4, 5, 9]), unique=True),
    sets=st.dictionaries(st.sampled_from(sorted(SETTABLE)), st.just(None), min_size=1).flatmap(
        lambda d: st.fixed_dictionaries({k: SETTABLE[k] for k in d})
    ),
)
def test_bulk_update_touches_only_the_rows_and_fields_it_should(rows, sets):
    plan = plan_bulk_update(RAW, rows, sets, "pat", TODAY)
    # the same plan for the Auths sheet as a workbook is read (by column, RawRows)
    assert plan_bulk_update(RAW_AS_READ, rows, sets, "pat", TODAY) == plan
    assert {c.source.row for c in plan.changes} <= set(rows)
    assert {c.field for c in plan.changes} <= set(sets)
    by_row = {r.source.row: r for r in RAW.auths}
    # Reversing the changes gives back every cell as it was.
    for change in plan.changes:
        assert by_row[change.source.row].values.get(change.field) == change.old
    if plan.ok:
        changed = {(c.source.row, c.field) for c in plan.changes}
        applied = {
            r.source.row: {
                **r.values,
                **{c.field: c.new for c in plan.changes if c.source.row == r.source.row},
            }
            for r in RAW.auths
        }
        again = RAW.model_copy(
            update={"auths": tuple(replace(r, values=applied[r.source.row]) for r in RAW.auths)}
        )
        # Applied once, the same update changes nothing more.
        second = plan_bulk_update(again, rows, sets, "pat", TODAY)
        assert second.changes == (), changed
