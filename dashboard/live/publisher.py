"""The background worker that turns stored events into pushes, so a render never delays a webhook's 2xx."""

from __future__ import annotations

import logging
import queue
import threading

from flask import Flask

from dashboard.db import events, pushes
from dashboard.live import order, render

log = logging.getLogger(__name__)
# An event still unpublished this long after it arrived was left behind by a crash (or a lost claim).
RECOVER_AFTER_SECONDS = 20.0
IDLE_SECONDS = 10.0


class Publisher:
    """One worker thread (a greenlet under gevent) per process: render, store the frames, publish, in order."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pending: queue.Queue[str | None] = queue.Queue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def submit(self, event_id: str) -> None:
        """Queue an applied event for rendering and publishing; never blocks."""
        self.start()
        self.pending.put(event_id)

    def start(self) -> None:
        """Start the worker on first use (never at import time or in a CLI command)."""
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="live-publisher", daemon=True)
                self.thread.start()

    def publish_now(self, event_id: str) -> int:
        """Render and publish one stored event in this thread (also the admin's replay); return sockets reached."""
        with self.app.app_context():
            event = events.get(event_id)
            if event is None:
                return 0
            # A request context lets partials build links with url_for, like the pages do.
            with self.app.test_request_context("/"):
                bodies = render.render(event)
            with order.publishing():
                if order.superseded(event):
                    pushes.store_pushes(event.id, [])  # published as nothing: the newer update shows
                    return 0
                stored = pushes.store_pushes(event.id, bodies)
                return self.app.extensions["live"].publish(event.id, stored)

    def _run(self) -> None:
        self._recover()  # a process started after a crash publishes what the old one had only stored
        while True:
            try:
                event_id = self.pending.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                self._recover()
                continue
            try:
                self.publish_now(event_id)
            except Exception:  # one bad event must not stop the pushes of every later one
                log.exception("publishing event %s failed; it is retried by recovery", event_id)

    def _recover(self) -> None:
        try:
            with self.app.app_context():
                for event in events.claim_unpublished(RECOVER_AFTER_SECONDS):
                    log.info("publishing event %s left unpublished", event.id)
                    self.pending.put(event.id)
        except Exception:
            log.exception("recovering unpublished events failed")
