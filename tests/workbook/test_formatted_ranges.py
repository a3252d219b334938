"""Conditional formats and data validations follow a Table's data rows (formatted_ranges)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter, range_boundaries

from authbook.workbook.formatted_ranges import (
    TableEnd,
    moved_sqref,
    range_bounds,
    table_end,
    with_chart_series_moved,
    with_ranges_moved,
)

#: The Auths Table A1:AK7 grown to end at row 9.
GROWN = TableEnd(min_col=1, max_col=37, first_row=2, old_end=7, new_end=9)


def test_a_table_refitted_to_the_same_end_or_kept_by_a_total_row_moves_nothing():
    assert table_end("A1:AK7", 0, 7) is None
    assert table_end("A1:AK7", 0, None) is None
    assert table_end("A1:AK8", 1, 12) is None  # rows are never added above a Total Row
    assert table_end("A1:AK7", 0, 9) == GROWN
    # an emptied Table keeps one (empty) data row, as refit_table leaves it
    assert table_end("A1:J5", 0, 1) == TableEnd(1, 10, 2, 5, 2)


def test_a_range_over_a_columns_data_rows_ends_at_the_new_last_row():
    assert moved_sqref("G2:G7", [GROWN]) == "G2:G9"
    assert moved_sqref("A2:AK7", [GROWN]) == "A2:AK9"
    assert moved_sqref("$G$2:$G$7", [GROWN]) == "G2:G9"
    assert moved_sqref("G2:G7 J2:J7 K3:K4", [GROWN]) == "G2:G9 J2:J9 K3:K4"
    shrunk = TableEnd(1, 10, 2, 5, 2)
    assert moved_sqref("A2:A5", [shrunk]) == "A2"
    assert moved_sqref("A2", [TableEnd(1, 10, 2, 2, 5)]) == "A2:A5"


def test_a_range_over_part_of_the_rows_or_outside_the_table_is_left_as_typed():
    for sqref in ("G3:G7", "G2:G6", "G2:G1048576", "AL2:AL7", "G:G", "G8:G9", "G2:G7  J1"):
        expected = sqref if sqref != "G2:G7  J1" else "G2:G9 J1"
        assert moved_sqref(sqref, [GROWN]) == expected, sqref


SHEET_TAIL = (
    b'</sheetData><conditionalFormatting sqref="G2:G7 G9:G12"><cfRule type="cellIs" '
    b'dxfId="0" priority="1" operator="lessThan"><formula>8</formula></cfRule>'
    b'</conditionalFormatting><dataValidations count="2"><dataValidation type="whole" '
    b'sqref="J2:J7"><formula1>0</formula1></dataValidation><dataValidation type="list" '
    b'allowBlank="1" sqref="C2:C1048576"><formula1>"Y,N"</formula1></dataValidation>'
    b'</dataValidations><ignoredErrors><ignoredError sqref="G2:G7" numberStoredAsText="1"/>'
    b'</ignoredErrors><extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}">'
    b'<x14:conditionalFormattings><x14:conditionalFormatting><x14:cfRule type="dataBar" '
    b'id="{1}"/><xm:sqref>L2:L7</xm:sqref></x14:conditionalFormatting>'
    b'</x14:conditionalFormattings></ext><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}">'
    b"<x14:sparklineGroups><x14:sparklineGroup><x14:sparklines><x14:sparkline><xm:f>"
    b"Auths!A2:A7</xm:f><xm:sqref>M2:M7</xm:sqref></x14:sparkline></x14:sparklines>"
    b"</x14:sparklineGroup></x14:sparklineGroups></ext></extLst></worksheet>"
)


def test_only_conditional_formats_and_validations_move_in_the_sheets_xml():
    moved = with_ranges_moved(SHEET_TAIL, [GROWN])
    assert moved == (
        SHEET_TAIL.replace(b'sqref="G2:G7 G9:G12"', b'sqref="G2:G9 G9:G12"')
        .replace(b'sqref="J2:J7"', b'sqref="J2:J9"')
        .replace(b"<xm:sqref>L2:L7</xm:sqref>", b"<xm:sqref>L2:L9</xm:sqref>")
    )
    # the ignored error and the sparkline are not formats over the Table's rows
    assert b'<ignoredError sqref="G2:G7"' in moved and b"<xm:sqref>M2:M7<" in moved


def test_a_tail_with_nothing_to_move_is_the_same_bytes():
    assert with_ranges_moved(SHEET_TAIL, []) is SHEET_TAIL
    unmoved = TableEnd(1, 37, 2, 100, 120)
    assert with_ranges_moved(SHEET_TAIL, [unmoved]) == SHEET_TAIL


rows = st.integers(1, 40)
cols = st.integers(1, 12)


@given(
    table=st.tuples(cols, cols, rows, rows, rows),
    ranges=st.lists(st.tuples(cols, cols, rows, rows), min_size=1, max_size=4),
)
def test_a_range_moves_only_when_it_covers_a_columns_data_rows_and_then_only_its_end(table, ranges):
    a, b, first, old, new = table
    end = TableEnd(min(a, b), max(a, b), first, max(first, old), max(first, new))
    texts = []
    for c1, c2, r1, r2 in ranges:
        c1, c2, r1, r2 = min(c1, c2), max(c1, c2), min(r1, r2), max(r1, r2)
        texts.append(f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")
    out = moved_sqref(" ".join(texts), [end]).split()
    assert len(out) == len(texts)
    for before, after in zip(texts, out):
        c1, r1, c2, r2 = range_boundaries(before)
        covers = (
            r1 == end.first_row and r2 == end.old_end and end.min_col <= c1 <= c2 <= end.max_col
        )
        if not covers or end.new_end == end.old_end:
            assert range_boundaries(after) == (c1, r1, c2, r2)
        else:
            assert range_boundaries(after) == (c1, r1, c2, end.new_end)


CHART = (
    b'<c:chartSpace><c:ser><c:tx><c:strRef><c:f>Auths!$G$1</c:f><c:strCache><c:pt idx="0">'
    b"<c:v>Units</c:v></c:pt></c:strCache></c:strRef></c:tx><c:cat><c:strRef><c:f>"
    b"'Auths'!$A$2:$A$7</c:f><c:strCache><c:ptCount val=\"6\"/></c:strCache></c:strRef>"
    b'</c:cat><c:val><c:numRef><c:f>Auths!$G$2:$G$7</c:f><c:numCache><c:ptCount val="6"/>'
    b"</c:numCache></c:numRef></c:val></c:ser><c:ser><c:val><c:numRef><c:f>"
    b'Notes!$G$2:$G$7</c:f><c:numCache><c:ptCount val="6"/></c:numCache></c:numRef>'
    b"</c:val></c:ser><c:ser><c:val><c:numRef><c:f>(Auths!$H$3:$H$7,Auths!$J$2:$J$7)</c:f>"
    b"</c:numRef></c:val></c:ser></c:chartSpace>"
)


def test_a_chart_series_over_a_columns_data_rows_follows_them_and_drops_its_cache():
    moved = with_chart_series_moved(CHART, {"Auths": [GROWN]})
    assert moved == (
        CHART.replace(
            b"'Auths'!$A$2:$A$7</c:f><c:strCache><c:ptCount val=\"6\"/></c:strCache>",
            b"'Auths'!$A$2:$A$9</c:f>",
        )
        .replace(
            b'Auths!$G$2:$G$7</c:f><c:numCache><c:ptCount val="6"/></c:numCache>',
            b"Auths!$G$2:$G$9</c:f>",
        )
        .replace(b"Auths!$J$2:$J$7)", b"Auths!$J$2:$J$9)")
    )
    # the series name (one cell), another sheet's and a partial range are left as they are
    assert b"<c:f>Auths!$G$1</c:f><c:strCache>" in moved
    assert b"Notes!$G$2:$G$7</c:f><c:numCache>" in moved
    assert b"Auths!$H$3:$H$7" in moved


def test_a_chart_with_nothing_to_follow_is_the_same_bytes():
    assert with_chart_series_moved(CHART, {}) is CHART
    assert with_chart_series_moved(CHART, {"Notes": [TableEnd(1, 5, 2, 9, 12)]}) == CHART


REFS = st.one_of(
    st.text(alphabet="ABCXYZabz$:0123456789", max_size=12),
    st.from_regex(
        r"\$?[A-Z]{1,3}\$?[1-9][0-9]{0,6}(:\$?[A-Z]{1,3}\$?[1-9][0-9]{0,6})?", fullmatch=True
    ),
    st.from_regex(r"[A-Z]{1,3}:[A-Z]{1,3}|[1-9][0-9]*:[1-9][0-9]*", fullmatch=True),
)


@settings(max_examples=500)
@given(REFS)
def test_range_bounds_are_openpyxls_range_boundaries(ref):
    """Ranges are read without loading openpyxl (start-up time), as openpyxl reads them."""
    try:
        expected = range_boundaries(ref)
    except (TypeError, ValueError):
        expected = "refused"
    try:
        found = range_bounds(ref)
    except ValueError:
        found = "refused"
    assert found == expected
