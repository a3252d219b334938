"""``workbook.parsers``: the reader's few threads give each call's result or error, run the
calls in the order handed in, and leave no thread behind."""

from __future__ import annotations

import threading
import time

import pytest

from authbook.workbook.parsers import CancelledCall, Parsers


def test_each_call_gives_its_result_and_the_threads_end_with_the_block():
    before = threading.active_count()
    with Parsers(2) as parsers:
        jobs = [parsers.submit(pow, n, 2) for n in range(20)]
        assert [job.result() for job in jobs] == [n * n for n in range(20)]
    assert threading.active_count() == before


def test_a_call_that_raises_raises_from_result_and_the_others_still_run():
    with Parsers(2) as parsers:
        bad = parsers.submit(int, "not a number")
        good = parsers.submit(len, "four")
        with pytest.raises(ValueError):
            bad.result()
        assert good.result() == 4


def test_one_thread_runs_the_calls_in_the_order_handed_in():
    seen = []
    with Parsers(1) as parsers:
        for n in range(10):
            parsers.submit(seen.append, n)
    assert seen == list(range(10))


def test_calls_not_begun_when_the_block_fails_are_dropped():
    gate = threading.Event()
    ran = []
    with pytest.raises(RuntimeError), Parsers(1) as parsers:
        first = parsers.submit(gate.wait, 10)
        later = [parsers.submit(ran.append, n) for n in range(5)]
        time.sleep(0.05)  # (the first call is running: the others wait behind it)
        gate.set()
        raise RuntimeError("the reader failed")
    assert first.result() is True
    assert ran == [] or ran == sorted(ran)  # (a call may have begun before the drop)
    for job in later[len(ran) :]:
        with pytest.raises(CancelledCall):
            job.result()
