"""The `/live` websocket: its Origin guard, its watch list, catch-up, and the wiring of the live path."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, request
from flask_sock import Sock

from dashboard.config import Config
from dashboard.core.hosts import answered_hosts, is_trusted
from dashboard.db import events, pushes, users
from dashboard.live.connection import SERVICE_RESTART, Connection, ReaderInHandler
from dashboard.live.frames import text_frame
from dashboard.live.hub import Hub, hub

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__)
sock = Sock()
REPLAY_LIMIT = 500  # a page further behind than this reloads instead of replaying
MAX_CHANNELS = 30
CHANNEL = re.compile(r"[A-Za-z]{1,40}(:[A-Za-z0-9-]{1,64})?")  # used with fullmatch: no trailing newline
DEFAULT_PORTS = {"http": 80, "https": 443}


def watch_channels(value: str | None) -> set[str]:
    """The channels named in a `watch` parameter, or a 400 when it names none or bad ones."""
    channels = {name for name in (value or "").split(",") if name}
    if not channels or len(channels) > MAX_CHANNELS or not all(CHANNEL.fullmatch(name) for name in channels):
        abort(400)
    return channels


@sock.route("/live", bp=bp)
def socket(ws) -> None:
    """One open page: register its socket, replay what it missed, then read until it has gone."""
    channels = g.live_channels
    since = request.args.get("since", type=int)
    # The session it opens under (checked by the session guard just now): when it ends, the hub closes the socket.
    connection = hub().connect(channels, ws, replay=since is not None, owner=(g.user.id, g.user.session_version))
    try:
        if since is not None:
            with connection.replaying():
                _replay(connection, since, channels)
        # Returning lets flask-sock close with 1000, after which pages do not reconnect: read until the page
        # has gone (or the writer closed it with a code that makes it reconnect).
        connection.read_until_gone()
    finally:
        hub().disconnect(connection)


def _replay(connection: Connection, since: int, channels: set[str]) -> None:
    # Registered first, queried second: nothing falls between; what is both replayed and queued is sent once.
    missed = pushes.pushes_since(since, channels, REPLAY_LIMIT)
    if missed is None:
        connection.replay(None, text_frame(json.dumps({"reload": True})))
        return
    for push in missed:
        if not connection.replay(push.seq, text_frame(push.frame)):
            return


def allowed_origin(origin: str | None, config: Config) -> bool:
    """True for a page of this dashboard: PUBLIC_URL's origin, or an http(s) origin on a trusted host served on
    the port this request came to. Never judged by the request's own Host name, which a rebinding page chooses.
    (A page framed by a portal is still our page, with our origin: the portal's origin never opens a socket.)"""
    if not origin:
        return False
    if config.public_origin and origin.rstrip("/").lower() == config.public_origin.lower():
        return True
    try:
        parts = urlsplit(origin)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    if parts.scheme not in DEFAULT_PORTS or parts.path not in ("", "/") \
            or not is_trusted((parts.hostname or "").rstrip("."), answered_hosts(config)):
        return False
    # Another program on a trusted host (a second app on localhost:3000) is another origin.
    return port in _served_ports(DEFAULT_PORTS[parts.scheme])


def _served_ports(default: int) -> set[int]:
    # The port this request came to: Host's (X-Forwarded-Host's behind a trusted proxy), else, as some clients
    # leave it out, the origin's default port or the port we listen on.
    host = request.host
    port = host.rsplit(":", 1)[1] if ":" in host.rsplit("]", 1)[-1] else None
    if port and port.isdigit():
        return {int(port)}
    listening = request.environ.get("SERVER_PORT", "")
    return {default, int(listening)} if listening.isdigit() else {default}


def guard_socket() -> None:
    """Refuse a websocket handshake from a foreign Origin or with a bad watch list, and drop deflate."""
    rule = request.url_rule
    if rule is None or not rule.websocket:
        return None
    if not allowed_origin(request.headers.get("Origin"), current_app.config["RECRUBO"]):
        log.warning("websocket refused: Origin %r", request.headers.get("Origin"))
        abort(403)
    # Validated here: once the handler runs, flask-sock has accepted the handshake already.
    g.live_channels = watch_channels(request.args.get("watch"))
    # simple-websocket accepts permessage-deflate whenever offered: ~250 KB of zlib state per socket.
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
    return None


def init_app(app: Flask, config: Config) -> None:
    """Build the live path (hub, publisher, live pages) and register `/live` and its guard; call before auth so
    the Origin check runs first."""
    from dashboard.live import pages
    from dashboard.live.ingest import Ingest
    from dashboard.live.publisher import Publisher

    def count_sockets_reached(reached: dict[str, int]) -> None:
        with app.app_context():
            events.add_sockets(reached)

    def session_versions(user_ids: set[int]) -> dict[int, int]:
        with app.app_context():
            return users.session_versions(user_ids)

    app.config.setdefault("SOCK_SERVER_OPTIONS", {"max_message_size": 4096, "thread_class": ReaderInHandler})
    # Pings keep an idle socket alive through PaaS routers, which drop connections silent for ~55 s.
    live = app.extensions["live"] = Hub(config.redis_url, config.live_ping_seconds, count_sockets_reached,
                                        session_versions)
    publisher = app.extensions["live_publisher"] = Publisher(app, live)
    app.extensions["live_ingest"] = Ingest(app, live, publisher)
    app.before_request(guard_socket)
    pages.init_app(app)
    sock.init_app(app)
    app.register_blueprint(bp)


def start_worker(worker) -> None:
    """gunicorn's `post_worker_init`: start publishing (and recovering what a crash left unpublished) now, and
    close the worker's sockets with 1012 when it shuts down."""
    worker.wsgi.extensions["live_publisher"].start()
    close_sockets_on_exit(worker)


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
