"""This process's open sockets, and the broker that brings every process's events to them."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from dashboard.db import events, pushes
from dashboard.live.broker import MemoryBroker, RedisBroker
from dashboard.live.connection import SERVICE_RESTART, Connection, text_frame

log = logging.getLogger(__name__)
TALLY_SECONDS = 0.5


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

    def publish(self, event_id: str, stored: list[pushes.Push]) -> int:
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
