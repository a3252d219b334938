"""The two-process half of ``parallel.notes``: what a refresh does once its notes are split
by client (``rules.parts.split_rows``), from this many notes on
(``notes.SIDE_BY_SIDE_NOTES``). A smaller refresh never imports it.

- ``drawn_beside_child``: this process's part, while the child writing the Notes sheet
  (``store.start_writing``) draws the other (``child_statuses``, run in the child);
- ``drawn_with_helper``: the same with a helper process forked for it, when no child
  writes the sheet (a refresh after the first).

What crosses between the processes is ``rules.parts``' packed lists, over a
``parallel.channel.Channel``.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from contextlib import suppress

from authbook.models import NoteStatuses
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
    apply_part,
    check_texts,
    checked_part,
    draw_notes,
    part_statuses,
    unchecked_statuses,
    with_check_texts,
    with_notes,
)

__all__ = [
    "Channel",
    "can_fork",
    "child_statuses",
    "drawn_beside_child",
    "drawn_with_helper",
    "split_rows",
]


def drawn_beside_child(
    base: NotesPrepared, rows: list[list[int]], channel: Channel
) -> tuple[NotesPrepared, NotesDrawn]:
    """In this process, once a child writing the Notes sheet was started (it runs
    ``child_statuses``): build, draw and give their statuses to the notes of the first part
    of ``rows``, send the statuses to the child (as the draws tell them, then the checks'
    findings), and take its part's draws (built and drawn here if it is gone). The whole
    book and every note drawn; closes ``channel``."""
    channel.keep_parent_ends()
    sending = None
    try:
        book = with_notes(base, rows[0])
        applied = apply_part(book)
        # the statuses go in two messages, each sent by a thread of its own: as the draws
        # tell them, which the child puts in place while the checks run here, then the
        # Checks the checks found (a few rows' worth)
        unchecked = pickle.dumps(pack_statuses(unchecked_statuses(book, applied)), protocol=5)
        sending = channel.send_meanwhile(unchecked)
        del unchecked
        mine = checked_part(book, applied)
        texts = pickle.dumps(check_texts(book, mine), protocol=5)
        sending = channel.send_meanwhile(texts, after=sending)
        del texts, applied
        prepared, parts, theirs = _joined(base, book, rows, channel)
        del book  # the parts' own books (the rows they were built from) are not kept
    finally:
        # not waiting for the statuses to be taken: the child takes them once it has made
        # its own part's (a send that fails means the child is gone: the store sees to it)
        channel.close_after(sending)
    return prepared, merge_drawn([as_part_of(mine, parts[0]), theirs])


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


def can_fork(helper: bool) -> bool:
    """Whether a helper process may be forked now: when ``helper`` (``notes.HELPER``: on
    Linux, a cheap copy-on-write of this process) and no other thread runs (a fork copies
    only the one that calls it)."""
    return helper and threading.active_count() == 1


def drawn_with_helper(
    base: NotesPrepared, rows: list[list[int]], channel, memory: dict[str, int]
) -> tuple[NotesPrepared, NotesDrawn, NoteStatuses]:
    """The whole book, every note drawn and every row's status made, the notes of the
    second part of ``rows`` built, drawn and given their statuses by a helper process
    forked for it (it sends them back and exits) while this one does the first part: what
    ``with_notes(base)``, then ``draw_notes`` and ``part_statuses`` of the whole give. If
    the helper cannot be had or dies, its part is drawn here. Closes ``channel``. What the
    helper reported of its memory is put in ``memory`` (``notes.LAST_HELPER_MEMORY``)."""
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
            drawn = pack_built(base, book), pack_drawn(theirs)
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
                (built, packed), their_statuses, reported = channel.receive()
                prepared, parts = join_packed(base, book, rows, built)
                theirs = unpack_drawn(prepared, parts[1], packed)
                statuses.append(their_statuses)
                memory.update(reported)
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


#: What the child writing the Notes sheet keeps until it ends (``os._exit``, nothing freed):
#: its part's notes and draws. Freed one by one they took ~0.12 s at 500,000 notes, between
#: its part's statuses and the Notes sheet's first row, while the parent's statuses may
#: already be there; kept, the child's peak memory stays below the parent's (~500 against
#: ~570 MB, measured).
_KEPT_UNTIL_EXIT: list = []


def child_statuses(base: NotesPrepared, rows: list[list[int]], channel) -> NoteStatuses:
    """In the child: build and draw the notes of the second part of ``rows``, send them to
    the parent, make their rows' statuses, and merge them with the first part's the parent
    sends back (as its draws tell them, merged while its checks run, then its Checks)."""
    channel.keep_child_ends()
    book = with_notes(base, rows[1])
    theirs = draw_notes(book)
    packed = pack_built(base, book), pack_drawn(theirs)
    sending = channel.send_meanwhile(pickle.dumps(packed, protocol=5))
    del packed
    # the parent's statuses are taken as they come, while this part's are made
    receiving = channel.receive_meanwhile()
    own = part_statuses(book, theirs)
    _KEPT_UNTIL_EXIT.append((book, theirs))
    del book, theirs
    others = receiving.result()
    receiving = channel.receive_meanwhile()
    merged = merge_statuses(base, rows, [others, own])
    del others
    texts = receiving.result()
    sending.join()
    if not sending.sent:
        raise ChannelClosed
    return with_check_texts(merged, texts, rows[0])
