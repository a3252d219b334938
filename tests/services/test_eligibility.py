"""``authbook eligible`` works out one client's units alone (``client_units``): on a
practice's workbook read back from its file, every client's codes on every day asked are
the ones the whole workbook's refresh gives."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from authbook.services import eligibility
from authbook.services.demo import build_demo
from authbook.services.refresh import compute
from authbook.workbook.xlsxfile import FastWorkbookFile

TODAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def practice(tmp_path_factory):
    path = tmp_path_factory.mktemp("practice") / "practice.xlsx"
    build_demo(path, TODAY, TODAY, clients=40)
    return path


def test_every_clients_codes_are_the_whole_workbooks(practice):
    store = FastWorkbookFile(practice)
    asked = 0
    for day in (TODAY - timedelta(days=40), TODAY, TODAY + timedelta(days=30)):
        whole = compute(store, TODAY, day)
        book, ledger = whole.result.book, whole.result.ledger
        for client in sorted({c.client_id for c in book.clients}):
            units = eligibility.client_units(store, client, TODAY, day)
            assert units.known
            for provider in (None, *sorted({p.provider for p in book.providers})[:2]):
                codes = eligibility.codes_for_client(units, client, day, provider)
                assert codes == eligibility.eligible_codes(
                    book.auths, ledger, client, day, provider
                )
                asked += bool(codes)
            assert eligibility.provider_limited_codes(
                units, client, day
            ) == eligibility.provider_limited(book.auths, ledger, client, day)
    assert asked > 20  # most clients have codes on some of the days


def test_a_client_not_on_the_clients_sheet_is_not_known(practice):
    units = eligibility.client_units(FastWorkbookFile(practice), "NOBODY-1", TODAY)
    assert not units.known
    assert eligibility.codes_for_client(units, "NOBODY-1", TODAY) == []
