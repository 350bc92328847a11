"""Fan-out across two gunicorn workers through Redis, and Redis going away and coming back."""

from __future__ import annotations

import uuid

import pytest
import requests
import simple_websocket

from tests.support.accounts import create_account, signed_in_session
from tests.support.payloads import payload
from tests.support.payloads import post_webhook as deliver
from tests.support.servers import start_dashboard, stop
from tests.support.sockets import DEAD_API, EMAIL, PASSWORD, frames, poll_health, socket, worker_holding


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
        poll_health(server, lambda body: body["live_backend"].startswith("degraded"))
        run = str(uuid.uuid4())
        deliver(server, payload(run))
        [frame] = frames(ws, 1)
        assert f'id="flow-run-{run}"' in frame["content"]
        redis_server.start()
        poll_health(server, lambda body: body["live_backend"] == "redis")
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
