"""`/live` inside gunicorn's gevent worker: a page that stops reading, shutdown, the publisher's start and lock."""

from __future__ import annotations

import json
import socket as sockets
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import simple_websocket

from tests.support.accounts import create_account, signed_in_session
from tests.support.payloads import payload
from tests.support.payloads import post_webhook as deliver
from tests.support.servers import remote_api, server_environment, start_dashboard, stop
from tests.support.sockets import DEAD_API, EMAIL, PASSWORD, frames, raw_upgrade, socket


def test_a_page_that_stops_reading_is_closed_with_1013_and_slows_nobody(tmp_path):

    # Pings far apart: this raw client cannot answer them, and one unanswered ping ends a socket for good.
    dashboard = start_dashboard(tmp_path, RECRUBO_API_URL=DEAD_API, LIVE_PING_SECONDS="300")
    create_account(dashboard, EMAIL, PASSWORD)
    session = signed_in_session(dashboard, EMAIL, PASSWORD)
    port = int(dashboard.url.rsplit(":", 1)[1])
    stalled = sockets.socket()
    stalled.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096)  # a tab frozen in the background
    stalled.connect(("127.0.0.1", port))
    thread = str(uuid.uuid4())
    assert raw_upgrade(stalled, dashboard, session, f"messageThreads:{thread}").startswith(b"HTTP/1.1 101")
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
        frames(reader, count, seconds=60)  # the reading page got every push meanwhile (some coalesced)
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


def test_the_publisher_starts_with_the_worker_and_publishes_what_a_crash_left_unpublished(tmp_path):
    # No webhook and no socket: only the worker's start (gunicorn's post_worker_init) can publish this event.
    from sqlalchemy import update

    from dashboard import create_app
    from dashboard.db import events
    from dashboard.db.base import session_scope
    from dashboard.webhooks import parse_payload

    document = payload(str(uuid.uuid4()), status="finished")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), **remote_api(DEAD_API)})
    with app.app_context():
        events.record(parse_payload(document, json.dumps(document)))
        with session_scope() as session:  # stored by a worker that crashed an hour ago, before publishing
            session.execute(update(events.Event).values(received_at=events.utcnow() - timedelta(hours=1)))
        assert events.get(document["data"]["id"]).published_at is None
    server = start_dashboard(tmp_path, RECRUBO_API_URL=DEAD_API)
    try:
        deadline = time.monotonic() + 30
        with app.app_context():
            while events.get(document["data"]["id"]).published_at is None:
                assert time.monotonic() < deadline, "the worker never published the event left behind"
                time.sleep(0.1)
    finally:
        stop(server.process)


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
