"""Websocket clients of a started dashboard's /live, opened as a browser opens them, and what they receive."""

from __future__ import annotations

import base64
import json
import os
import socket as sockets
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import requests
import simple_websocket
from wsproto.frame_protocol import FrameProtocol, Opcode

from dashboard.live.connection import Connection
from tests.support.servers import Server, children, free_port

# The live-socket tests' account, and a Recrubo API nobody serves: the socket path never needs the API.
EMAIL, PASSWORD = "live@example.com", "a long password"
DEAD_API = f"http://127.0.0.1:{free_port()}/public/v2"


class Page(simple_websocket.Client):
    """simple-websocket's client, reading every frame as a browser does. Its handshake (1.1.0) reads up to 4096
    bytes and takes only the 101 answer from them: frames that came in the same read (a replay written right
    behind the answer, when the page reads late on a busy machine) stayed in wsproto's buffer, unread until more
    bytes arrived (the next ping, seconds later)."""

    def _thread(self) -> None:
        # The reader loop, the one place that feeds wsproto, first hands on what came with the answer (a close
        # among it ends the loop at once, as one read later would).
        if not self._handle_events():
            self.connected = False
        super()._thread()


def socket(server: Server, session: requests.Session | None, watch: str, since: int | None = None,
           origin: str | None = "self") -> Page:
    """A real websocket to /live with the session cookie and an Origin header, as a browser opens it."""
    url = f"{server.url.replace('http://', 'ws://')}/live?watch={watch}"
    if since is not None:
        url += f"&since={since}"
    headers = {}
    if origin is not None:
        headers["Origin"] = server.url if origin == "self" else origin
    if session is not None:
        headers["Cookie"] = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)
    return Page.connect(url, headers=headers)


def raw_upgrade(raw: sockets.socket, server: Server, session: requests.Session, watch: str,
                extra_headers: str = "") -> bytes:
    """Open /live by hand on a TCP socket the test controls byte by byte; return the answer's head. It is read a
    byte at a time, so no frame after the handshake is taken from the socket."""
    cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)
    raw.sendall((f"GET /live?watch={watch} HTTP/1.1\r\nHost: {server.url.removeprefix('http://')}\r\n"
                 f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n{extra_headers}"
                 f"Origin: {server.url}\r\nCookie: {cookie}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += raw.recv(1)
    return head


def frames(ws: simple_websocket.Client, count: int, seconds: float = 15) -> list[dict]:
    """The next frames carrying `count` pushes (a frame the hub coalesced carries several: its `seqs`), waiting at
    most `seconds` overall."""
    received, carried, deadline = [], 0, time.monotonic() + seconds
    while carried < count and time.monotonic() < deadline:
        data = ws.receive(timeout=max(0.05, deadline - time.monotonic()))
        if data is not None:
            received.append(json.loads(data))
            carried += len(received[-1].get("seqs", [None]))
    assert carried == count, f"got {carried} of {count} pushes: {received}"
    return received


def nothing_more(ws: simple_websocket.Client, seconds: float = 1.0) -> None:
    """Assert that no frame arrives within `seconds`."""
    assert ws.receive(timeout=seconds) is None


def loopback_page(buffer_bytes: int | None = None) -> tuple[sockets.socket, sockets.socket]:
    """A TCP connection as a page opens one (writes to it may be cut short): the server's end, the page's end.
    The server's end has a non-blocking descriptor whose sendall waits, which is what gevent gives every socket."""
    listener = sockets.create_server(("127.0.0.1", 0))
    page = sockets.socket()
    if buffer_bytes:
        page.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, buffer_bytes)
    page.connect(listener.getsockname())
    ours, _ = listener.accept()
    listener.close()
    if buffer_bytes:
        ours.setsockopt(sockets.SOL_SOCKET, sockets.SO_SNDBUF, buffer_bytes)
    ours.settimeout(10)
    return ours, page


def page_reads(page, count: int) -> list[tuple[Opcode, object]]:
    """The next `count` whole messages the page receives, parsed as a browser would (and checked: a frame cut
    into by another would not parse)."""
    protocol, messages, parts = FrameProtocol(client=True, extensions=[]), [], []
    while len(messages) < count:
        data = page.recv(65536)
        assert data, f"closed after {messages}"
        protocol.receive_bytes(data)
        for frame in protocol.received_frames():
            parts.append(frame.payload)
            if frame.message_finished:
                payload = parts[0] if len(parts) == 1 else type(parts[0])().join(parts)
                messages.append((frame.opcode, payload))
                parts = []
    return messages


def served(sock: sockets.socket, replay: bool = False) -> Connection:
    """A hub connection writing to `sock`, as the /live handler makes one."""
    return Connection({"flowRuns"}, SimpleNamespace(sock=sock, pong_received=True), replay=replay)


def socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets `pid` has open, read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


# Two workers: which worker holds a socket is read from /proc, not assumed.

def worker_holding(master_pid: int, client_port: int) -> int:
    """The gunicorn worker whose accepted TCP connection has our client's port as its remote end."""
    wanted = f"{client_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        columns = line.split()
        if columns[2].endswith(f":{wanted}"):
            inode = columns[9]
    assert inode, f"no server side connection to port {client_port}"
    for worker in children(master_pid):
        if inode in socket_inodes(worker):
            return worker
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def poll_health(server: Server, condition: Callable[[dict], bool], seconds: float = 20) -> requests.Response:
    """/healthz once its JSON meets `condition`, asking every 0.2 s for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = requests.get(f"{server.url}/healthz", timeout=10)
        if condition(response.json()):
            return response
        time.sleep(0.2)
    raise AssertionError(f"health never matched: {response.json()}")


def handshake_status(server: Server, *, host: str, origin: str, session: requests.Session | None = None,
                     watch: str = "flowRuns") -> int:
    """The status a /live handshake with this Host and Origin gets (101 when accepted), sent by hand, since
    simple-websocket always sends the URL's host."""
    cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies) if session else ""
    port = int(server.url.rsplit(":", 1)[1])
    with sockets.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall((f"GET /live?watch={watch} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                     f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                     f"Origin: {origin}\r\nCookie: {cookie}\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = raw.recv(1)
            if not chunk:
                break
            head += chunk
    return int(head.split()[1])


def close_code(ws: simple_websocket.Client, seconds: float = 10) -> int:
    """The code the server closes `ws` with, within `seconds` (frames arriving meanwhile are skipped)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            ws.receive(timeout=max(0.05, deadline - time.monotonic()))
        except simple_websocket.ConnectionClosed as closed:
            return closed.reason
    raise AssertionError(f"the socket was not closed within {seconds:g} s")
