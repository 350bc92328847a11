"""Home's counters, refreshed in the background at most once a second, never inside an event's render.

Counting asks the Recrubo API several questions; doing that for every run event made each push wait on
the API (and, with the API down, on its retries). Events only mark the counters dirty; one refresher per
process renders them after a short pause that gathers a burst into one refresh, then publishes them as
a push of the last event that changed them, so a reconnecting Home page replays them like any push.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from dashboard.db import pushes
from dashboard.live import order, render

log = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 1.0


class CounterRefresher:
    """One background thread (a greenlet under gevent) per process that re-counts after changes."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.dirty_event: str | None = None
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def mark_dirty(self, event_id: str) -> None:
        """Note that `event_id` changed what Home counts; never blocks."""
        with self.lock:
            self.dirty_event = event_id
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="home-counters", daemon=True)
                self.thread.start()
        self.wake.set()

    def refresh(self, event_id: str) -> None:
        """Count now and publish the counters as a push of `event_id`."""
        with self.app.app_context(), self.app.test_request_context("/"):
            html = render.counters_html()
            if html is None:
                return
            with order.publishing():
                stored = pushes.store_pushes(event_id, [("home", {"content": html})])
                self.app.extensions["live"].publish(event_id, stored)

    def _run(self) -> None:
        while True:
            self.wake.wait()
            time.sleep(DEBOUNCE_SECONDS)
            self.wake.clear()  # before taking the event: a change marked from now on wakes us again
            with self.lock:
                event_id, self.dirty_event = self.dirty_event, None
            if event_id is None:
                continue
            try:
                self.refresh(event_id)
            except Exception:  # the next change counts again; a reconnecting page re-fetches anyway
                log.exception("refreshing home counters failed")


def init_app(app: Flask) -> None:
    """Keep the refresher in app.extensions; it starts with the first change, not at import time."""
    app.extensions["counters"] = CounterRefresher(app)
