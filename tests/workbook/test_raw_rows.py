"""A sheet's rows become RawRows a column at a time; rows whose known columns are all blank
are left out, every other row keeps every cell as read (hypothesis, against reading the
rows one by one)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from authbook.models import RawRecord, Source
from authbook.workbook import rawbook, schema
from authbook.workbook.sheetdata import RowRead, SheetRead

HEADERS = ["Client ID", "My own column", "Service Date", "Billing Code", "Units"]
cells = st.sampled_from([None, "", " ", "C1", 0, 2, "=SUM(A1)", 4.5])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(cells, min_size=0, max_size=len(HEADERS)), max_size=20))
def test_rows_read_by_column_equal_rows_read_one_by_one(grid):
    read = SheetRead(
        name="Notes",
        headers=HEADERS,
        rows=[RowRead(row, list(values)) for row, values in enumerate(grid, start=2)],
    )
    known = {"client_id": 0, "service_date": 2, "billing_code": 3, "units": 4}
    expected = []
    for row, values in enumerate(grid, start=2):
        padded = list(values) + [None] * (len(HEADERS) - len(values))
        picked = {name: padded[i] for name, i in known.items()}
        if any(v not in (None, "") for v in picked.values()):
            expected.append(RawRecord(source=Source(sheet="Notes", row=row), values=picked))

    assert list(rawbook.raw_rows(schema.NOTES, read)) == expected
