"""Sockets come and go without leaving anything behind, and pings keep an idle one open through a router."""

from __future__ import annotations

import os
import socket as sockets
import threading
import time
import uuid

import pytest
import requests
import simple_websocket

from tests.support.accounts import create_account, signed_in_session
from tests.support.payloads import payload
from tests.support.payloads import post_webhook as deliver
from tests.support.servers import children as _children
from tests.support.servers import start_dashboard, stop
from tests.support.sockets import DEAD_API, EMAIL, PASSWORD, frames, socket

CYCLES = 1000


def worker_resources(pid: int) -> tuple[int, int, int]:
    """Open file descriptors, OS threads and resident KiB of one worker process."""
    status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status") if ":" in line)
    return len(os.listdir(f"/proc/{pid}/fd")), int(status["Threads"]), int(status["VmRSS"].split()[0])


def open_sockets(server) -> int:
    return requests.get(f"{server.url}/healthz", timeout=10).json()["sockets"]


def redis_subscribers(url: str) -> int:
    """How many connections subscribe to the dashboard's pub/sub channel for `url`'s database."""
    import redis

    from dashboard.live.broker import REDIS_CHANNEL

    client = redis.Redis.from_url(url)
    channel = REDIS_CHANNEL.format(database=client.connection_pool.connection_kwargs["db"])
    [(_, count)] = client.pubsub_numsub(channel)
    client.close()
    return count


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_a_thousand_connect_disconnect_cycles_leave_nothing_behind(tmp_path, request, backend):
    redis_url = request.getfixturevalue("shared_redis").database(3) if backend == "redis" else None
    server = start_dashboard(tmp_path, RECRUBO_API_URL=DEAD_API, **({"REDIS_URL": redis_url} if redis_url else {}))
    try:
        create_account(server, EMAIL, PASSWORD)
        session = signed_in_session(server, EMAIL, PASSWORD)
        [worker] = _children(server.process.pid)
        for _ in range(50):  # warm up: first-use allocations are not leaks
            socket(server, session, "flowRuns").close()
        # and a first webhook, whose commit starts the thread the ingest writer commits in (gevent's pool keeps it)
        deliver(server, payload(str(uuid.uuid4())))
        time.sleep(1)
        fds_before, threads_before, rss_before = worker_resources(worker)
        watcher = socket(server, session, "flowRuns")
        for cycle in range(CYCLES):
            ws = socket(server, session, "flowRuns")
            if cycle % 100 == 0:  # some sockets leave with frames in flight, as a closing tab does
                deliver(server, payload(str(uuid.uuid4())))
            ws.close()
        deadline = time.monotonic() + 20
        while open_sockets(server) != 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert open_sockets(server) == 1, "closed sockets are still registered in the hub"
        assert len(frames(watcher, CYCLES // 100)) == CYCLES // 100  # the survivor was never disturbed
        watcher.close()
        time.sleep(1)
        fds_after, threads_after, rss_after = worker_resources(worker)
        assert fds_after <= fds_before + 3, (fds_before, fds_after)
        # One thread may start late: under CI's load the worker starts one more pool thread (gevent's threadpool,
        # which the ingest writer's commits and the resolver use) during the cycles, even after the warm-up's
        # webhook. A leak per socket would be hundreds; tracing which pool starts it is noted on issue 18.
        assert threads_after <= threads_before + 1, (threads_before, threads_after)
        # A leaked socket costs tens of KB (queue, greenlet, buffers): a thousand would be tens of MB.
        assert rss_after - rss_before < 8 * 1024, f"RSS grew by {rss_after - rss_before} KiB"
        if redis_url:  # one subscription per worker process, never one per socket
            assert redis_subscribers(redis_url) == 1
    finally:
        stop(server.process)


class IdleCuttingProxy:
    """A loopback TCP proxy that, like a PaaS router, cuts any connection silent for `idle` seconds."""

    def __init__(self, upstream_port: int, idle: float) -> None:
        self.upstream_port, self.idle = upstream_port, idle
        self.listener = sockets.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = sockets.create_connection(("127.0.0.1", self.upstream_port))
            last = [time.monotonic()]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target, last), daemon=True).start()
            threading.Thread(target=self._watch, args=(client, upstream, last), daemon=True).start()

    def _pump(self, source, target, last) -> None:
        try:
            while data := source.recv(65536):
                last[0] = time.monotonic()
                target.sendall(data)
        except OSError:
            pass

    def _watch(self, client, upstream, last) -> None:
        while time.monotonic() - last[0] < self.idle:
            time.sleep(0.1)
        self.cut += 1
        for end in (client, upstream):
            try:
                end.shutdown(sockets.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self) -> None:
        self.listener.close()


def survives_idle(tmp_path, ping_seconds: str, idle: float, wait: float) -> bool:
    tmp_path.mkdir(parents=True, exist_ok=True)
    server = start_dashboard(tmp_path, RECRUBO_API_URL=DEAD_API, LIVE_PING_SECONDS=ping_seconds)
    proxy = IdleCuttingProxy(int(server.url.rsplit(":", 1)[1]), idle)
    try:
        create_account(server, EMAIL, PASSWORD)
        session = signed_in_session(server, EMAIL, PASSWORD)
        ws = simple_websocket.Client.connect(
            f"ws://127.0.0.1:{proxy.port}/live?watch=flowRuns", ping_interval=None,
            headers={"Origin": server.url, "Cookie": "; ".join(f"{c.name}={c.value}" for c in session.cookies)})
        try:
            time.sleep(wait)  # no application traffic at all: only the server's pings
            deliver(server, payload(str(uuid.uuid4())))
            frames(ws, 1, seconds=5)
            return True
        except (simple_websocket.ConnectionClosed, AssertionError):
            return False
        finally:
            try:
                ws.close()
            except simple_websocket.ConnectionClosed:
                pass
    finally:
        proxy.close()
        stop(server.process)


@pytest.mark.slow
def test_server_pings_keep_an_idle_socket_open_through_a_router_that_cuts_silence(tmp_path):
    # Shortened: the router cuts after 3 s of silence (a PaaS: ~55 s), the server pings every 1 s (25 s).
    assert survives_idle(tmp_path / "pinged", ping_seconds="1", idle=3, wait=7)
    assert not survives_idle(tmp_path / "silent", ping_seconds="60", idle=3, wait=7), \
        "the router never cut the silent socket: this test would prove nothing"
