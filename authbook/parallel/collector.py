"""The cyclic garbage collector paused while a use case builds millions of records."""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def many_objects():
    """Pause Python's cyclic garbage collector while a refresh builds its records.

    A large workbook makes millions of small objects that live until the refresh ends and
    hold no reference cycles; without the pause the collector re-scans them again and again
    (about 30% of the compute time at 50,000 notes, measured). Reference counting still
    frees everything.

    When the collector is switched back on, the objects still alive (the refresh's result)
    are first moved out of its sight with ``gc.freeze()``: otherwise its next run walks every
    one of them (about a second at 500,000 notes). The next pause gives them back
    (``gc.unfreeze()``), so a long-running process (live Excel) keeps nothing frozen for good.
    """
    paused = gc.isenabled()
    gc.disable()
    if paused:
        gc.unfreeze()
    try:
        yield
    finally:
        if paused:
            gc.freeze()
            gc.enable()
