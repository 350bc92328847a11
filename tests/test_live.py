"""`/live` under gunicorn + gevent with real sockets, in memory and through Redis: pushes, refusals, catch-up."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import simple_websocket

from dashboard.core.names import short_id
from tests.support.accounts import create_account, signed_in_session
from tests.support.payloads import payload
from tests.support.payloads import post_webhook as deliver
from tests.support.servers import remote_api, start_dashboard, stop
from tests.support.sockets import DEAD_API, EMAIL, PASSWORD, frames, nothing_more, raw_upgrade, socket


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
        # Named by its candidate and flow; this run's are in no read model, so by the random ends of their ids.
        assert finished["announce"] == f"Thread {short_id('t' * 36)} finished Flow {short_id('f' * 36)}."
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


def _stored_event(server, event_id: str):
    from dashboard import create_app
    from dashboard.db import events

    with create_app({"INSTANCE_PATH": str(server.instance), **remote_api(DEAD_API)}).app_context():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            event = events.get(event_id)
            if event is not None and event.sockets:
                return event
            time.sleep(0.05)
        return events.get(event_id)


def test_permessage_deflate_is_never_negotiated(dashboard, session):
    # Browsers always offer it; accepting would cost ~250 KB of zlib state per socket (stack-notes §6).
    import socket as tcp

    host, port = dashboard.url.removeprefix("http://").split(":")
    with tcp.create_connection((host, int(port)), timeout=10) as raw:
        answer = raw_upgrade(raw, dashboard, session, "flowRuns",
                             "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")
    head = answer.split(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith("http/1.1 101") and "sec-websocket-extensions" not in head




def test_a_burst_reaches_the_page_in_order_and_its_newest_seq_leaves_nothing_to_catch_up(dashboard, session):
    ws = socket(dashboard, session, "flowRuns")
    runs = [str(uuid.uuid4()) for _ in range(20)]
    try:
        with ThreadPoolExecutor(4) as senders:  # faster than a page repaints: pushes are coalesced
            list(senders.map(lambda run: deliver(dashboard, payload(run)), runs))
        received = frames(ws, len(runs))
        seqs = [seq for frame in received for seq in frame.get("seqs", [frame["seq"]])]
        assert seqs == sorted(set(seqs)) and all(frame["seq"] == max(frame.get("seqs", [frame["seq"]]))
                                                 for frame in received)
        contents = "".join(frame["content"] for frame in received)
        assert all(f'id="flow-run-{run}"' in contents for run in runs)
    finally:
        ws.close()
    again = socket(dashboard, session, "flowRuns", since=received[-1]["seq"])  # as the page's catch-up URL says
    try:
        nothing_more(again, 0.5)
    finally:
        again.close()
