"""A few threads running calls in the order they are handed in (``Parsers``): what the fast
reader needs of ``concurrent.futures.ThreadPoolExecutor``, without its import (it brings
``logging`` and takes about 6 ms of every command's start, measured)."""

from __future__ import annotations

import threading
from queue import SimpleQueue


class Job:
    """A call handed to ``Parsers``: ``result()`` waits for it and gives what it returned,
    or raises what it raised."""

    __slots__ = ("_call", "_done", "_value", "_error")

    def __init__(self, call) -> None:
        self._call, self._done = call, threading.Event()
        self._value = self._error = None

    def run(self) -> None:
        try:
            self._value = self._call()
        except BaseException as exc:  # noqa: BLE001 (raised again by result())
            self._error = exc
        finally:
            self._call = None  # (its arguments may be large: let them go)
            self._done.set()

    def result(self):
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value


class Parsers:
    """``workers`` threads taking the calls ``submit`` hands in, in order. Use it in a
    ``with`` block: leaving it lets the calls already running finish and drops those not
    begun when the block is left by an error (their ``result()`` then raises
    ``CancelledCall``)."""

    def __init__(self, workers: int) -> None:
        self._jobs: SimpleQueue = SimpleQueue()
        self._workers = workers
        self._threads: list[threading.Thread] = []

    def submit(self, function, *args) -> Job:
        job = Job(lambda: function(*args))
        self._jobs.put(job)
        if len(self._threads) < self._workers:  # (threads begun as calls come, as the pool's)
            thread = threading.Thread(target=self._work, daemon=True)
            thread.start()
            self._threads.append(thread)
        return job

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            job.run()

    def __enter__(self) -> Parsers:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:  # calls not begun are not wanted any more
            while not self._jobs.empty():
                job = self._jobs.get_nowait()
                if job is not None:
                    job._call = _cancelled
                    job.run()
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()


class CancelledCall(Exception):
    """A call handed to ``Parsers`` dropped before it began (the ``with`` block was left by
    an error)."""


def _cancelled():
    raise CancelledCall
