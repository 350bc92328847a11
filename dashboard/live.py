"""The live hub and the `/live` websocket: every open page gets the pushes of the channels it watches."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from socket import SHUT_RDWR
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, request
from flask_sock import Sock

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
PING_FRAME = bytes((0x89, 0))  # an empty ping; browsers answer it with a pong
TALLY_SECONDS = 0.5
_write = os.write  # one lookup less per socket per push
# The pages that show live regions, and the channel each watches ({} = the page's resource id).
PAGE_CHANNELS = {
    "home.index": "home",
    "flow_runs.index": "flowRuns", "flow_runs.show": "flowRuns:{}",
    "flows.index": "flows", "flows.show": "flows:{}",
    "message_threads.index": "messageThreads", "message_threads.show": "messageThreads:{}",
    "flow_generations.index": "flowGenerations", "flow_generations.show": "flowGenerations:{}",
}


def text_frame(text: str) -> bytes:
    """One unfragmented, unmasked websocket text frame (RFC 6455 §5.2), as a server sends it."""
    data = text.encode()
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + data
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + data


class Connection:
    """One open page. The hub writes each frame straight to its socket without waiting; when the page reads
    slowly, the rest waits in a bounded queue that a writer thread, started only then, sends. So an open page
    costs one greenlet (its handler, which reads), and a slow page never slows anyone else."""

    def __init__(self, channels: set[str], ws=None, replay: bool = False) -> None:
        self.channels = channels
        self.ws = ws  # the simple-websocket Server; None: frames only queue (nothing to write to)
        self.fd = _nonblocking_descriptor(ws.sock) if ws is not None else None
        self.guard = _bookkeeping_lock()
        # A replay or the writer thread owns the socket's write side. A page that will be sent what it missed
        # queues live frames from the moment it is registered, so none can overtake (or repeat) the replay.
        self.writing = replay
        self.partial = b""  # the rest of a frame cut short by a full socket buffer: goes out first
        self.frames: deque[tuple[int, bytes]] = deque()
        self.close_code: int | None = None
        self.gone = False
        self.replayed: set[int] = set()

    def offer(self, seq: int, frame: bytes) -> bool:
        """Write or queue one frame without ever waiting; on overflow, drop the queue and close with 1013."""
        with self.guard:
            if self.close_code is not None or self.gone:
                return False
            if self.writing or self.fd is None:
                if len(self.frames) >= QUEUE_LIMIT:
                    self.frames.clear()  # memory back at once; a cut-short frame (partial) is still finished
                    start = self._close_with(TRY_AGAIN_LATER)
                    accepted = False
                else:
                    self.frames.append((seq, frame))
                    start = self._claim_writer()
                    accepted = True
            else:
                try:
                    written = _write(self.fd, frame)
                except BlockingIOError:
                    written = 0
                except OSError:  # the page went away; its handler's read ends too
                    self.gone = True
                    return False
                if written == len(frame):
                    return True
                if written:
                    self.partial = frame[written:]
                else:
                    self.frames.append((seq, frame))
                start = self._claim_writer()
                accepted = True
        if start:
            self._start_writer()
        return accepted

    def drop(self, code: int) -> None:
        """Close this socket with `code` (1012/1013 make the page reconnect and catch up)."""
        with self.guard:
            start = self.close_code is None and not self.gone and self._close_with(code)
        if start:
            self._start_writer()

    @contextmanager
    def replaying(self) -> Iterator[None]:
        """Send what the page missed, then hand the write side on. The connection was made with `replay=True`,
        so live frames have queued behind the replay since it was registered."""
        try:
            yield
        finally:
            with self.guard:
                self.writing = False
                start = (self.frames or self.partial or self.close_code is not None) and self._claim_writer()
            if start:
                self._start_writer()

    def ping(self) -> None:
        """Keep an idle page's connection busy for PaaS routers; end one whose page never answered the last ping."""
        if self.ws is None or self.gone:
            return
        if not self.ws.pong_received:  # gone without a word (a laptop closed, a network cut)
            self.gone = True
            try:
                self.ws.sock.shutdown(SHUT_RDWR)  # the handler's read ends, and with it the socket
            except OSError:
                pass
            return
        self.ws.pong_received = False
        self.offer(-1, PING_FRAME)  # queued in order behind any frames: a ping never cuts into one

    def _close_with(self, code: int) -> bool:
        # With the guard held; True when the caller must start the writer (which sends the close).
        self.close_code = code
        self.frames.clear()
        return self._claim_writer()

    def _claim_writer(self) -> bool:
        # With the guard held; True when nobody writes and a writer can run: the caller starts it after
        # releasing the guard (starting a thread may switch greenlets, which the guard must never span).
        if self.writing or self.ws is None:
            return False
        self.writing = True
        return True

    def _start_writer(self) -> None:
        threading.Thread(target=self._write_behind, name="live-writer", daemon=True).start()

    def _write_behind(self) -> None:
        try:
            while True:
                with self.guard:
                    chunk, code = self._next_chunk()
                    if chunk is None and code is None:
                        self.writing = False
                        return
                if chunk is not None:
                    self.ws.sock.sendall(chunk)
                    continue
                self.ws.close(code, "catch up" if code == TRY_AGAIN_LATER else "server restart")
                return  # `writing` stays set: nothing is written after the close
        except Exception:  # the page went away mid-write (a closed socket raises); its handler ends too
            self.gone = True

    def _next_chunk(self) -> tuple[bytes | None, int | None]:
        if self.gone:
            return None, None
        if self.partial:
            chunk, self.partial = self.partial, b""
            return chunk, None
        if self.close_code is not None:
            return None, self.close_code
        while self.frames:
            seq, frame = self.frames.popleft()
            if seq in self.replayed:
                continue
            if self.replayed and seq > max(self.replayed):
                self.replayed.clear()  # past the replay: nothing queued later can repeat it
            return frame, None
        return None, None


def _bookkeeping_lock():
    # Held only across a few non-blocking steps (never a wait, never a greenlet switch), so under gevent the
    # real OS lock is safe, and much cheaper than gevent's on the path every push takes to every socket.
    try:
        from gevent.monkey import get_original
    except ImportError:  # pragma: no cover - gevent is a dependency; without it threading.Lock is the real one
        return threading.Lock()
    return get_original("_thread", "allocate_lock")()


def _nonblocking_descriptor(sock) -> int | None:
    # Under gevent every socket's descriptor is non-blocking, so the hub may write without waiting. A blocking
    # one (a threaded development server) would stall the hub on a slow page: its frames always queue.
    try:
        fd = sock.fileno()
        return None if os.get_blocking(fd) else fd
    except (AttributeError, OSError, ValueError):
        return None


class ReaderInHandler:
    """simple-websocket's reader loop (pongs, pings, the close handshake), run by the socket's own handler
    instead of a thread of its own: passed to it as its `thread_class`."""

    def __init__(self, target: Callable[[], None]) -> None:
        self.target = target
        self.name = "live-reader"

    def start(self) -> None:
        """Nothing to start: the handler calls `run` once the socket is registered."""

    def run(self) -> None:
        """Read until the page has gone."""
        self.target()


class Hub:
    """This process's open sockets, and the broker that brings every process's events to them."""

    def __init__(self, app: Flask, redis_url: str | None, ping_seconds: float) -> None:
        self.app = app
        self.ping_seconds = ping_seconds
        self.keeper: threading.Thread | None = None
        self.reached: dict[str, int] = {}  # sockets reached per event, not yet written to the event log
        self.connections: set[Connection] = set()
        self.lock = threading.Lock()
        self.broker = (RedisBroker(redis_url, self.deliver, lambda: self.drop_all(SERVICE_RESTART))
                       if redis_url else MemoryBroker(self.deliver))

    def connect(self, channels: set[str], ws=None, replay: bool = False) -> Connection:
        """Register a socket for these channels; frames published from now on are written or queued for it."""
        connection = Connection(channels, ws, replay)
        self._start_keeper()
        self.broker.start()
        with self.lock:
            self.connections.add(connection)
        return connection

    def _start_keeper(self) -> None:
        with self.lock:
            if self.keeper is None or not self.keeper.is_alive():
                self.keeper = threading.Thread(target=self._keep, name="live-keeper", daemon=True)
                self.keeper.start()

    def _keep(self) -> None:
        # One thread per process pings every socket (simple-websocket's own pings would cost each socket a timer
        # and could cut into a frame a slow page is still being sent) and writes the sockets reached to the event
        # log in batches (one commit per event would cost more than the pushes themselves).
        next_ping = time.monotonic() + self.ping_seconds
        while True:
            time.sleep(TALLY_SECONDS)
            try:
                self.write_tally()
            except Exception:  # the database may be away for a moment: the counts wait for the next round
                log.exception("writing the sockets reached to the event log failed")
            if time.monotonic() >= next_ping:
                next_ping += self.ping_seconds
                with self.lock:
                    connections = list(self.connections)
                for connection in connections:
                    connection.ping()

    def write_tally(self) -> None:
        """Add the sockets reached since the last call to each event's count in the event log."""
        with self.lock:
            reached, self.reached = self.reached, {}
        if reached:
            with self.app.app_context():
                try:
                    events.add_sockets(reached)
                except Exception:
                    with self.lock:  # kept for the next round, not lost
                        for event_id, count in reached.items():
                            self.reached[event_id] = self.reached.get(event_id, 0) + count
                    raise

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
        pushes = [(channel, seq, text_frame(frame)) for channel, seq, frame in message["pushes"]]
        reached = 0
        for connection in connections:
            watched = connection.channels
            offered = False
            for channel, seq, frame in pushes:
                if channel in watched and connection.offer(seq, frame):
                    offered = True
            reached += offered
        if reached:
            with self.lock:
                self.reached[message["event"]] = self.reached.get(message["event"], 0) + reached
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
    missed = events.pushes_since(since, channels, REPLAY_LIMIT)
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
