"""A refresh's notes drawn side by side by two processes: this one and the child process the
file adapter forks to write the Notes sheet (``store.start_writing``, a large first refresh
on Linux).

The Notes rows are split by client before any note is built (``authbook.rules.parts``):
this process builds, applies and checks the first part's notes, the child the second
part's. The child sends its units, findings and problems back (this process needs every
one for the auths' statuses, alerts and the other sheets; it does not build the second
part's notes: ``parts.join_packed`` builds them only if they are ever read), and this
process sends the statuses of its part's rows to the child (which needs every row's for
the Notes sheet). Each then has the same draws, ledger, findings and statuses a refresh in
one process has: the oracle tests compare them.

If the child cannot be had or dies, this process draws the missing part itself, and the
store writes the Notes sheet itself (it works the statuses out then).

A refresh with no such child (a workbook refreshed before: every row's status is needed
before anything is written, to rewrite only the cells that change) forks a helper process
instead, on Linux: it builds and draws the second part and makes its rows' statuses, sends
them back and exits, while this process does the first part's.

Below ``SIDE_BY_SIDE_NOTES`` notes (a practice of a few hundred clients) nothing is split:
the two-process half (``parallel.split``, with the pipes and ``rules.parts``) is not even
imported.
"""

from __future__ import annotations

import os
import sys

from authbook.models import NoteStatusesLater
from authbook.rules.refresh import (
    NotesPrepared,
    NotesRefreshed,
    draw_notes,
    notes_refreshed,
    part_statuses,
    with_notes,
)
from authbook.workbook import records, schema
from authbook.workbook.sheetdata import SheetRead, SheetWrite

#: From this many notes on, a refresh whose Notes sheet is written by a child process
#: splits the notes with it.
SIDE_BY_SIDE_NOTES = 10_000
#: The shares of the Notes rows this process and the child build and draw: the child has
#: the Notes sheet to write after, this process the auths, alerts and other sheets; the
#: child, which also packs its part for this one, ended last. Measured in process to the
#: end of the save, five alternated runs each on the LibreOffice-saved 20k/200k workbook:
#: medians 3.51 s (0.5), 3.41 s (0.53), 3.47 s (0.56); at 50k/500k, three each: 8.94 s
#: (0.5), 8.90 s (0.53). Once the child stopped waiting for this process's Checks and this
#: process's save did less (eighth session), the child ended last by ~0.1 s at 0.53; at
#: 0.545 the two ended within 0.06 s of each other (50k/500k, in process).
SHARES = (0.54, 0.46)
#: Whether a refresh that works the Notes statuses out at once (not a first refresh: no
#: child writes the Notes sheet) forks a helper process to draw half the notes (Linux only).
HELPER = sys.platform.startswith("linux")
#: What the last helper process reported of its memory (kB), as
#: ``xlsx.child.LAST_CHILD_MEMORY`` holds the writer child's: for the benchmark.
LAST_HELPER_MEMORY: dict[str, int] = {}


def refresh_notes_writing(
    store, read: SheetRead, base: NotesPrepared
) -> tuple[NotesRefreshed, SheetWrite]:
    """``rules.refresh.refresh_notes`` of the book prepared as ``base`` (``prepare_base``,
    its Notes rows in), with the Notes sheet (``read``) handed to ``store.start_writing`` as
    soon as it can be: the same result, and the Notes SheetWrite.

    When the store starts a child process for the sheet, the notes of about half the
    clients are built and drawn there meanwhile (see the module's docstring)."""
    rows, channel, split = [], None, None  # (``split`` is only used once rows are split)
    if len(base.raw.notes) >= SIDE_BY_SIDE_NOTES:
        # here, not at the top: a practice's few thousand notes are drawn in this process,
        # without the pipes and parts of the split (start-up time, tests/test_startup.py)
        from authbook.parallel import split

        rows = split.split_rows(base, SHARES)
        channel = split.Channel.open() if len(rows) == 2 and all(rows) else None
    parent = os.getpid()
    done = {}  # "prepared": the whole book; "all": every note drawn; "statuses"

    def draw_here() -> None:
        # no child draws: a helper process builds and draws half, when the rows are split
        if channel is not None and split.can_fork(HELPER):
            done["prepared"], done["all"], done["statuses"] = split.drawn_with_helper(
                base, rows, channel, LAST_HELPER_MEMORY
            )
        else:
            done["prepared"] = with_notes(base)
            done["all"] = draw_notes(done["prepared"])

    if channel is None:  # no split: every note is drawn before the child is forked
        draw_here()

    def statuses():
        if "all" not in done:
            if os.getpid() != parent:  # the child writing the sheet, the rows split
                return split.child_statuses(base, rows, channel)
            draw_here()  # wanted at once (not a first refresh)
        if "statuses" not in done:
            done["statuses"] = part_statuses(done["prepared"], done["all"])
        return done["statuses"]

    later = NoteStatusesLater(statuses)
    write = records.record_writes_later(schema.NOTES, read, later, records.NOTE_COMPUTED)
    try:
        writing = store.start_writing(schema.NOTES.name, write)
    except BaseException:
        if channel is not None:
            channel.close()
        raise
    if channel is None or not writing or "all" in done:
        if "all" not in done:  # no child writes the sheet
            draw_here()
        if channel is not None:
            channel.close()
        return notes_refreshed(done["prepared"], done["all"], later), write
    prepared, drawn = split.drawn_beside_child(base, rows, channel)
    done["prepared"], done["all"] = prepared, drawn
    return notes_refreshed(prepared, drawn, later), write
