"""This process's open sockets, indexed by channel, and the broker that brings every process's events to them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import current_app

from dashboard.live.broker import MemoryBroker, RedisBroker
from dashboard.live.connection import HELD, SERVICE_RESTART, SESSION_ENDED, Connection
from dashboard.live.frames import coalesced, text_frame

log = logging.getLogger(__name__)
TALLY_SECONDS = 0.5
# Told the sockets each event reached (event id -> count) every TALLY_SECONDS; the hub's owner stores them.
OnReached = Callable[[dict[str, int]], None]
# Asked every SESSION_CHECK_SECONDS for the current session version of the accounts holding sockets here (user
# id -> version; a deleted account is missing). The database is the one place every worker and instance shares,
# with or without Redis, so each process checks its own sockets there.
SessionVersions = Callable[[set[int]], dict[int, int]]
SESSION_CHECK_SECONDS = 2.0
# Pushes due to one socket within this long of its last write go out together as one message: a page repaints
# at most ~50 times a second anyway, and socket writes then grow with pages, not with events x pages.
COALESCE_SECONDS = 0.02


class Hub:
    """This process's open sockets by channel (encode/broadcaster's `dict[channel, set]`), so a push visits only
    the sockets that watch its channel, and the broker that brings every process's events to them."""

    def __init__(self, redis_url: str | None, ping_seconds: float, on_reached: OnReached,
                 session_versions: SessionVersions | None = None) -> None:
        self.ping_seconds = ping_seconds
        self.on_reached = on_reached
        self.session_versions = session_versions
        self.owners: dict[Connection, tuple[int, int]] = {}  # socket -> (user id, session version) it opened under
        self.keeper: threading.Thread | None = None
        self.reached: dict[str, int] = {}  # sockets reached per event, not yet reported
        self.watchers: dict[str, set[Connection]] = {}
        self.count = 0
        self.lock = threading.Lock()
        self.coalesce_seconds = COALESCE_SECONDS
        self.held: set[Connection] = set()  # sockets with pushes held for the next flush
        self.flush_at: float | None = None  # when the oldest held push is due (monotonic)
        self.flusher: threading.Thread | None = None
        self.flush_due: threading.Event | None = None  # made with the flusher, in the serving process
        self.broker = (RedisBroker(redis_url, self.deliver, lambda: self.drop_all(SERVICE_RESTART))
                       if redis_url else MemoryBroker(self.deliver))

    def connect(self, channels: set[str], ws=None, replay: bool = False,
                owner: tuple[int, int] | None = None) -> Connection:
        """Register a socket for these channels; frames published from now on are written or queued for it. An
        `owner` (user id, session version) has it closed when that session ends."""
        connection = Connection(channels, ws, replay)
        self._start_keeper()
        self.broker.start()
        with self.lock:
            if owner is not None:
                self.owners[connection] = owner
            for channel in channels:
                self.watchers.setdefault(channel, set()).add(connection)
            self.count += 1
        return connection

    def disconnect(self, connection: Connection) -> None:
        """Forget a socket."""
        with self.lock:
            self.owners.pop(connection, None)
            known = False
            for channel in connection.channels:
                watching = self.watchers.get(channel)
                if watching is not None and connection in watching:
                    known = True
                    watching.discard(connection)
                    if not watching:
                        del self.watchers[channel]
            self.count -= known

    def publish(self, event_id: str, pushes: list[tuple[str, int, str]]) -> int:
        """Publish an event's stored pushes (channel, seq, frame) to every process; return the sockets reached
        here (in memory; through Redis each process counts its own)."""
        return self.broker.publish({"event": event_id, "pushes": [list(push) for push in pushes]})

    def deliver(self, message: dict) -> int:
        """Write or queue a published event's frames on this process's sockets that watch them; count the sockets."""
        pushes = message["pushes"]
        reached: set[Connection] | None = set() if len(pushes) > 1 else None  # a socket counts once per event
        count, held, now, window = 0, [], time.monotonic(), self.coalesce_seconds
        if self.flush_at is not None and now >= self.flush_at:
            # Due pushes go first, from here: a busy publisher may keep the flusher from running (under gevent
            # it yields rarely), and a held push must not wait longer than the window for it.
            self.flush()
        for channel, seq, frame in pushes:
            with self.lock:
                watching = list(self.watchers.get(channel, ()))
            if not watching:
                continue
            data = text_frame(frame)  # encoded once: the same bytes go to every socket
            for connection in watching:
                outcome = connection.push(seq, frame, data, now, window)
                if outcome == HELD:
                    held.append(connection)
                if outcome:
                    if reached is None:
                        count += 1
                    else:
                        reached.add(connection)
        if reached:
            count = len(reached)
        if held:
            self._hold(held)
        if count:
            with self.lock:
                self.reached[message["event"]] = self.reached.get(message["event"], 0) + count
        return count

    def flush(self) -> int:
        """Send every socket's held pushes, each socket's as one message; return how many sockets were written.
        Sockets held the same pushes (every page of a list, say) share one encoded message."""
        with self.lock:
            held, self.held, self.flush_at = self.held, set(), None
        merged: dict[tuple[int, ...], tuple[int, bytes]] = {}

        def merge(frames: list[tuple[int, str, bytes]]) -> tuple[int, bytes]:
            if len(frames) == 1:
                return frames[0][0], frames[0][2]
            key = tuple(seq for seq, _, _ in frames)
            if key not in merged:
                # Usually one message; more when a push aims at what an earlier one put on the page (frames.coalesced).
                merged[key] = key[-1], b"".join(text_frame(message) for message in coalesced(
                    [frame for _, frame, _ in frames]))
            return merged[key]

        now = time.monotonic()
        for connection in held:
            connection.flush(now, self.coalesce_seconds, merge)
        return len(held)

    def drop_all(self, code: int) -> None:
        """Close every socket of this process with `code` (shutdown, or a gap the pages must catch up on)."""
        for connection in self._every_connection():
            connection.drop(code)

    def end_revoked_sessions(self) -> int:
        """Close the sockets whose session has ended (its account's version moved on, or the account is gone);
        return how many. One query for every account holding a socket here.

        Closed with 1008 (policy violation), a standard code hx-ws does not reconnect after: reconnecting would
        only be refused (the cookie is dead) again and again, while the page shows "Offline" and a reload leads
        to the sign-in page. 4401 would say the same in a private code no proxy or library knows; 1012/1013 would
        make the page retry forever."""
        with self.lock:
            owners = dict(self.owners)
        if not owners or self.session_versions is None:
            return 0
        current = self.session_versions({user_id for user_id, _ in owners.values()})
        ended = [connection for connection, (user_id, version) in owners.items() if current.get(user_id) != version]
        with self.lock:
            for connection in ended:
                self.owners.pop(connection, None)
        for connection in ended:
            connection.drop(SESSION_ENDED)
        if ended:
            log.info("closed %d live sockets whose session ended", len(ended))
        return len(ended)

    def write_tally(self) -> None:
        """Report the sockets reached since the last call to `on_reached`; kept for the next call if it fails."""
        with self.lock:
            reached, self.reached = self.reached, {}
        if not reached:
            return
        try:
            self.on_reached(reached)
        except Exception:
            with self.lock:  # kept for the next round, not lost
                for event_id, count in reached.items():
                    self.reached[event_id] = self.reached.get(event_id, 0) + count
            raise

    def state(self) -> str:
        """The backend as /healthz reports it."""
        return self.broker.state()

    def __len__(self) -> int:
        return self.count

    def _every_connection(self) -> set[Connection]:
        with self.lock:
            return set().union(*self.watchers.values())

    def _hold(self, connections: list[Connection]) -> None:
        with self.lock:
            self.held.update(connections)
            if self.flush_at is None:
                self.flush_at = time.monotonic() + self.coalesce_seconds
            if self.flusher is None or not self.flusher.is_alive():
                self.flush_due = threading.Event()
                self.flusher = threading.Thread(target=self._flush_forever, name="live-flusher", daemon=True)
                self.flusher.start()
            due = self.flush_due
        due.set()

    def _flush_forever(self) -> None:
        # One thread (a greenlet under gevent) per process: woken by the first held push, it waits out the window
        # so every push due meanwhile joins, then writes each socket's as one message.
        due = self.flush_due
        while True:
            due.wait()
            time.sleep(self.coalesce_seconds)
            due.clear()  # before taking the held sockets: a push held from now on wakes the next round
            try:
                self.flush()
            except Exception:  # a bug here must not stop every later flush
                log.exception("flushing held live pushes failed")

    def _start_keeper(self) -> None:
        with self.lock:
            if self.keeper is None or not self.keeper.is_alive():
                self.keeper = threading.Thread(target=self._keep, name="live-keeper", daemon=True)
                self.keeper.start()

    def _keep(self) -> None:
        # One thread per process pings every socket (simple-websocket's own pings would cost each socket a timer
        # and could cut into a frame a slow page is still being sent) and reports the sockets reached in batches
        # (one commit per event would cost more than the pushes themselves).
        # It also closes, every SESSION_CHECK_SECONDS, the sockets of sessions that have ended.
        next_ping = time.monotonic() + self.ping_seconds
        next_check = time.monotonic() + SESSION_CHECK_SECONDS
        while True:
            time.sleep(TALLY_SECONDS)
            try:
                self.write_tally()
            except Exception:  # the database may be away for a moment: the counts wait for the next round
                log.exception("reporting the sockets reached failed")
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + SESSION_CHECK_SECONDS
                try:
                    self.end_revoked_sessions()
                except Exception:  # the database may be away for a moment: checked again next round
                    log.exception("checking the live sockets' sessions failed")
            if time.monotonic() >= next_ping:
                next_ping += self.ping_seconds
                for connection in self._every_connection():
                    connection.ping()


def hub() -> Hub:
    """The current app's hub."""
    return current_app.extensions["live"]
