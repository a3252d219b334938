"""A refresh's notes drawn side by side by two processes: this one and the child process the
file adapter forks to write the Notes sheet (``store.start_writing``, a large first refresh
on Linux).

The notes are split by client (``authbook.rules.parts``): this process applies and checks
the first part's, the child the second part's. The child sends its draws, units and
findings back (this process needs every one for the auths' statuses, alerts and the other
sheets), and this process sends the statuses of its part's rows to the child (which needs
every row's for the Notes sheet). Each then has the same draws, ledger, findings and
statuses a refresh in one process has: the oracle tests compare them.

If the child cannot be had or dies, this process draws the missing part itself, and the
store writes the Notes sheet itself (it works the statuses out then).

A refresh with no such child (a workbook refreshed before: every row's status is needed
before anything is written, to rewrite only the cells that change) forks a helper process
instead, on Linux: it draws the second part and makes its rows' statuses, sends both back
and exits, while this process does the first part's.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
import threading
from contextlib import suppress
from datetime import date

from authbook.models import NoteStatuses, NoteStatusesLater
from authbook.rules.parts import (
    merge_drawn,
    merge_statuses,
    pack_drawn,
    pack_statuses,
    split_notes,
    unpack_drawn,
)
from authbook.rules.refresh import (
    NotesDrawn,
    NotesRefreshed,
    draw_notes,
    notes_refreshed,
    part_statuses,
    prepare_notes,
)
from authbook.workbook import records, schema
from authbook.workbook.sheetdata import SheetRead, SheetWrite
from authbook.workbook.surgical import die_with_parent, own_memory

#: From this many notes on, a refresh whose Notes sheet is written by a child process
#: splits the notes with it.
SIDE_BY_SIDE_NOTES = 10_000
#: The shares of the notes this process and the child draw: the child has more to do
#: after (the Notes sheet) than this process (the auths, alerts and other sheets).
SHARES = (0.55, 0.45)
#: Whether a refresh that works the Notes statuses out at once (not a first refresh: no
#: child writes the Notes sheet) forks a helper process to draw half the notes (Linux only).
HELPER = sys.platform.startswith("linux")
#: What the last helper process reported of its memory (kB), as
#: ``surgical.LAST_CHILD_MEMORY`` holds the writer child's: for the benchmark.
LAST_HELPER_MEMORY: dict[str, int] = {}


def refresh_notes_writing(
    store, read: SheetRead, raw, today: date, as_of: date | None = None
) -> tuple[NotesRefreshed, SheetWrite]:
    """``rules.refresh.refresh_notes`` of ``raw``, with the Notes sheet (``read``) handed to
    ``store.start_writing`` as soon as it can be: the same result, and the Notes SheetWrite.

    When the store starts a child process for the sheet, the notes of about half the
    clients are drawn there meanwhile (see the module's docstring)."""
    prepared = prepare_notes(raw, today, as_of)
    parts = split_notes(prepared, SHARES) if len(prepared.book.notes) >= SIDE_BY_SIDE_NOTES else []
    channel = _Channel.open() if len(parts) == 2 and all(p.notes for p in parts) else None
    parent = os.getpid()
    drawn = {}

    if channel is None:  # no split: every note is drawn before the child is forked
        drawn["all"] = draw_notes(prepared)

    def draw_here() -> None:
        # no child draws: a helper process draws half, when the notes are split
        if channel is not None and _can_fork():
            drawn["all"], drawn["statuses"] = _drawn_with_helper(prepared, parts, channel)
        else:
            drawn["all"] = draw_notes(prepared)

    def statuses():
        if "all" not in drawn:
            if os.getpid() != parent:  # the child writing the sheet, the notes split
                return _child_statuses(prepared, parts, channel)
            draw_here()  # wanted at once (not a first refresh)
        if "statuses" not in drawn:
            drawn["statuses"] = part_statuses(prepared, drawn["all"])
        return drawn["statuses"]

    later = NoteStatusesLater(statuses)
    write = records.record_writes_later(schema.NOTES, read, later, records.NOTE_COMPUTED)
    try:
        writing = store.start_writing(schema.NOTES.name, write)
    except BaseException:
        if channel is not None:
            channel.close()
        raise
    if channel is None or not writing or "all" in drawn:
        if "all" not in drawn:  # no child writes the sheet
            draw_here()
        if channel is not None:
            channel.close()
        return notes_refreshed(prepared, drawn["all"], later), write
    channel.keep_parent_ends()
    sending = None
    try:
        mine = draw_notes(prepared, parts[0])
        shipped = pickle.dumps(pack_statuses(part_statuses(prepared, mine)), protocol=5)
        # sent by a thread of its own while this one takes the child's part
        sending = channel.send_meanwhile(shipped)
        del shipped
        try:
            theirs = unpack_drawn(prepared, parts[1], channel.receive())
        except _ChannelClosed:  # the child is gone: its part is drawn here
            theirs = draw_notes(prepared, parts[1])
    finally:
        if sending is not None:
            sending.join()  # done by now, or failed: the child is gone
        channel.close()
    drawn["all"] = merge_drawn([mine, theirs])
    return notes_refreshed(prepared, drawn["all"], later), write


def _can_fork() -> bool:
    """Whether a helper process may be forked now: on Linux (a cheap copy-on-write of this
    process), when no other thread runs (a fork copies only the one that calls it)."""
    return HELPER and threading.active_count() == 1


def _drawn_with_helper(prepared, parts, channel) -> tuple[NotesDrawn, NoteStatuses]:
    """Every note drawn and every row's status made, the second part by a helper process
    forked for it (it sends them back and exits) while this one does the first: what
    ``draw_notes`` and ``part_statuses`` of the whole give. If the helper cannot be had
    or dies, its part is done here. Closes ``channel``."""
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
            theirs = draw_notes(prepared, parts[1])
            packed = pack_drawn(prepared, theirs), pack_statuses(part_statuses(prepared, theirs))
            channel.send(pickle.dumps((*packed, own_memory()), protocol=5))
            status = 0
        finally:
            os._exit(status)
    theirs = None
    try:
        if pid > 0:
            channel.keep_parent_ends()
        mine = draw_notes(prepared, parts[0])
        statuses = [part_statuses(prepared, mine)]
        if pid > 0:
            with suppress(_ChannelClosed):
                packed, their_statuses, memory = channel.receive()
                theirs = unpack_drawn(prepared, parts[1], packed)
                statuses.append(their_statuses)
                LAST_HELPER_MEMORY.update(memory)
        if theirs is None:  # no helper, or it died: its part is done here
            theirs = draw_notes(prepared, parts[1])
            statuses.append(part_statuses(prepared, theirs))
    finally:
        channel.close()
        if pid > 0:
            if theirs is None:  # this process failed before it had the helper's part
                with suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            with suppress(ChildProcessError):
                os.waitpid(pid, 0)
    return merge_drawn([mine, theirs]), merge_statuses(prepared, parts, statuses)


def _child_statuses(prepared, parts, channel):
    """In the child: draw the second part, send it to the parent, make its rows' statuses,
    and merge them with the first part's the parent sends back."""
    channel.keep_child_ends()
    theirs = draw_notes(prepared, parts[1])
    sending = channel.send_meanwhile(pickle.dumps(pack_drawn(prepared, theirs), protocol=5))
    own = part_statuses(prepared, theirs)
    del theirs
    others = channel.receive()
    sending.join()
    if not sending.sent:
        raise _ChannelClosed
    return merge_statuses(prepared, parts, [others, own])


class _ChannelClosed(Exception):
    """The other process closed its end (or died) before a whole message came."""


class _Channel:
    """Two pipes between a parent and the child it forks next: one each way. Made before
    the fork; each side then keeps its own ends (``keep_parent_ends``/``keep_child_ends``).
    A message is a pickle, its length first."""

    def __init__(self, to_parent: tuple[int, int], to_child: tuple[int, int]) -> None:
        self._fds = {"from_child": to_parent[0], "to_parent": to_parent[1],
                     "from_parent": to_child[0], "to_child": to_child[1]}  # fmt: skip
        self._read = self._write = -1

    @classmethod
    def open(cls) -> _Channel | None:
        """The pipes, or None when they cannot be had (then nothing is split)."""
        made = []
        try:
            for _ in range(2):
                made.append(os.pipe())
        except OSError:
            for fds in made:
                for fd in fds:
                    os.close(fd)
            return None
        return cls(*made)

    def keep_parent_ends(self) -> None:
        self._keep("from_child", "to_child")

    def keep_child_ends(self) -> None:
        self._keep("from_parent", "to_parent")

    def _keep(self, read: str, write: str) -> None:
        self._read, self._write = self._fds.pop(read), self._fds.pop(write)
        self._close_rest()

    def send(self, data: bytes) -> None:
        """Send one message (a pickle's bytes); raises ``_ChannelClosed`` when the other side
        is gone."""
        view = memoryview(struct.pack("<Q", len(data)) + data)
        try:
            while view:
                view = view[os.write(self._write, view) :]
        except OSError as exc:  # BrokenPipeError: the other side is gone
            raise _ChannelClosed from exc

    def send_meanwhile(self, data: bytes) -> _Sending:
        """Send one message by a thread of its own (started, to be joined), while this
        thread goes on: each side sends while the other may be sending too."""
        sending = _Sending(self, data)
        sending.start()
        return sending

    def receive(self):
        """The next message, unpickled; raises ``_ChannelClosed`` when the other side closed
        before a whole one came."""
        size = struct.unpack("<Q", self._read_exactly(8))[0]
        return pickle.loads(self._read_exactly(size))

    def _read_exactly(self, size: int) -> bytes:
        data = bytearray(size)
        view, got = memoryview(data), 0
        while got < size:
            n = os.readv(self._read, [view[got:]])
            if n == 0:
                raise _ChannelClosed
            got += n
        return data

    def _close_rest(self) -> None:
        for fd in self._fds.values():
            with suppress(OSError):
                os.close(fd)
        self._fds = {}

    def close(self) -> None:
        self._close_rest()
        for fd in (self._read, self._write):
            if fd >= 0:
                with suppress(OSError):
                    os.close(fd)
        self._read = self._write = -1


class _Sending(threading.Thread):
    """A message being sent (``_Channel.send_meanwhile``); ``sent`` once it all went."""

    def __init__(self, channel: _Channel, data: bytes) -> None:
        super().__init__(daemon=True)
        self._channel, self._data, self.sent = channel, data, False

    def run(self) -> None:
        try:
            self._channel.send(self._data)
            self.sent = True
        except _ChannelClosed:  # the other side is gone: it sees to it
            pass
        finally:
            self._data = b""
