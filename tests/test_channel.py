"""The channel between a refresh's processes (``authbook.parallel.channel``), with a real
forked process at the other end."""

from __future__ import annotations

import os
import pickle
import signal
import sys

import pytest

from authbook.parallel.channel import PIPE_BYTES, Channel, ChannelClosed

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux")


def _with_a_process_that_exits() -> tuple[Channel, int]:
    """A channel to a forked process that exits at once, taking nothing and sending
    nothing; and its pid."""
    channel = Channel.open()
    pid = os.fork()
    if pid == 0:
        channel.keep_child_ends()
        os._exit(0)
    channel.keep_parent_ends()
    return channel, pid


def _child(channel: Channel, go: int, *expected: bytes) -> None:
    """In the forked process: wait for ``go``, take the messages (they must be ``expected``,
    in order), then find the parent's end closed. Never returns."""
    status = 1
    try:
        channel.keep_child_ends()
        os.read(go, 1)
        if all(channel.receive() == message for message in expected):
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
    channel, pid = _with_a_process_that_exits()
    sending = channel.send_meanwhile(pickle.dumps(b"x" * (3 * PIPE_BYTES)))
    channel.close_after(sending)
    os.waitpid(pid, 0)
    sending.join()
    assert not sending.sent


def test_a_message_received_meanwhile_is_taken_while_the_receiver_is_busy():
    """``receive_meanwhile`` takes a message larger than the pipe holds while the
    receiving process's own thread is busy elsewhere (here: waiting for the sender to say
    it has sent it all, which it can only do once every byte was taken); ``result`` then
    gives it whole."""
    channel = Channel.open()
    message = {"cells": [b"x" * 1000] * (3 * PIPE_BYTES // 1000), "end": 1}
    sent_r, sent_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(sent_w)
            channel.keep_child_ends()
            receiving = channel.receive_meanwhile()
            os.read(sent_r, 1)  # busy until the parent sent it all
            status = 0 if receiving.result() == message else 1
        finally:
            os._exit(status)
    os.close(sent_r)
    channel.keep_parent_ends()

    def stuck(*_):
        raise TimeoutError("the receiver did not take the message while busy")

    # (a receiver that did not take the bytes meanwhile would leave this send stuck)
    before = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(60)
    try:
        channel.send(pickle.dumps(message))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)
    os.write(sent_w, b"s")
    _, status = os.waitpid(pid, 0)
    os.close(sent_w)
    channel.close()
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_message_that_never_comes_is_a_closed_channel_to_its_receiver():
    channel, pid = _with_a_process_that_exits()
    receiving = channel.receive_meanwhile()
    os.waitpid(pid, 0)
    with pytest.raises(ChannelClosed):
        receiving.result()
    channel.close()


def test_messages_sent_meanwhile_one_after_another_come_in_the_order_sent():
    """A message sent ``after`` another still being sent (larger than the pipe holds, the
    other process not reading yet) follows it whole: the two never interleave on the pipe,
    and the second's thread ends with it sent."""
    channel = Channel.open()
    first, second = b"a" * (3 * PIPE_BYTES), b"b" * (2 * PIPE_BYTES)
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # takes both, in order, then finds the parent's end closed
        os.close(go_write)
        _child(channel, go_read, first, second)
    os.close(go_read)
    channel.keep_parent_ends()
    sending = channel.send_meanwhile(pickle.dumps(first))
    following = channel.send_meanwhile(pickle.dumps(second), after=sending)
    assert sending.is_alive() and following.is_alive()  # nothing read yet: both wait
    os.write(go_write, b"g")
    channel.close_after(following)
    following.join()
    _, status = os.waitpid(pid, 0)
    os.close(go_write)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sending.sent and following.sent
