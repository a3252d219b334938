"""Bulk updates on real files, as properties: the AuditLog undoes exactly what was done, and
only the rows the filter lists change."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authbook.cli import main
from tests.bulk_fixtures import (
    AS_OF,
    input_cells,
    make_book,
    same_cell,
    sheet_rows,
    undo_from_log,
)

PAYERS = ("Aetna", "Cigna", "Medicaid")
SETS = {
    "End Date": st.sampled_from(["2026-12-31", "9/30/2026"]),
    "Unit Alert Level": st.sampled_from(["1", "3", ""]),
    "Payer": st.sampled_from(["Aetna", "Medicaid", ""]),
    "Comments": st.sampled_from(["renewed", "=looks like a formula", ""]),
    "Exclude From Notes": st.sampled_from(["Y", "N"]),
}
counter = itertools.count()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payers=st.sets(st.sampled_from(PAYERS), min_size=1),
    sets=st.sets(st.sampled_from(sorted(SETS)), min_size=1).flatmap(
        lambda keys: st.fixed_dictionaries({k: SETS[k] for k in sorted(keys)})
    ),
)
def test_applying_the_logged_changes_in_reverse_restores_the_inputs(
    tmp_path_factory, monkeypatch, payers, sets
):
    monkeypatch.setenv("AUTHBOOK_USER", "pat")
    folder = tmp_path_factory.mktemp(f"bulk{next(counter)}")
    path = make_book(folder)
    original = input_cells(path)
    payer_of = {row: v["Payer"] for row, v in sheet_rows(path, "Auths").items()}
    args = ["bulk-update", str(path), "--where", "Payer=" + ",".join(sorted(payers))]
    for header, value in sets.items():
        args += ["--set", f"{header}={value}"]
    assert main([*args, "--yes", "--as-of", AS_OF.isoformat()]) in (0, 1)

    after = input_cells(path)
    changed_rows = {k[1] for k in set(original) | set(after) if original.get(k) != after.get(k)}
    listed = {row for row, payer in payer_of.items() if payer in payers}
    assert changed_rows <= listed | {9}  # row 9's blank Auth # is numbered by the refresh

    undone = folder / "undone.xlsx"
    undo_from_log(path, undone)
    restored = input_cells(undone)
    assert set(restored) == set(original)
    assert all(same_cell(restored[k], original[k]) for k in original)
