"""The one channel between AuthBook's processes, and what a forked process does first.

Two kinds of process are forked (Linux only; ``benchmarks/mechanisms.py`` measures what each
buys): the surgical writer's child writing the largest sheet of a first refresh
(``workbook.xlsx.child``) and the helper drawing half the notes (``parallel.notes``). Both
talk to their parent through a ``Channel``: two pipes, one each way, made before the fork,
each message a pickle with its length first. A forked process calls ``die_with_parent``
first, so a refresh killed meanwhile leaves no process behind, and reports ``own_memory``
for the benchmark.

This module imports nothing else of AuthBook: the writer (``workbook``) uses it too.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import threading
from contextlib import suppress


def die_with_parent(parent: int | None = None) -> None:
    """Have Linux kill this child when its parent dies (a refresh killed mid-save): nothing
    is left writing a part no one will read. ``parent``: exit at once if it is gone already
    (it died before this was set)."""
    with suppress(Exception):
        # ctypes only in a forked process, to ask Linux for this
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def own_memory() -> dict[str, int]:
    """This process's peak resident memory and the pages it does not share (kB)."""
    found = {}
    with suppress(OSError):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    found["peak"] = int(line.split()[1])
        with open("/proc/self/smaps_rollup") as f:
            private = [line for line in f if line.startswith(("Private_Clean", "Private_Dirty"))]
            found["own"] = sum(int(line.split()[1]) for line in private)
    return found


class ChannelClosed(Exception):
    """The other process closed its end (or died) before a whole message came."""


class Channel:
    """Two pipes between a parent and the child it forks next: one each way. Made before
    the fork; each side then keeps its own ends (``keep_parent_ends``/``keep_child_ends``).
    A message is a pickle, its length first."""

    def __init__(self, to_parent: tuple[int, int], to_child: tuple[int, int]) -> None:
        self._fds = {"from_child": to_parent[0], "to_parent": to_parent[1],
                     "from_parent": to_child[0], "to_child": to_child[1]}  # fmt: skip
        self._read = self._write = -1

    @classmethod
    def open(cls) -> Channel | None:
        """The pipes, or None when they cannot be had (then nothing is split)."""
        made = []
        try:
            for _ in range(2):
                made.append(os.pipe())
                widen(made[-1][1])
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
        """Send one message (a pickle's bytes); raises ``ChannelClosed`` when the other side
        is gone."""
        view = memoryview(struct.pack("<Q", len(data)) + data)
        try:
            while view:
                view = view[os.write(self._write, view) :]
        except OSError as exc:  # BrokenPipeError: the other side is gone
            raise ChannelClosed from exc

    def send_meanwhile(self, data: bytes, after: Sending | None = None) -> Sending:
        """Send one message by a thread of its own (started, to be joined), while this
        thread goes on: each side sends while the other may be sending too. ``after``: a
        message still being sent, which this one follows (once it is all sent)."""
        sending = Sending(self, data, after)
        sending.start()
        return sending

    def receive(self):
        """The next message, unpickled; raises ``ChannelClosed`` when the other side closed
        before a whole one came."""
        return pickle.loads(self._read_message())

    def receive_meanwhile(self) -> Receiving:
        """Take the next message's bytes by a thread of its own (started) while this thread
        goes on; ``result()`` then unpickles it here. The other side's sending thread need
        not wait for this one to be free to read (a pipeful at a time)."""
        receiving = Receiving(self)
        receiving.start()
        return receiving

    def _read_message(self) -> bytearray:
        size = struct.unpack("<Q", self._read_exactly(8))[0]
        return self._read_exactly(size)

    def _read_exactly(self, size: int) -> bytes:
        data = bytearray(size)
        view, got = memoryview(data), 0
        while got < size:
            n = os.readv(self._read, [view[got:]])
            if n == 0:
                raise ChannelClosed
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

    def close_after(self, sending: Sending | None) -> None:
        """``close``, but for the end ``sending`` (a message sent meanwhile, or None) is
        still writing to: that one is closed once the message is all sent, by the sending
        thread. The caller goes on without waiting for the other process to take it (it
        may be busy for a while yet)."""
        if sending is None:
            self.close()
            return
        self._close_rest()
        if self._read >= 0:
            with suppress(OSError):
                os.close(self._read)
            self._read = -1
        sending.close_when_sent()

    def _close_writing(self) -> None:
        fd, self._write = self._write, -1
        if fd >= 0:
            with suppress(OSError):
                os.close(fd)


#: How many bytes a channel's pipe holds (Linux lets a process ask for up to 1 MiB).
PIPE_BYTES = 1 << 20


def widen(fd: int) -> None:
    """Have the pipe of ``fd`` hold ``PIPE_BYTES`` (Linux; elsewhere it stays as it is). A
    message sent by a thread while the main thread computes goes a pipeful per turn the
    thread gets at the interpreter (every few ms): with the default 64 KiB, the statuses
    of 250,000 rows took ~0.7 s to reach the child waiting for them (measured)."""
    with suppress(ImportError, AttributeError, OSError):
        import fcntl  # not on Windows

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class Sending(threading.Thread):
    """A message being sent (``Channel.send_meanwhile``); ``sent`` once it all went."""

    def __init__(self, channel: Channel, data: bytes, after: Sending | None = None) -> None:
        super().__init__(daemon=True)
        self._channel, self._data, self.sent = channel, data, False
        self._after = after
        # whether the message went (or failed), and whether its end is to be closed then
        self._lock, self._ended, self._close = threading.Lock(), False, False

    def run(self) -> None:
        try:
            if self._after is not None:
                self._after.join()
                self._after = None
            self._channel.send(self._data)
            self.sent = True
        except ChannelClosed:  # the other side is gone: it sees to it
            pass
        finally:
            self._data = b""
            with self._lock:
                self._ended, close = True, self._close
            if close:
                self._channel._close_writing()

    def close_when_sent(self) -> None:
        """Close the channel's writing end once the message is sent (now if it is)."""
        with self._lock:
            if not self._ended:
                self._close = True
                return
        self._channel._close_writing()


class Receiving(threading.Thread):
    """A message being received (``Channel.receive_meanwhile``): its bytes read by this
    thread, which mostly waits outside the interpreter's lock (reading a pipe), then
    unpickled by whoever asks for the ``result``."""

    def __init__(self, channel: Channel) -> None:
        super().__init__(daemon=True)
        self._channel = channel
        self._data: bytearray | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._data = self._channel._read_message()
        except BaseException as exc:  # ChannelClosed (the other side is gone), an OSError
            self._error = exc

    def result(self):
        """The message, unpickled, once it all came; raises what reading it raised
        (``ChannelClosed`` when the other side closed first)."""
        self.join()
        if self._error is not None:
            raise self._error
        data, self._data = self._data, None
        return pickle.loads(data)
