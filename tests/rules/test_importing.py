"""The pure import rules on plain rows: header, mapping, row kinds, date order, keys, plan."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from authbook.models import RawBook, RawRecord, Source
from authbook.rules import importing
from authbook.rules.cells import csv_text, from_csv_text, is_formula_like

AUTHS = importing.Layout(
    "auths",
    (
        importing.Target("auth_no", "Auth #"),
        importing.Target("client_id", "Client ID"),
        importing.Target("billing_code", "Billing Code"),
        importing.Target("start_date", "Start Date"),
        importing.Target("end_date", "End Date"),
        importing.Target("allotted_units", "Allotted Units"),
        importing.Target("prior_units_used", "Prior Units Used"),
        importing.Target("payer", "Payer"),
        importing.Target("comments", "Comments"),
        importing.Target("remaining_units", "Remaining Units", computed=True),
        importing.Target("active", "Active", computed=True),
        importing.Target("dob", "DOB", computed=True),
    ),
    (
        importing.Target("client_id", "Client ID"),
        importing.Target("last_name", "Last Name"),
        importing.Target("first_name", "First Name"),
        importing.Target("dob", "DOB"),
        importing.Target("member_id", "Member ID"),
        importing.Target("primary_payer", "Primary Payer"),
        importing.Target("active", "Active"),
    ),
)


def rows(*lines):
    return [(i, list(cells)) for i, cells in enumerate(lines, start=1)]


def mapping(headers):
    return {c.header: c.field for c in importing.map_columns(headers, AUTHS)}


def test_headers_match_ignoring_case_spacing_punctuation_and_number_words():
    assert len({importing.header_key(h) for h in ("Auth #", "auth no.", "AUTH  NUMBER")}) == 1
    assert importing.header_key("D.O.B.") == importing.header_key("dob")


def test_tracker_headers_map_by_synonym_and_computed_columns_are_left_out():
    found = mapping(
        [
            "Patient",
            "D.O.B.",
            "Member #",
            "Insurance",
            "CPT",
            "Auth Number",
            "Visits Approved",
            "Visits Used",
            "Start",
            "Exp Date",
            "Remaining Units",
            "Active",
            "Fax",
        ]
    )
    assert found == {
        "Patient": "client_name",
        "D.O.B.": "dob",
        "Member #": "member_id",
        "Insurance": "payer",
        "CPT": "billing_code",
        "Auth Number": "auth_no",
        "Visits Approved": "allotted_units",
        "Visits Used": "prior_units_used",
        "Start": "start_date",
        "Exp Date": "end_date",
        "Remaining Units": None,
        "Active": None,
        "Fax": None,
    }


def test_second_column_for_the_same_field_is_not_imported_and_a_map_file_wins():
    columns = importing.map_columns(["CPT", "Code", "Notes"], AUTHS, {"code": "", "notes": "payer"})
    assert [(c.header, c.field, c.how) for c in columns] == [
        ("CPT", "billing_code", "synonym"),
        ("Code", None, "map file"),
        ("Notes", "payer", "map file"),
    ]


def test_header_is_found_below_title_rows():
    found = importing.find_header(
        rows(
            ["Acme tracker 2026"], [], ["Acme tracker 2026"] * 4, ["Patient", "CPT", "Start", "End"]
        ),
        AUTHS,
    )
    assert found == 3


def test_totals_row_needs_a_total_word_and_no_dates():
    assert importing.is_totals_row(["Grand Total", None, 58], [None])
    assert importing.is_totals_row(["", "TOTALS:", 3], [])
    assert not importing.is_totals_row(["Total Care LLC", "90834"], [date(2026, 1, 1)])
    assert not importing.is_totals_row(["Doe, Jane", 12], [None])


def test_date_order_is_day_first_only_when_some_dates_can_only_be_day_first():
    assert importing.infer_date_order(["14/03/2026", "01/02/2026"], "MDY")[0] == "DMY"
    assert importing.infer_date_order(["01/02/2026", "03/04/2026"], "MDY")[0] == "MDY"
    assert importing.infer_date_order(["14/03/2026", "03/14/2026"], "MDY")[0] == "MDY"
    assert importing.infer_date_order(["03/14/2026"], "DMY")[0] == "MDY"


def test_names_split_from_last_comma_first_or_first_last():
    assert importing.split_name("Doe, Jane") == ("Doe", "Jane")
    assert importing.split_name("Mary Ann Lee") == ("Lee", "Mary Ann")
    assert importing.split_name("Cher") == ("Cher", None)


HEAD = ["Patient", "DOB", "CPT", "Auth #", "Visits Approved", "Visits Used", "Start", "End"]


def test_every_row_is_imported_rejected_or_skipped_and_counts_add_up():
    plan = importing.plan_import(
        rows(
            ["Tracker"],
            HEAD,
            ["Doe, Jane", "1/2/1980", "90834", "A1", "12 visits", "3", "1/5/2026", "6/30/2026"],
            ["Doe, Jane", "1/2/1980", "90834", "A1", "12 visits", "3", "1/5/2026", "6/30/2026"],
            [None] * 8,
            ["Doe, Jane", "1/2/1980", "90837", None, "lots", None, "1/5/2026", "6/30/2026"],
            ["Total", None, None, None, "12", "3", None, None],
        ),
        AUTHS,
        RawBook(),
    )
    assert plan.header_row == 2
    assert [(o.row, o.status) for o in plan.outcomes] == [
        (1, "title"),
        (3, "new"),
        (4, "duplicate"),
        (5, "blank"),
        (6, "rejected"),
        (7, "totals"),
    ]
    assert plan.rows_read == plan.imported + plan.rejected + plan.skipped == 6
    ((row, values),) = plan.new_records
    assert values["allotted_units"] == 12 and values["prior_units_used"] == 3
    assert values["client_id"] == "C0001"
    assert plan.new_clients == [
        {
            "client_id": "C0001",
            "last_name": "Doe",
            "first_name": "Jane",
            "dob": date(1980, 1, 2),
            "active": True,
        }
    ]
    assert plan.rejects[0].row == 6 and "Visits Approved" in plan.rejects[0].reason


def existing_book():
    src = Source(sheet="Auths", row=2)
    return RawBook(
        clients=(
            RawRecord(
                source=Source(sheet="Clients", row=2),
                values={
                    "client_id": "K7",
                    "last_name": "Doe",
                    "first_name": "Jane",
                    "dob": date(1980, 1, 2),
                },
            ),
        ),
        auths=(
            RawRecord(
                source=src,
                values={
                    "auth_no": "AB000001",
                    "client_id": "K7",
                    "billing_code": "90834",
                    "start_date": date(2026, 1, 5),
                    "end_date": date(2026, 6, 30),
                    "allotted_units": 12,
                    "prior_units_used": 3,
                },
            ),
        ),
    )


def test_row_without_auth_number_matches_by_client_code_and_start_and_updates_only_changes():
    plan = importing.plan_import(
        rows(
            HEAD,
            ["Doe, Jane", "1/2/1980", "90834", None, "12", "5", "1/5/2026", "6/30/2026"],
        ),
        AUTHS,
        existing_book(),
    )
    assert plan.new_clients == [] and plan.new_records == []
    assert [(c.row, c.field, c.old, c.new) for c in plan.changes] == [(2, "prior_units_used", 3, 5)]
    assert plan.outcomes[0].status == "updated"


def test_same_row_again_is_unchanged():
    plan = importing.plan_import(
        rows(HEAD, ["Doe, Jane", "1/2/1980", "90834", None, "12", "3", "1/5/2026", "6/30/2026"]),
        AUTHS,
        existing_book(),
    )
    assert plan.changes == [] and plan.outcomes[0].status == "unchanged"
    assert not plan.writes_anything


def test_csv_quote_marks_text_the_export_protected():
    plan = importing.plan_import(
        rows(
            ["Client ID", "CPT", "Start", "End", "Approved", "Comments"],
            ["K7", "90834", "2026-01-05", "2026-06-30", "4", "'=1+1"],
        ),
        AUTHS,
        RawBook(),
        from_csv=True,
    )
    assert plan.new_records[0][1]["comments"] == "=1+1"


@given(st.one_of(st.text(max_size=8), st.integers(), st.dates(), st.booleans(), st.none()))
def test_csv_text_undoes_exactly(value):
    text = csv_text(value)
    if isinstance(value, str):  # numbers stay numbers (-1); text never reads as a formula
        assert not is_formula_like(text)
        assert from_csv_text(text) == value


NOTES = importing.Layout(
    "notes",
    (
        importing.Target("note_id", "Note ID"),
        importing.Target("client_id", "Client ID"),
        importing.Target("service_date", "Service Date"),
        importing.Target("provider", "Provider"),
        importing.Target("billing_code", "Billing Code"),
        importing.Target("units", "Units"),
    ),
    AUTHS.clients,
)


def _with_clients(*names):
    return RawBook(
        clients=tuple(
            RawRecord(
                source=Source(sheet="Clients", row=i),
                values={"client_id": f"K{i}", "last_name": last, "first_name": first},
            )
            for i, (last, first) in enumerate(names, start=2)
        )
    )


def _session(*patients, kind=NOTES, book=None):
    lines = [["Patient", "DOS", "CPT", "Therapist"]]
    lines += [[p, f"3/{day}/2026", "90834", "Lee"] for day, p in enumerate(patients, start=2)]
    return importing.plan_import(rows(*lines), kind, book or _with_clients(("Doe", "Jane")))


def test_name_without_dob_matching_one_client_uses_that_client_and_a_session_log_invents_none():
    plan = _session("Doe, Jane", "Jane Doe", "doe,  JANE")
    assert plan.new_clients == []
    assert [values["client_id"] for _, values in plan.new_records] == ["K2", "K2", "K2"]

    plan = _session("Roe, Rick")
    assert plan.new_clients == [] and plan.new_records == []
    (reject,) = plan.rejects
    assert reject.row == 2 and reject.reason.startswith("no client named")

    two = _with_clients(("Doe", "Jane"), ("Doe", "Jane"))
    plan = _session("Doe, Jane", book=two)
    assert plan.new_records == [] and plan.rejects[0].reason.startswith("ambiguous: 2 clients")

    plan = importing.plan_import(
        rows(["Client ID", "DOS", "CPT"], ["K9", "3/2/2026", "90834"]),
        NOTES,
        _with_clients(("Doe", "Jane")),
    )
    assert plan.new_clients == [] and "not on the Clients sheet" in plan.rejects[0].reason

    # an auths import may still add a client nobody has heard of
    head = ["Patient", "CPT", "Start", "End", "Visits"]
    plan = importing.plan_import(
        rows(head, ["Roe, Rick", "90834", "1/5/2026", "6/30/2026", "12"]),
        AUTHS,
        _with_clients(("Doe", "Jane")),
    )
    assert [c["last_name"] for c in plan.new_clients] == ["Roe"] and not plan.rejects


def test_unmapped_tracker_column_is_kept_in_comments_when_no_column_maps_to_comments():
    plan = importing.plan_import(
        rows(
            ["Patient", "CPT", "Start", "End", "Visits", "Fax"],
            ["Roe, Rick", "90834", "1/5/2026", "6/30/2026", "12", "555-1234"],
        ),
        AUTHS,
        _with_clients(("Doe", "Jane")),
    )
    ((_, record),) = plan.new_records
    assert record["comments"] == "Fax: 555-1234"
