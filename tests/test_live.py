"""`/live` under gunicorn + gevent with real sockets: pushes, refusals, catch-up, close codes, Redis fan-out."""

from __future__ import annotations

import json
import os
import socket as sockets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import simple_websocket

from dashboard.live.connection import QUEUE_LIMIT, Connection, text_frame
from sandbox.defaults import DEMO_WEBHOOK_SECRET
from tests.support.accounts import create_account, signed_in_session
from tests.support.payloads import payload
from tests.support.servers import free_port, server_environment, start_dashboard, stop

EMAIL, PASSWORD = "live@example.com", "a long password"
DEAD_API = f"http://127.0.0.1:{free_port()}/public/v2"  # the socket path never needs the API


def socket(server, session: requests.Session | None, watch: str, since: int | None = None,
           origin: str | None = "self") -> simple_websocket.Client:
    """A real websocket to /live with the session cookie and an Origin header, as a browser opens it."""
    url = f"{server.url.replace('http://', 'ws://')}/live?watch={watch}"
    if since is not None:
        url += f"&since={since}"
    headers = {}
    if origin is not None:
        headers["Origin"] = server.url if origin == "self" else origin
    if session is not None:
        headers["Cookie"] = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)
    return simple_websocket.Client.connect(url, headers=headers)


def deliver(server, document: dict) -> None:
    response = requests.post(f"{server.url}/webhooks/recrubo", data=json.dumps(document), timeout=10,
                             headers={"Content-Type": "application/vnd.api+json",
                                      "X-Recrubo-Webhook-Secret": DEMO_WEBHOOK_SECRET})
    assert response.status_code == 200, response.text


def frames(ws: simple_websocket.Client, count: int, seconds: float = 15) -> list[dict]:
    """The next `count` frames, waiting at most `seconds` overall."""
    received, deadline = [], time.monotonic() + seconds
    while len(received) < count and time.monotonic() < deadline:
        data = ws.receive(timeout=max(0.05, deadline - time.monotonic()))
        if data is not None:
            received.append(json.loads(data))
    assert len(received) == count, f"got {len(received)} of {count} frames: {received}"
    return received


def nothing_more(ws: simple_websocket.Client, seconds: float = 1.0) -> None:
    assert ws.receive(timeout=seconds) is None


@pytest.fixture(scope="module", params=["memory", "redis"])
def dashboard(request, tmp_path_factory):
    """One worker pushing in memory, then the same through Redis pub/sub: every socket test runs on both."""
    backend = {"REDIS_URL": request.getfixturevalue("shared_redis").database(2)} if request.param == "redis" else {}
    server = start_dashboard(tmp_path_factory.mktemp("live-sockets"), RECRUBO_API_URL=DEAD_API, **backend)
    assert requests.get(f"{server.url}/healthz", timeout=10).json()["live_backend"] == request.param
    create_account(server, EMAIL, PASSWORD)
    yield server
    stop(server.process)


@pytest.fixture()
def session(dashboard):
    session = signed_in_session(dashboard, EMAIL, PASSWORD)
    yield session
    session.close()  # an idle keep-alive connection would hold the server's shutdown for seconds


def test_socket_receives_the_row_partial_after_a_webhook(dashboard, session):
    ws = socket(dashboard, session, "flowRuns")
    try:
        run = str(uuid.uuid4())
        deliver(dashboard, payload(run, event="create", status="queued", fields=[]))
        deliver(dashboard, payload(run, status="finished", updated_at="2026-11-23T10:00:09+00:00"))
        created, finished = frames(ws, 2)
        assert created["seq"] < finished["seq"]
        assert f'<hx-partial hx-target="#flow-runs-rows[data-live-inserts]" hx-swap="afterbegin">' \
               f'<tr id="flow-run-{run}">' in created["content"]
        assert f'<hx-partial hx-target="#flow-run-{run}" hx-swap="outerHTML"><tr id="flow-run-{run}">' \
               in finished["content"]
        assert "status-finished" in finished["content"]
        assert finished["announce"] == f"Flow run {run[:8]} finished."
    finally:
        ws.close()


def test_socket_gets_only_the_channels_it_watches(dashboard, session):
    ws = socket(dashboard, session, "flowGenerations")
    try:
        deliver(dashboard, payload(event="update", status="running"))  # a flowRuns event
        generation = payload(resource_type="flowGenerations", status="finished")
        deliver(dashboard, generation)
        [frame] = frames(ws, 1)
        assert f'id="flow-generation-{generation["data"]["attributes"]["resource"]["id"]}"' in frame["content"]
        nothing_more(ws, 0.5)
    finally:
        ws.close()


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:1", "null", None])
def test_foreign_or_missing_origin_is_refused_before_the_handshake(dashboard, session, origin):
    with pytest.raises(simple_websocket.ConnectionError) as refused:
        socket(dashboard, session, "flowRuns", origin=origin)
    assert refused.value.status_code == 403


def test_socket_without_a_session_is_refused(dashboard):
    with pytest.raises(simple_websocket.ConnectionError) as refused:
        socket(dashboard, None, "flowRuns")
    assert refused.value.status_code == 401


@pytest.mark.parametrize("watch", ["", "flowRuns;drop", "a:" + "x" * 200])
def test_bad_watch_list_is_refused(dashboard, session, watch):
    with pytest.raises(simple_websocket.ConnectionError) as refused:
        socket(dashboard, session, watch)
    assert refused.value.status_code == 400


def test_reconnect_with_since_replays_everything_missed_in_order_once(dashboard, session):
    ws = socket(dashboard, session, "flowRuns")
    run = str(uuid.uuid4())
    deliver(dashboard, payload(run, event="create", status="queued", fields=[]))
    [seen] = frames(ws, 1)
    ws.close()  # the tab is hidden: htmx closes the socket
    deliver(dashboard, payload(run, status="running", updated_at="2026-11-23T10:00:01+00:00"))
    deliver(dashboard, payload(run, status="finished", updated_at="2026-11-23T10:00:02+00:00"))
    deliver(dashboard, payload(resource_type="flowGenerations"))  # another channel: not replayed
    again = socket(dashboard, session, "flowRuns", since=seen["seq"])
    try:
        running, finished = frames(again, 2)
        assert "status-running" in running["content"] and "status-finished" in finished["content"]
        assert seen["seq"] < running["seq"] < finished["seq"]
        deliver(dashboard, payload(run, status="cancelled", updated_at="2026-11-23T10:00:03+00:00"))
        [live] = frames(again, 1)
        assert live["seq"] > finished["seq"] and "status-cancelled" in live["content"]
        nothing_more(again, 0.5)
    finally:
        again.close()


def test_page_too_far_behind_is_told_to_reload(dashboard, session):
    deliver(dashboard, payload())
    ws = socket(dashboard, session, "flowRuns", since=-10**6)
    try:
        assert frames(ws, 1)[0] == {"reload": True}
    finally:
        ws.close()


def test_event_log_counts_the_sockets_an_event_reached(dashboard, session):
    sockets = [socket(dashboard, session, "flowRuns") for _ in range(3)]
    try:
        document = payload()
        deliver(dashboard, document)
        for ws in sockets:
            frames(ws, 1)
        with_sockets = _stored_event(dashboard, document["data"]["id"])
        assert with_sockets.sockets == 3
    finally:
        for ws in sockets:
            ws.close()


def test_a_page_that_stops_reading_is_closed_with_1013_and_slows_nobody(tmp_path):
    import base64

    # Pings far apart: this raw client cannot answer them, and one unanswered ping ends a socket for good.
    dashboard = start_dashboard(tmp_path, RECRUBO_API_URL=DEAD_API, LIVE_PING_SECONDS="300")
    create_account(dashboard, EMAIL, PASSWORD)
    session = signed_in_session(dashboard, EMAIL, PASSWORD)
    port = int(dashboard.url.rsplit(":", 1)[1])
    stalled = sockets.socket()
    stalled.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096)  # a tab frozen in the background
    stalled.connect(("127.0.0.1", port))
    cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)
    thread = str(uuid.uuid4())
    stalled.sendall((f"GET /live?watch=messageThreads:{thread} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                     f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                     f"Sec-WebSocket-Version: 13\r\nOrigin: {dashboard.url}\r\nCookie: {cookie}\r\n\r\n").encode())
    handshake = b""
    while b"\r\n\r\n" not in handshake:
        handshake += stalled.recv(1)
    assert handshake.startswith(b"HTTP/1.1 101")
    reader = socket(dashboard, session, f"messageThreads:{thread}")
    try:
        # 40 KB messages: more than the kernel's buffers (~3 MB here) and the queue's 100 frames hold.
        count, text = 250, "A long application letter. " * 1500
        for _ in range(count):
            deliver(dashboard, {"data": {"type": "webhookPayload", "id": str(uuid.uuid4()), "attributes": {
                "event": "create", "resource": {"id": str(uuid.uuid4()), "type": "messages", "attributes": {
                    "sendBy": "Noor", "origin": "inbound", "messageThreadId": thread, "deliveryStatus": "delivered",
                    "payload": {"type": "text", "text": {"value": text}},
                    "createdAt": "2026-11-23T10:00:00+00:00", "updatedAt": "2026-11-23T10:00:00+00:00"}}}}})
        assert len(frames(reader, count, seconds=60)) == count  # the reading page got every push meanwhile
        stalled.settimeout(30)
        data, close_code = b"", None
        while close_code is None:  # the stalled page wakes up and reads: its pushes, then the close
            chunk = stalled.recv(65536)
            assert chunk, "closed without a close frame"
            data += chunk
            while len(data) >= 2:
                size, start = data[1] & 0x7F, 2
                if size == 126:
                    size, start = int.from_bytes(data[2:4], "big"), 4
                elif size == 127:
                    size, start = int.from_bytes(data[2:10], "big"), 10
                if len(data) < start + size:
                    break
                if data[0] & 0x0F == 0x8:
                    close_code = int.from_bytes(data[start:start + 2], "big")
                data = data[start + size:]
        assert close_code == 1013  # try again later: hx-ws reconnects and the page catches up with since=
    finally:
        reader.close()
        stalled.close()
        stop(dashboard.process)


def _stored_event(server, event_id: str):
    from dashboard import create_app
    from dashboard.db import events

    with create_app({"INSTANCE_PATH": str(server.instance), "RECRUBO_API_URL": DEAD_API}).app_context():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            event = events.get(event_id)
            if event is not None and event.sockets:
                return event
            time.sleep(0.05)
        return events.get(event_id)


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


def served(sock: sockets.socket, replay: bool = False) -> Connection:
    """A hub connection writing to `sock`, as the /live handler makes one."""
    return Connection({"flowRuns"}, SimpleNamespace(sock=sock, close=None, pong_received=True), replay=replay)


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
    for seq, frame in zip((7, 8), live):
        assert connection.offer(seq, frame)  # registered, replay not sent yet: queued, not written
    page.settimeout(0.2)
    with pytest.raises(TimeoutError):
        page.recv(100)
    replay = text_frame("replayed 7")
    with connection.replaying():  # the handler sends what the page missed, seq 7 among it
        ours.sendall(replay)
        connection.replayed.add(7)
    expected = replay + live[1]  # 7 once (from the replay), then 8
    received = b""
    page.settimeout(5)
    while len(received) < len(expected):
        received += page.recv(100)
    assert received == expected
    ours.close()
    page.close()


def test_shutdown_closes_sockets_with_1012_so_pages_reconnect(tmp_path):
    server = start_dashboard(tmp_path, RECRUBO_API_URL=DEAD_API)
    try:
        create_account(server, EMAIL, PASSWORD)
        ws = socket(server, signed_in_session(server, EMAIL, PASSWORD), "flowRuns")
        server.process.terminate()  # SIGTERM, as a platform redeploy sends
        with pytest.raises(simple_websocket.ConnectionClosed) as closed:
            while True:
                ws.receive(timeout=15)
        assert closed.value.reason == 1012
    finally:
        stop(server.process)


# Two workers, one Redis: which worker holds a socket is read from /proc, not assumed.

def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def worker_holding(master_pid: int, client_port: int) -> int:
    """The gunicorn worker whose accepted TCP connection has our client's port as its remote end."""
    wanted = f"{client_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        columns = line.split()
        if columns[2].endswith(f":{wanted}"):
            inode = columns[9]
    assert inode, f"no server side connection to port {client_port}"
    for worker in _children(master_pid):
        if inode in _socket_inodes(worker):
            return worker
    raise AssertionError(f"no worker holds the connection from port {client_port}")


@pytest.mark.slow
def test_with_redis_a_webhook_on_one_worker_reaches_sockets_on_the_other(tmp_path, redis_server):
    server = start_dashboard(tmp_path, RECRUBO_API_URL=DEAD_API, REDIS_URL=redis_server.url, WEB_CONCURRENCY="2")
    sockets = []
    try:
        create_account(server, EMAIL, PASSWORD)
        session = signed_in_session(server, EMAIL, PASSWORD)
        holders: dict[int, list] = {}
        for _ in range(40):  # the kernel picks a worker per connection: open until both hold some
            ws = socket(server, session, "flowRuns")
            sockets.append(ws)
            holders.setdefault(worker_holding(server.process.pid, ws.sock.getsockname()[1]), []).append(ws)
            if len(holders) == 2 and min(len(group) for group in holders.values()) >= 2:
                break
        assert len(holders) == 2, "every socket landed on one worker"
        assert requests.get(f"{server.url}/healthz", timeout=10).json()["live_backend"] == "redis"
        runs = [str(uuid.uuid4()) for _ in range(4)]  # several webhooks: both workers receive some
        for run in runs:
            deliver(server, payload(run))
        for ws in sockets:
            contents = " ".join(frame["content"] for frame in frames(ws, len(runs)))
            assert all(f'id="flow-run-{run}"' in contents for run in runs)
    finally:
        for ws in sockets:
            ws.close()
        stop(server.process)


@pytest.mark.slow
def test_redis_going_away_degrades_to_local_pushes_and_recovers(tmp_path, redis_server):
    server = start_dashboard(tmp_path, RECRUBO_API_URL=DEAD_API, REDIS_URL=redis_server.url)
    try:
        create_account(server, EMAIL, PASSWORD)
        session = signed_in_session(server, EMAIL, PASSWORD)
        ws = socket(server, session, "flowRuns")
        assert requests.get(f"{server.url}/healthz", timeout=10).json()["live_backend"] == "redis"
        redis_server.stop()
        _poll_health(server, lambda body: body["live_backend"].startswith("degraded"))
        run = str(uuid.uuid4())
        deliver(server, payload(run))
        [frame] = frames(ws, 1)
        assert f'id="flow-run-{run}"' in frame["content"]
        redis_server.start()
        _poll_health(server, lambda body: body["live_backend"] == "redis")
        # Back on Redis, the worker drops its sockets with 1012: pages reconnect and replay the gap.
        with pytest.raises(simple_websocket.ConnectionClosed) as closed:
            while True:
                ws.receive(timeout=15)
        assert closed.value.reason == 1012
        ws = socket(server, session, "flowRuns", since=frame["seq"])
        later = str(uuid.uuid4())
        deliver(server, payload(later))
        [pushed] = frames(ws, 1)
        assert f'id="flow-run-{later}"' in pushed["content"]
        ws.close()
    finally:
        stop(server.process)


def _poll_health(server, condition, seconds: float = 20) -> requests.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = requests.get(f"{server.url}/healthz", timeout=10)
        if condition(response.json()):
            return response
        time.sleep(0.2)
    raise AssertionError(f"health never matched: {response.json()}")


def test_permessage_deflate_is_never_negotiated(dashboard, session):
    # Browsers always offer it; accepting would cost ~250 KB of zlib state per socket (stack-notes §6).
    import base64
    import socket as tcp

    cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)
    host, port = dashboard.url.removeprefix("http://").split(":")
    with tcp.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall((f"GET /live?watch=flowRuns HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                     f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                     f"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                     f"Origin: {dashboard.url}\r\nCookie: {cookie}\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += raw.recv(4096)
    head = answer.split(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith("http/1.1 101") and "sec-websocket-extensions" not in head



def test_the_publishing_lock_is_gevents_in_a_worker_though_the_master_imported_it_first(tmp_path):
    # gunicorn's master imports the app's modules (gunicorn.conf.py) before a worker patches `threading` for
    # gevent. A lock made at import time stays a real OS lock: waiting on it while its holder yielded on a Redis
    # publish froze the whole worker until gunicorn killed it (seen with Redis and a live API).
    script = """
import runpy
runpy.run_path("gunicorn.conf.py")
from gevent import monkey
monkey.patch_all()
from dashboard.live import order as publish_order
print(type(publish_order._local_lock()).__module__)
"""
    environment = server_environment(INSTANCE_PATH=str(tmp_path), RECRUBO_API_URL=DEAD_API)
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parent.parent, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().startswith("gevent"), result.stdout + result.stderr
