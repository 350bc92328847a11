"""The hand-made send path (`dashboard/live/connection.py`): frames written without waiting, a bounded queue for a
slow page, one guard for every write (simple-websocket's pongs and close replies too), and the internals it needs."""

from __future__ import annotations

import base64
import inspect
import os
import re
import threading
import time

import pytest
import simple_websocket
from wsproto.frame_protocol import FrameProtocol, Opcode

from dashboard.live import connection as send_path
from dashboard.live.connection import QUEUE_LIMIT, Connection, GuardedSocket, ReaderInHandler
from dashboard.live.frames import close_frame, text_frame
from tests.support.sockets import loopback_page, page_reads, served


def accepted(ours, page) -> simple_websocket.Server:
    """A real simple-websocket Server on `ours`, as flask-sock makes one, after the page's handshake."""
    environ = {"werkzeug.socket": ours, "HTTP_HOST": "127.0.0.1", "HTTP_UPGRADE": "websocket",
               "HTTP_CONNECTION": "Upgrade", "HTTP_SEC_WEBSOCKET_VERSION": "13",
               "HTTP_SEC_WEBSOCKET_KEY": base64.b64encode(os.urandom(16)).decode()}
    ws = simple_websocket.Server(environ, thread_class=ReaderInHandler, max_message_size=4096)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += page.recv(1)
    assert answer.startswith(b"HTTP/1.1 101")
    return ws


def wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.01)


def test_a_connection_that_falls_behind_is_closed_with_1013_not_blocked():
    connection = Connection({"flowRuns"})
    for seq in range(QUEUE_LIMIT):
        assert connection.offer(seq, "frame")
    assert connection.close_code is None
    assert not connection.offer(QUEUE_LIMIT, "one too many")
    assert connection.close_code == 1013 and not connection.frames  # memory given back at once


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_frames_are_encoded_once_exactly_as_wsproto_would(size):
    from wsproto.frame_protocol import FrameProtocol

    text = ("é" * size)[:size] if size % 2 else "a" * size
    assert text_frame(text) == FrameProtocol(client=False, extensions=[]).send_data(text, fin=True)


def test_a_slow_page_never_blocks_the_hub_and_still_gets_every_byte_in_order():
    ours, page = loopback_page(32768)  # small buffers: a slow page fills them soon
    connection = served(ours)
    sent = [text_frame(f"push {seq} " + "x" * 50_000) for seq in range(QUEUE_LIMIT)]
    for seq, frame in enumerate(sent):
        assert connection.offer(seq, frame)  # nobody reads yet: the kernel's buffer fills, nothing blocks
    assert connection.writing and connection.frames  # the rest waits for the writer, in order
    received = bytearray()
    total = sum(map(len, sent))
    while len(received) < total:  # the page reads, slowly: the writer thread sends the rest
        chunk = page.recv(65536)
        assert chunk, "the connection closed early"
        received.extend(chunk)
    assert bytes(received) == b"".join(sent)
    deadline = time.monotonic() + 5
    while connection.writing and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not connection.writing  # the writer ended once it caught up: no thread per idle page
    ours.close()
    page.close()


def test_a_page_being_replayed_to_gets_no_live_frame_before_or_twice():
    ours, page = loopback_page()
    connection = served(ours, replay=True)
    live = [text_frame(f"live {seq}") for seq in (7, 8)]
    for seq, frame in zip((7, 8), live, strict=True):
        assert connection.offer(seq, frame)  # registered, replay not sent yet: queued, not written
    page.settimeout(0.2)
    with pytest.raises(TimeoutError):
        page.recv(100)
    replay = text_frame("replayed 7")
    with connection.replaying():  # the handler sends what the page missed, seq 7 among it
        assert connection.replay(7, replay)
    expected = replay + live[1]  # 7 once (from the replay), then 8
    received = b""
    page.settimeout(5)
    while len(received) < len(expected):
        received += page.recv(100)
    assert received == expected
    ours.close()
    page.close()


@pytest.mark.parametrize("window", [0.0, 0.02])
def test_a_push_the_replay_sent_is_not_written_again_when_the_hub_delivers_it_late(window):
    # The reconnect storm's duplicates: the publisher stored seq 7, then yielded before handing it to the hub; the
    # reconnecting page's replay read 7 from the push log meanwhile, and the hub delivered 7 after the hand-over.
    ours, page = loopback_page()
    connection = served(ours, replay=True)
    replay = text_frame("replayed 7")
    with connection.replaying():
        assert connection.replay(7, replay)
    late, after = text_frame("live 7"), text_frame("live 8")
    now = time.monotonic()
    connection.push(7, "live 7", late, now, window)
    connection.push(8, "live 8", after, now, window)
    connection.flush(now, window, lambda held: (held[-1][0], b"".join(data for _, _, data in held)))
    expected = replay + after  # 7 once (from the replay), then 8
    received = b""
    page.settimeout(5)
    while len(received) < len(expected):
        received += page.recv(100)
    page.settimeout(0.2)
    with pytest.raises(TimeoutError):
        received += page.recv(100)
    assert received == expected
    ours.close()
    page.close()


@pytest.mark.parametrize(("code", "reason"), [(1012, "server restart"), (1013, "catch up"), (1000, "")])
def test_close_frames_are_encoded_as_wsproto_would(code, reason):
    assert close_frame(code, reason) == FrameProtocol(client=False, extensions=[]).close(code, reason)


def test_every_simple_websocket_internal_the_send_path_relies_on_is_still_there():
    source = inspect.getsource(simple_websocket.ws.Base) + inspect.getsource(simple_websocket.ws.Server)
    for name in send_path.SIMPLE_WEBSOCKET_INTERNALS:  # each one named in the module's docstring
        assert f"`{name}`" in send_path.__doc__ or f"`ws.{name}`" in send_path.__doc__, name
    # Every call simple-websocket makes on its socket is one the guarded socket answers: none writes around it.
    calls = set(re.findall(r"self\.sock\.(\w+)", source))
    assert calls and calls <= {name for name in dir(GuardedSocket) if not name.startswith("_")}, calls
    assert "thread_class" in inspect.signature(simple_websocket.Server).parameters
    assert "thread_class(target=self._thread)" in source and "self.thread.start()" in source
    assert "self.pong_received = True" in source and "self.input_buffer.append(" in source
    ours, page = loopback_page()
    ws = accepted(ours, page)  # a real connected instance has each of them
    assert isinstance(ws.thread, ReaderInHandler) and ws.sock is ours and ws.pong_received is True
    assert isinstance(ws.input_buffer, list)
    Connection({"flowRuns"}, ws)
    assert isinstance(ws.sock, GuardedSocket)
    ours.close()
    page.close()


def test_a_pong_never_cuts_into_a_frame_being_written_and_goes_before_waiting_pushes():
    ours, page = loopback_page(32768)
    connection = Connection({"flowRuns"}, accepted(ours, page))
    pushes = [f"push {seq} " + "x" * 200_000 for seq in (1, 2)]
    for seq, text in zip((1, 2), pushes, strict=True):
        assert connection.offer(seq, text_frame(text))  # the first is cut short: the page is not reading yet
    assert connection.writing  # the writer thread sends the rest when the page reads
    reader = threading.Thread(target=connection.read_until_gone, daemon=True)
    reader.start()
    page.sendall(FrameProtocol(client=True, extensions=[]).ping(b"are you there"))
    wait_for(lambda: connection.control)  # simple-websocket answered: its pong waits behind the cut-short frame
    assert page_reads(page, 3) == [(Opcode.TEXT, pushes[0]), (Opcode.PONG, b"are you there"),
                                   (Opcode.TEXT, pushes[1])]
    page.sendall(FrameProtocol(client=True, extensions=[]).close(1001))
    assert page_reads(page, 1) == [(Opcode.CLOSE, (1001, ""))]  # the close handshake, answered through the guard
    reader.join(timeout=10)
    assert connection.gone and not reader.is_alive()
    page.close()


def test_a_close_reply_waits_for_the_frame_being_written_and_nothing_follows_it():
    ours, page = loopback_page(32768)
    connection = Connection({"flowRuns"}, accepted(ours, page))
    first, second = "first " + "x" * 200_000, "second"
    assert connection.offer(1, text_frame(first)) and connection.offer(2, text_frame(second))
    reader = threading.Thread(target=connection.read_until_gone, daemon=True)
    reader.start()
    page.sendall(FrameProtocol(client=True, extensions=[]).close(1001))  # the tab closes mid-frame
    wait_for(lambda: connection.closed)
    assert not connection.offer(3, text_frame("too late"))
    # The rest of the frame, then the close reply (the waiting push is dropped: the page will not read it).
    assert page_reads(page, 2) == [(Opcode.TEXT, first), (Opcode.CLOSE, (1001, ""))]
    page.settimeout(10)
    assert page.recv(100) == b""  # then the socket closes
    reader.join(timeout=10)
    page.close()


def test_a_dropped_page_gets_one_close_after_the_frame_being_written():
    ours, page = loopback_page(32768)
    connection = served(ours)
    text = "cut short " + "x" * 200_000
    assert connection.offer(1, text_frame(text)) and connection.writing
    connection.drop(1012)
    connection.send_control(close_frame(1000))  # e.g. flask-sock closing after the handler: not a second close
    assert not connection.offer(2, text_frame("after the close"))
    assert page_reads(page, 2) == [(Opcode.TEXT, text), (Opcode.CLOSE, (1012, "server restart"))]
    wait_for(lambda: not connection.writing)
    page.settimeout(0.2)
    with pytest.raises(TimeoutError):
        page.recv(100)
    ours.close()
    page.close()
