"""The live hub and the `/live` websocket: every open page gets the pushes of the channels it watches."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import deque
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, request
from flask_sock import ConnectionClosed, Sock

from dashboard import events
from dashboard.broker import MemoryBroker, RedisBroker
from dashboard.config import Config

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__)
sock = Sock()
QUEUE_LIMIT = 100  # frames waiting for one socket; beyond it the page is told to reconnect and catch up
REPLAY_LIMIT = 500  # a page further behind than this reloads instead of replaying
MAX_CHANNELS = 30
CHANNEL = re.compile(r"^[A-Za-z]{1,40}(:[A-Za-z0-9_-]{1,128})?$")
TRY_AGAIN_LATER, SERVICE_RESTART = 1013, 1012
# The pages that show live regions, and the channel each watches ({} = the page's resource id).
PAGE_CHANNELS = {
    "home.index": "home",
    "flow_runs.index": "flowRuns", "flow_runs.show": "flowRuns:{}",
    "flows.index": "flows", "flows.show": "flows:{}",
    "message_threads.index": "messageThreads", "message_threads.show": "messageThreads:{}",
    "flow_generations.index": "flowGenerations", "flow_generations.show": "flowGenerations:{}",
}


class Connection:
    """One open socket's bounded queue of frames; the hub only enqueues, the socket's handler only sends."""

    def __init__(self, channels: set[str]) -> None:
        self.channels = channels
        self.frames: deque[tuple[int, str]] = deque()
        self.wake = threading.Event()
        self.close_code: int | None = None
        self.gone = False
        self.replayed: set[int] = set()

    def offer(self, seq: int, frame: str) -> bool:
        """Enqueue without blocking; on overflow drop the queue and ask the handler to close with 1013."""
        if self.close_code is not None or self.gone:
            return False
        if len(self.frames) >= QUEUE_LIMIT:
            self.frames.clear()
            self.drop(TRY_AGAIN_LATER)
            return False
        self.frames.append((seq, frame))
        self.wake.set()
        return True

    def drop(self, code: int) -> None:
        """Ask the handler to close this socket with `code` (1012/1013 make the page reconnect)."""
        self.close_code = code
        self.wake.set()


class Hub:
    """This process's open sockets, and the broker that brings every process's events to them."""

    def __init__(self, app: Flask, redis_url: str | None) -> None:
        self.app = app
        self.connections: set[Connection] = set()
        self.lock = threading.Lock()
        self.broker = (RedisBroker(redis_url, self.deliver, lambda: self.drop_all(SERVICE_RESTART))
                       if redis_url else MemoryBroker(self.deliver))

    def connect(self, channels: set[str]) -> Connection:
        """Register a socket for these channels; frames published from now on are queued for it."""
        connection = Connection(channels)
        self.broker.start()
        with self.lock:
            self.connections.add(connection)
        return connection

    def disconnect(self, connection: Connection) -> None:
        """Forget a socket."""
        with self.lock:
            self.connections.discard(connection)

    def publish(self, event_id: str, stored: list[events.Push]) -> int:
        """Publish an event's stored pushes to every process; return the sockets reached here (memory mode)."""
        message = {"event": event_id, "pushes": [[push.channel, push.seq, push.frame] for push in stored]}
        return self.broker.publish(message)

    def deliver(self, message: dict) -> int:
        """Queue a published event's frames on this process's sockets that watch them; count the sockets."""
        with self.lock:
            connections = list(self.connections)
        reached = 0
        for connection in connections:
            offered = [connection.offer(seq, frame) for channel, seq, frame in message["pushes"]
                       if channel in connection.channels]
            reached += any(offered)
        with self.app.app_context():
            events.add_sockets(message["event"], reached)
        return reached

    def drop_all(self, code: int) -> None:
        """Close every socket of this process with `code` (shutdown, or a gap the pages must catch up on)."""
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            connection.drop(code)

    def state(self) -> str:
        """The backend as /healthz reports it."""
        return self.broker.state()

    def __len__(self) -> int:
        return len(self.connections)


def hub() -> Hub:
    """The current app's hub."""
    return current_app.extensions["live"]


def watch_channels(value: str | None) -> set[str]:
    """The channels named in a `watch` parameter, or a 400 when it names none or bad ones."""
    channels = {name for name in (value or "").split(",") if name}
    if not channels or len(channels) > MAX_CHANNELS or not all(CHANNEL.match(name) for name in channels):
        abort(400)
    return channels


@sock.route("/live", bp=bp)
def socket(ws) -> None:
    channels = g.live_channels
    since = request.args.get("since", type=int)
    connection = hub().connect(channels)
    current_app.extensions["live_publisher"].start()  # also recovers what a crash left unpublished
    try:
        if since is not None and not _replay(ws, connection, since, channels):
            return
        threading.Thread(target=_watch_for_close, args=(ws, connection), daemon=True).start()
        _send_until_closed(ws, connection)
    finally:
        hub().disconnect(connection)


def _replay(ws, connection: Connection, since: int, channels: set[str]) -> bool:
    # Registered first, queried second: nothing falls between; what is both replayed and queued is sent once.
    missed = events.pushes_since(since, channels, REPLAY_LIMIT)
    if missed is None:
        ws.send(json.dumps({"reload": True}))
        return True
    for push in missed:
        ws.send(push.frame)
        connection.replayed.add(push.seq)
    return True


def _watch_for_close(ws, connection: Connection) -> None:
    # The page never sends; receive() returns only when the socket closes (or a stray message arrives).
    try:
        while True:
            ws.receive()
    except ConnectionClosed:
        pass
    connection.gone = True
    connection.wake.set()


def _send_until_closed(ws, connection: Connection) -> None:
    # Returning lets flask-sock close with 1000, which pages do not reconnect after: return only
    # when the page has gone, or after closing on purpose with a code that makes it reconnect.
    while True:
        connection.wake.wait()
        connection.wake.clear()
        while connection.frames and connection.close_code is None and not connection.gone:
            seq, frame = connection.frames.popleft()
            if seq not in connection.replayed:
                ws.send(frame)
        if connection.gone:
            return
        if connection.close_code is not None:
            reason = "catch up" if connection.close_code == TRY_AGAIN_LATER else "server restart"
            ws.close(connection.close_code, reason)
            return


def _allowed_origin(origin: str | None, config: Config) -> bool:
    if not origin:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    own = {request.host}
    if ":" not in request.host:
        # Some clients send Host without the port; the port they connected to is the server's.
        own.add(f"{request.host}:{request.environ.get('SERVER_PORT')}")
    ancestors = {source.rstrip("/") for source in config.frame_ancestors.split() if "://" in source}
    return parts.netloc in own or f"{parts.scheme}://{parts.netloc}" in ancestors


def guard_socket():
    """Refuse a websocket handshake from a foreign Origin or with a bad watch list, and drop deflate."""
    rule = request.url_rule
    if rule is None or not rule.websocket:
        return None
    if not _allowed_origin(request.headers.get("Origin"), current_app.config["RECRUBO"]):
        log.warning("websocket refused: Origin %r", request.headers.get("Origin"))
        abort(403)
    # Validated here: once the handler runs, flask-sock has accepted the handshake already.
    g.live_channels = watch_channels(request.args.get("watch"))
    # simple-websocket accepts permessage-deflate whenever offered: ~250 KB of zlib state per socket.
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
    return None


def remember_seq():
    """Before a live page reads the API, note the newest push: its socket replays everything after it."""
    if request.method == "GET" and request.endpoint in PAGE_CHANNELS:
        g.live_seq = events.last_seq()


def page_live() -> dict:
    """Template context: the channel this page watches and the seq its content is current to."""
    pattern = PAGE_CHANNELS.get(request.endpoint or "")
    if pattern is None or "live_seq" not in g:
        return {"live_watch": None, "live_seq": None}
    arguments = list((request.view_args or {}).values())
    if "{}" in pattern and not arguments:
        return {"live_watch": None, "live_seq": None}
    return {"live_watch": pattern.format(*arguments[:1]), "live_seq": g.live_seq}


def init_app(app: Flask, config: Config) -> None:
    """Create the hub, register `/live` and its guard; call before auth so the Origin check runs first."""
    from dashboard.publisher import Publisher

    # Pings keep an idle socket alive through PaaS routers, which drop connections silent for ~55 s.
    app.config.setdefault("SOCK_SERVER_OPTIONS", {"ping_interval": config.live_ping_seconds,
                                                  "max_message_size": 4096})
    app.extensions["live"] = Hub(app, config.redis_url)
    app.extensions["live_publisher"] = Publisher(app)
    app.before_request(guard_socket)
    app.before_request(remember_seq)
    app.context_processor(page_live)
    sock.init_app(app)
    app.register_blueprint(bp)


def close_sockets_on_exit(worker) -> None:
    """gunicorn hook: when the worker starts shutting down, close its sockets with 1012 so pages reconnect."""
    import gevent

    def watch() -> None:
        while worker.alive:
            gevent.sleep(0.5)
        worker.wsgi.extensions["live"].drop_all(SERVICE_RESTART)

    gevent.spawn(watch)
