"""The tests' page (`tests.support.sockets.Page`) reads what a browser would, however the server's bytes arrive."""

from __future__ import annotations

import socket as sockets
import threading

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request

from dashboard.live.frames import text_frame
from tests.support.sockets import Page, frames


def test_frames_that_arrive_in_the_same_read_as_the_handshake_answer_are_received():
    # /live writes a replay right behind its 101; a page that reads late (a busy machine) gets both in one read.
    # Written here as one write, so they always do.
    listener = sockets.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def answer() -> None:
        server, _ = listener.accept()
        with server:
            handshake, request = WSConnection(ConnectionType.SERVER), None
            while request is None:
                handshake.receive_data(server.recv(4096))
                request = next((event for event in handshake.events() if isinstance(event, Request)), None)
            server.sendall(handshake.send(AcceptConnection()) + text_frame('{"seq":3}') + text_frame('{"seq":5}'))
            done.wait()  # open until the page has read: no close may wake its reader instead

    server = threading.Thread(target=answer, daemon=True)
    server.start()
    page = Page.connect(f"ws://127.0.0.1:{listener.getsockname()[1]}/live?watch=flowRuns&since=1")
    try:
        assert [frame["seq"] for frame in frames(page, 2)] == [3, 5]
    finally:
        page.close()  # before the server's end closes, which would end the page's reader and its socket
        done.set()
        server.join()
        listener.close()
