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
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from contextlib import suppress
from datetime import date

from authbook.models import NoteStatuses, NoteStatusesLater
from authbook.parallel.channel import Channel, ChannelClosed, die_with_parent, own_memory
from authbook.rules.parts import (
    as_part_of,
    join_built,
    join_packed,
    merge_drawn,
    merge_statuses,
    pack_built,
    pack_drawn,
    pack_statuses,
    split_rows,
    unpack_drawn,
)
from authbook.rules.refresh import (
    NotesDrawn,
    NotesPrepared,
    NotesRefreshed,
    draw_notes,
    notes_refreshed,
    part_statuses,
    prepare_base,
    with_notes,
)
from authbook.workbook import records, schema
from authbook.workbook.sheetdata import SheetRead, SheetWrite

#: From this many notes on, a refresh whose Notes sheet is written by a child process
#: splits the notes with it.
SIDE_BY_SIDE_NOTES = 10_000
#: The shares of the Notes rows this process and the child build and draw: the child has
#: the Notes sheet to write after; this process the other part's notes to build (it needs
#: every note) and the auths, alerts and other sheets. Even, measured.
SHARES = (0.5, 0.5)
#: Whether a refresh that works the Notes statuses out at once (not a first refresh: no
#: child writes the Notes sheet) forks a helper process to draw half the notes (Linux only).
HELPER = sys.platform.startswith("linux")
#: What the last helper process reported of its memory (kB), as
#: ``xlsx.child.LAST_CHILD_MEMORY`` holds the writer child's: for the benchmark.
LAST_HELPER_MEMORY: dict[str, int] = {}


def refresh_notes_writing(
    store, read: SheetRead, raw, today: date, as_of: date | None = None
) -> tuple[NotesRefreshed, SheetWrite]:
    """``rules.refresh.refresh_notes`` of ``raw``, with the Notes sheet (``read``) handed to
    ``store.start_writing`` as soon as it can be: the same result, and the Notes SheetWrite.

    When the store starts a child process for the sheet, the notes of about half the
    clients are built and drawn there meanwhile (see the module's docstring)."""
    base = prepare_base(raw, today, as_of)
    rows = split_rows(base, SHARES) if len(base.raw.notes) >= SIDE_BY_SIDE_NOTES else []
    channel = Channel.open() if len(rows) == 2 and all(rows) else None
    parent = os.getpid()
    done = {}  # "prepared": the whole book; "all": every note drawn; "statuses"

    def draw_here() -> None:
        # no child draws: a helper process builds and draws half, when the rows are split
        if channel is not None and _can_fork():
            done["prepared"], done["all"], done["statuses"] = _drawn_with_helper(
                base, rows, channel
            )
        else:
            done["prepared"] = with_notes(base)
            done["all"] = draw_notes(done["prepared"])

    if channel is None:  # no split: every note is drawn before the child is forked
        draw_here()

    def statuses():
        if "all" not in done:
            if os.getpid() != parent:  # the child writing the sheet, the rows split
                return _child_statuses(base, rows, channel)
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
    channel.keep_parent_ends()
    sending = None
    try:
        book = with_notes(base, rows[0])
        mine = draw_notes(book)
        shipped = pickle.dumps(pack_statuses(part_statuses(book, mine)), protocol=5)
        # sent by a thread of its own while this one takes the child's draws
        sending = channel.send_meanwhile(shipped)
        del shipped
        prepared, parts, theirs = _joined(base, book, rows, channel)
        del book  # the parts' own books (the rows they were built from) are not kept
    finally:
        # not waiting for the statuses to be taken: the child takes them once it has made
        # its own part's (a send that fails means the child is gone: the store sees to it)
        channel.close_after(sending)
    done["prepared"] = prepared
    done["all"] = merge_drawn([as_part_of(mine, parts[0]), theirs])
    return notes_refreshed(prepared, done["all"], later), write


def _joined(base: NotesPrepared, book: NotesPrepared, rows: list[list[int]], channel):
    """The whole book, its parts, and the second part's notes drawn: taken from the other
    process (``pack_built``, ``pack_drawn``), its notes left unbuilt (``join_packed``);
    built and drawn here if it is gone. ``book``: the first part's, built here."""
    try:
        built, packed = channel.receive()
    except ChannelClosed:  # the other process is gone: its part is done here
        prepared, parts = join_built(base, [book, with_notes(base, rows[1])], rows)
        return prepared, parts, draw_notes(prepared, parts[1])
    prepared, parts = join_packed(base, book, rows, built)
    return prepared, parts, unpack_drawn(prepared, parts[1], packed)


def _can_fork() -> bool:
    """Whether a helper process may be forked now: on Linux (a cheap copy-on-write of this
    process), when no other thread runs (a fork copies only the one that calls it)."""
    return HELPER and threading.active_count() == 1


def _drawn_with_helper(
    base: NotesPrepared, rows: list[list[int]], channel
) -> tuple[NotesPrepared, NotesDrawn, NoteStatuses]:
    """The whole book, every note drawn and every row's status made, the notes of the
    second part of ``rows`` built, drawn and given their statuses by a helper process
    forked for it (it sends them back and exits) while this one does the first part: what
    ``with_notes(base)``, then ``draw_notes`` and ``part_statuses`` of the whole give. If
    the helper cannot be had or dies, its part is drawn here. Closes ``channel``."""
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        pid = -1
    if pid == 0:  # the helper: never returns
        status = 1
        try:
            die_with_parent(parent)
            channel.keep_child_ends()
            book = with_notes(base, rows[1])
            theirs = draw_notes(book)
            drawn = pack_built(base, book), pack_drawn(book, theirs)
            statuses = pack_statuses(part_statuses(book, theirs))
            channel.send(pickle.dumps((drawn, statuses, own_memory()), protocol=5))
            status = 0
        finally:
            os._exit(status)
    theirs = None
    try:
        if pid > 0:
            channel.keep_parent_ends()
        book = with_notes(base, rows[0])
        mine = draw_notes(book)
        statuses = [part_statuses(book, mine)]
        if pid > 0:
            with suppress(ChannelClosed):
                (built, packed), their_statuses, memory = channel.receive()
                prepared, parts = join_packed(base, book, rows, built)
                theirs = unpack_drawn(prepared, parts[1], packed)
                statuses.append(their_statuses)
                LAST_HELPER_MEMORY.update(memory)
        if theirs is None:  # no helper, or it died: its part is done here
            prepared, parts = join_built(base, [book, with_notes(base, rows[1])], rows)
            theirs = draw_notes(prepared, parts[1])
            statuses.append(part_statuses(prepared, theirs))
        del book  # the parts' own books (the rows they were built from) are not kept
    finally:
        channel.close()
        if pid > 0:
            if theirs is None:  # this process failed before it had the helper's part
                with suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            with suppress(ChildProcessError):
                os.waitpid(pid, 0)
    drawn = merge_drawn([as_part_of(mine, parts[0]), theirs])
    return prepared, drawn, merge_statuses(prepared, rows, statuses)


def _child_statuses(base: NotesPrepared, rows: list[list[int]], channel) -> NoteStatuses:
    """In the child: build and draw the notes of the second part of ``rows``, send them to
    the parent, make their rows' statuses, and merge them with the first part's the parent
    sends back."""
    channel.keep_child_ends()
    book = with_notes(base, rows[1])
    theirs = draw_notes(book)
    packed = pack_built(base, book), pack_drawn(book, theirs)
    sending = channel.send_meanwhile(pickle.dumps(packed, protocol=5))
    del packed
    own = part_statuses(book, theirs)
    del book, theirs  # freed while the parent makes its part's statuses
    others = channel.receive()
    sending.join()
    if not sending.sent:
        raise ChannelClosed
    return merge_statuses(base, rows, [others, own])
