"""The servers the fan-out and reconnect benchmarks compare: how each is started, where its sockets connect,
and how one event is published to it."""

from __future__ import annotations

from pathlib import Path

from common import BENCH, PYTHON
from httpclient import WEBHOOK_HEADERS, webhook_payload
from processes import BenchServer, create_account, signed_in_cookie, spawn, start_dashboard, start_sandbox, stop

from tests.support.servers import free_port, server_environment, venv_bin

SERVERS = ("dashboard", "dashboard-rows", "socketio-threading", "socketio-gevent", "bare")
DASHBOARDS = ("dashboard", "dashboard-rows")


class Target:
    """A server under test: how to start it, where sockets connect, and how an event is published."""

    def __init__(self, name: str, tmp: Path, sockets: int, frame_bytes: int) -> None:
        self.name, self.tmp, self.frame_bytes = name, tmp, frame_bytes
        self.api: BenchServer | None = None
        self.server: BenchServer | None = None
        self.cookie, self.protocol = "", "plain"
        if name in DASHBOARDS:
            self.api = start_sandbox(tmp)
            self.server = start_dashboard(tmp, RECRUBO_API_URL=f"{self.api.url}/public/v2")
            create_account(self.server)
            self.cookie = signed_in_cookie(self.server)
            self.ws_url = self.server.url.replace("http://", "ws://") + "/live?watch=flowRuns"
            self.post_url, self.post_path = self.server.url, "/webhooks/recrubo"
        elif name.startswith("socketio"):
            mode = name.split("-")[1]
            port = free_port()
            worker = (["-k", "gthread", "--threads", str(sockets + 50)] if mode == "threading" else
                      ["-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "--worker-connections", "10000"])
            command = [venv_bin("gunicorn"), "-w", "1", *worker, "-b", f"127.0.0.1:{port}", "--no-control-socket",
                       "socketio_app:app"]
            self.server = spawn(name, command, server_environment(BENCH_SOCKETIO_MODE=mode), tmp / f"{name}.log",
                                f"http://127.0.0.1:{port}", "/healthz", cwd=BENCH)
            self.protocol = "socketio"
            self.ws_url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
            self.post_url, self.post_path = self.server.url, "/publish"
        else:
            port, http_port = free_port(), free_port()
            self.server = spawn(name, [PYTHON, str(BENCH / "bare_broadcaster.py"), str(port), str(http_port)],
                                server_environment(), tmp / "bare.log", f"http://127.0.0.1:{http_port}", "/")
            self.ws_url = f"ws://127.0.0.1:{port}/ws"
            self.post_url, self.post_path = f"http://127.0.0.1:{http_port}", "/publish"
        self.origin = self.server.url

    def body(self, key: str) -> tuple[bytes, dict]:
        """The POST that publishes one event about run `key`."""
        if self.name == "dashboard":
            return webhook_payload(key), WEBHOOK_HEADERS
        if self.name == "dashboard-rows":
            # Only the run's state changed: its row and detail are pushed, home's counters are not re-read.
            return webhook_payload(key, fields=("state",)), WEBHOOK_HEADERS
        # A frame shaped like the dashboard's (JSON with an hx-partial row), padded to its measured size.
        frame = (f'{{"seq":1,"content":"<hx-partial hx-target=\\"#flow-run-{key}\\" hx-swap=\\"outerHTML\\">'
                 f'<tr id=\\"flow-run-{key}\\">')
        frame += "x" * max(0, self.frame_bytes - len(frame) - 25) + '</tr></hx-partial>"}'
        return frame.encode(), {"Content-Type": "text/plain"}

    def stop(self) -> None:
        """Stop the server under test, then its Recrubo API when it has one."""
        stop(self.server)
        stop(self.api)
