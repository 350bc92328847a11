"""The `/live` websocket: its Origin guard, its watch list, catch-up, and the live page's template context."""

from __future__ import annotations

import json
import logging
import re
from collections import deque
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, request
from flask_sock import Sock

from dashboard.config import Config
from dashboard.db import pushes
from dashboard.live.connection import SERVICE_RESTART, Connection, ReaderInHandler, text_frame
from dashboard.live.hub import Hub, hub

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__)
sock = Sock()
REPLAY_LIMIT = 500  # a page further behind than this reloads instead of replaying
MAX_CHANNELS = 30
CHANNEL = re.compile(r"^[A-Za-z]{1,40}(:[A-Za-z0-9_-]{1,128})?$")
# The pages that show live regions, and the channel each watches ({} = the page's resource id).
PAGE_CHANNELS = {
    "home.index": "home",
    "flow_runs.index": "flowRuns", "flow_runs.show": "flowRuns:{}",
    "flows.index": "flows", "flows.show": "flows:{}",
    "message_threads.index": "messageThreads", "message_threads.show": "messageThreads:{}",
    "flow_generations.index": "flowGenerations", "flow_generations.show": "flowGenerations:{}",
}


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
    ws.input_buffer = deque(maxlen=0)  # pages never send anything the server needs: what they send is dropped
    connection = hub().connect(channels, ws, replay=since is not None)
    current_app.extensions["live_publisher"].start()  # also recovers what a crash left unpublished
    try:
        if since is not None:
            with connection.replaying():
                _replay(ws, connection, since, channels)
        # Returning lets flask-sock close with 1000, after which pages do not reconnect: read until the page
        # has gone (or the writer closed it with a code that makes it reconnect).
        if isinstance(ws.thread, ReaderInHandler):
            ws.thread.run()
        else:
            ws.thread.join()
    finally:
        connection.gone = True
        hub().disconnect(connection)


def _replay(ws, connection: Connection, since: int, channels: set[str]) -> None:
    # Registered first, queried second: nothing falls between; what is both replayed and queued is sent once.
    missed = pushes.pushes_since(since, channels, REPLAY_LIMIT)
    if missed is None:
        ws.sock.sendall(text_frame(json.dumps({"reload": True})))
        return
    for push in missed:
        ws.sock.sendall(text_frame(push.frame))
        connection.replayed.add(push.seq)


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
        g.live_seq = pushes.last_seq()


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
    from dashboard.live.publisher import Publisher

    # Pings keep an idle socket alive through PaaS routers, which drop connections silent for ~55 s.
    app.config.setdefault("SOCK_SERVER_OPTIONS", {"max_message_size": 4096, "thread_class": ReaderInHandler})
    app.extensions["live"] = Hub(app, config.redis_url, config.live_ping_seconds)
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
        live = worker.wsgi.extensions["live"]
        live.drop_all(SERVICE_RESTART)
        try:
            live.write_tally()  # the last half second's counts
        except Exception:
            log.exception("writing the sockets reached to the event log failed at shutdown")

    gevent.spawn(watch)
