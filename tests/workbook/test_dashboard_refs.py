"""The Dashboard's chart ranges, worked out without drawing, are the ones openpyxl draws."""

from __future__ import annotations

from openpyxl import Workbook

from authbook.workbook import dashboard


def drawn_refs(name: str) -> set[str]:
    """The ranges of the charts ``dashboard.draw`` puts on sheet ``name``, read back from
    openpyxl's own chart objects."""
    wb = Workbook()
    dashboard.draw(wb, name, dashboard.EMPTY_HEADING, dashboard.empty_panels())
    refs = set()
    for chart in wb[name]._charts:
        for series in chart.series:
            for ref in (series.val.numRef, series.cat.numRef or series.cat.strRef):
                refs.add(dashboard._normal(ref.f))
            if series.tx is not None and series.tx.strRef is not None:
                refs.add(dashboard._normal(series.tx.strRef.f))
    return refs


def test_chart_refs_are_the_ranges_the_drawn_charts_point_at():
    for name in ("Dashboard", "My Dashboard"):
        assert dashboard.chart_refs(name) == drawn_refs(name)
