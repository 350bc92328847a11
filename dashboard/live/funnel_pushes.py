"""A flow page's funnel, live: a change to a run marks its flow due; after a short pause that gathers a burst of
changes, each due flow's funnel is counted and rendered once (every period in one statement) and published on the
flow page's channel `flows:<id>`, as a push of the last event that changed it, through the publisher's one
store-and-publish path (so a reconnecting page replays it like any push).

The rendering is the flows blueprint's (`app.extensions["flow_funnel_push"]`: flow id, session -> HTML or None),
since the graph it draws is the blueprint's; this module decides only when, and publishes.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from dashboard.db.base import session_scope
from dashboard.db.events import Event
from dashboard.recrubo.client import parse_resource
from dashboard.recrubo.relations import related_id

if TYPE_CHECKING:
    from dashboard.live.publisher import Publisher

log = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 1.0
RENDERER = "flow_funnel_push"


def flow_of(event: Event) -> str | None:
    """The flow a run event belongs to (from the resource the event carries, deletes included), else None."""
    if event.resource_type != "flowRuns":
        return None
    try:
        return related_id(parse_resource(event.document["data"]["attributes"]["resource"]), "flow")
    except (KeyError, TypeError, ValueError):
        return None


class FunnelPushes:
    """The flows whose funnel is due, and the thread that pushes them once per pause."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.lock = threading.Lock()
        self.due: dict[str, str] = {}  # flow id -> the last event that changed one of its runs
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None

    def note(self, event: Event) -> None:
        """Mark the funnel of the event's flow due when the event changed a run; never blocks."""
        flow_id = flow_of(event)
        if flow_id is None or RENDERER not in self.publisher.app.extensions:
            return
        with self.lock:
            self.due[flow_id] = event.id
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="flow-funnels", daemon=True)
                self.thread.start()
        self.wake.set()

    def _run(self) -> None:
        while True:
            self.wake.wait()
            time.sleep(DEBOUNCE_SECONDS)
            self.wake.clear()  # before taking the flows: a change marked from now on wakes us again
            with self.lock:
                due, self.due = self.due, {}
            for flow_id, event_id in due.items():
                try:
                    self.push(flow_id, event_id)
                except Exception:  # the next change pushes again; a reloaded page counts anew
                    log.exception("pushing the funnel of flow %r failed", flow_id)

    def push(self, flow_id: str, event_id: str) -> int:
        """Count, render and publish one flow's funnel now; return the sockets reached."""
        app = self.publisher.app
        with app.app_context():
            with session_scope() as session:
                html = app.extensions[RENDERER](flow_id, session)
            if not html:
                return 0
            return self.publisher._publish(event_id, [(f"flows:{flow_id}", {"content": html})])
