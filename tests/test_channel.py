"""The channel between a refresh's processes (``authbook.parallel.channel``), with a real
forked process at the other end."""

from __future__ import annotations

import os
import pickle
import sys

import pytest

from authbook.parallel.channel import PIPE_BYTES, Channel, ChannelClosed

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux")


def _child(channel: Channel, go: int, expected: bytes) -> None:
    """In the forked process: wait for ``go``, take one message (it must be ``expected``),
    then find the parent's end closed. Never returns."""
    status = 1
    try:
        channel.keep_child_ends()
        os.read(go, 1)
        if channel.receive() == expected:
            try:
                channel.receive()
            except ChannelClosed:
                status = 0
    finally:
        os._exit(status)


@pytest.mark.parametrize("taken", ["after", "before"])
def test_a_message_sent_meanwhile_is_taken_after_the_sender_closed_its_side(taken):
    """``close_after`` does not wait for the other process to take a message larger than
    the pipe holds: the sending thread goes on alone and closes its end once the message
    went, so the other process gets the whole message and then the end of the channel."""
    channel = Channel.open()
    message = b"x" * (3 * PIPE_BYTES)
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(go_write)
        _child(channel, go_read, message)
    os.close(go_read)
    channel.keep_parent_ends()
    sending = channel.send_meanwhile(pickle.dumps(message))
    if taken == "before":  # the message is taken before the sender closes its side
        os.write(go_write, b"g")
        sending.join()
        assert sending.sent
    channel.close_after(sending)
    if taken == "after":  # three pipefuls: the thread cannot be done before the child reads
        assert sending.is_alive()
        os.write(go_write, b"g")
    sending.join()
    _, status = os.waitpid(pid, 0)
    os.close(go_write)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sending.sent


def test_a_message_the_other_process_never_takes_ends_its_thread():
    """A process that dies before taking the message: the sending thread ends (the send
    failed) instead of waiting for ever, and says it was not sent."""
    channel = Channel.open()
    pid = os.fork()
    if pid == 0:
        channel.keep_child_ends()
        os._exit(0)
    channel.keep_parent_ends()
    sending = channel.send_meanwhile(pickle.dumps(b"x" * (3 * PIPE_BYTES)))
    channel.close_after(sending)
    os.waitpid(pid, 0)
    sending.join()
    assert not sending.sent
