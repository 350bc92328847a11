"""The one way out of the event log: render an event, store its frames in the push log, hand them to the hub.

An event's row is read from the read model through the list page's own joined query (`dashboard.db.listing`,
written in the webhook's transaction) and rendered with it, so a pushed row names what it points at exactly as
the page does after a reload.

Every push goes through `Publisher._publish`, which holds the publishing order (`order.publishing`), leaves out an
event a newer update superseded, stores the frames (each gets its seq) and hands them to the hub. Applied events
arrive through a queue that one worker thread (a greenlet under gevent) per process drains, so a render never
delays a webhook's 2xx; the admin's replay publishes in its request.

Home's panels are decided here too (`live.home.figures`: totals, runs by status, "Needs attention", "Generations
in progress", the chart). Counting them for every run event would make each push wait on it. An event that changes
what Home shows only marks them due; a second thread counts after a short pause that gathers a burst into one
refresh, renders every panel once and publishes them through the same `_publish`, as a push of the last event
that changed them, so a reconnecting Home page replays them like any push.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping

from flask import Flask
from sqlalchemy.orm import Session

from dashboard.db import events, listing, pushes
from dashboard.db.events import Event
from dashboard.live import home, order, render, render_candidate
from dashboard.live.funnel_pushes import FunnelPushes
from dashboard.live.hub import Hub
from dashboard.recrubo.client import RecruboError
from dashboard.recrubo.counting import current_totals, run_counts

log = logging.getLogger(__name__)
# An event still unpublished this long after it arrived was left behind by a crash (or a lost claim).
RECOVER_AFTER_SECONDS = 20.0
IDLE_SECONDS = 10.0
COUNTERS_DEBOUNCE_SECONDS = 1.0
PRUNE_EVERY = 500  # publishes between two cuts of the push log to its newest pushes.KEEP_PUSHES frames
# How a push reads its resource's row: by id, through the same joined query as the list page.
JOINED = {"flowRuns": listing.runs, "messageThreads": listing.threads, "flowGenerations": listing.generations,
          "flows": listing.flows}
RENAMED_ROWS = 25  # at most this many rows per list renamed by one candidate change (a page's worth)
# Home's panels change when these resources appear, go, or (runs, generations) change status.
COUNTED = {"flowRuns", "flows", "messageThreads", "flowGenerations"}


def joined_row(event: Event, session: Session | None = None) -> Mapping | None:
    """The event's resource as its list page reads it from the read model (with the names it points at), or None
    for a delete, a type the lists do not show, or a row the model does not hold. In `session` when given (the
    webhook's own transaction, which has just written the row)."""
    reader = JOINED.get(event.resource_type)
    if reader is None or event.event == "delete":
        return None
    found = reader(ids=[event.resource_id], session=session).items
    return found[0] if found else None


def naming_rows(event: Event, session: Session | None = None) -> dict[str, list[Mapping]]:
    """The list rows that show a candidate's name (its threads and their newest runs), re-read after the candidate
    changed, so pushes rename them; nothing for other events."""
    if event.resource_type != "candidates":
        return {}
    threads = listing.threads(candidate_id=event.resource_id, size=RENAMED_ROWS, session=session).items
    runs = [run for thread in threads
            for run in listing.runs(thread_id=thread.id, size=RENAMED_ROWS, session=session).items]
    return {"messageThreads": threads, "flowRuns": runs[:RENAMED_ROWS]}


def push_bodies(event: Event, session: Session | None = None) -> list[tuple[str, dict]]:
    """Everything an applied event pushes, rendered once in the app context alone (no request, no session, no CSRF
    token: render.PUSH_GLOBALS): its row and detail, and the rows a candidate's new name renames."""
    row = joined_row(event, session)
    return render.render(event, row) + render_candidate.bodies(event, row, session) + [
        body for type_, rows in naming_rows(event, session).items() for body in render.renamed(type_, rows)]


def counters_due(event: Event) -> bool:
    """True when `event` may have changed what Home shows: a counted resource appearing or going, a run's or a
    generation's status ("Needs attention", "Generations in progress" and the chart read it), or a name Home's
    panels show (a flow's, a candidate's)."""
    if event.resource_type == "candidates" and event.event == "update":
        return not event.field_list or bool({"firstName", "lastName"} & set(event.field_list))
    if event.resource_type not in COUNTED:
        return False
    if event.event in ("create", "delete"):
        return True
    # An update without `fields` (the real API may leave it out) might have changed the status.
    if event.resource_type in ("flowRuns", "flowGenerations"):
        return not event.field_list or "status" in event.field_list
    return event.resource_type == "flows" and (not event.field_list or "name" in event.field_list)


class Publisher:
    """Render, store the frames, publish, in order: one worker for events and one for Home's counters."""

    def __init__(self, app: Flask, hub: Hub) -> None:
        self.app = app
        self.hub = hub
        self.pending: queue.Queue[str] = queue.Queue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.published = 0
        self.counters_event: str | None = None  # the last event that made the counters due
        self.counters_wake = threading.Event()
        self.counters_thread: threading.Thread | None = None
        self.funnels = FunnelPushes(self)  # flow pages' funnels, once per flow per burst of run changes

    def start(self) -> None:
        """Start the worker, with the gunicorn worker (`post_worker_init`), never at import time, in a CLI command
        or in a socket's handler; it first publishes what a crash left unpublished."""
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="live-publisher", daemon=True)
                self.thread.start()

    def submit(self, event_id: str) -> None:
        """Queue an applied event for rendering and publishing; never blocks. Outside gunicorn (an app served
        in-process) the first event starts the worker."""
        if self.thread is None:
            self.start()
        self.pending.put(event_id)

    def publish_now(self, event_id: str) -> int:
        """Render and publish one stored event in this thread (also the admin's replay); return sockets reached."""
        with self.app.app_context():
            event = events.get(event_id)
            if event is None:
                return 0
            bodies = push_bodies(event)
            if counters_due(event):
                self._counters_due(event.id)
            self.funnels.note(event)
            return self._publish(event.id, bodies, event)

    def refresh_counters(self, event_id: str) -> int:
        """Count Home's figures now and publish every panel as a push of `event_id`; return sockets reached. While
        the model backfills only the totals and runs by status are pushed (the rest would walk the API)."""
        with self.app.app_context():
            with self.app.test_request_context("/"):
                try:
                    if listing.ready("home"):
                        figures = home.figures(backfilling=False)
                        bodies = render.counters(figures.totals, figures.runs, figures)
                    else:
                        bodies = render.counters(current_totals(), run_counts())
                except RecruboError as error:
                    # The next change counts again; a reconnecting page re-fetches them from the API.
                    log.warning("home counters not pushed: %s", error.message)
                    return 0
            return self._publish(event_id, bodies)

    def _publish(self, event_id: str, bodies: list[tuple[str, dict]], event: Event | None = None) -> int:
        # The one store-and-publish sequence (in an app context). `event`: the staleness check applies.
        with order.publishing():
            if event is not None and order.superseded(event):
                pushes.store_pushes(event_id, [])  # published as nothing: the newer update shows
                return 0
            stored = pushes.store_pushes(event_id, bodies)
            reached = self.hub.publish(event_id, [(push.channel, push.seq, push.frame) for push in stored])
        self.count_published()
        return reached

    def published_by_receiver(self, event: Event) -> None:
        """What follows an event the receiver published in its own transaction (`live.ingest`): Home's counters
        when due, and the push log's pruning every so often (in an app context)."""
        if counters_due(event):
            self._counters_due(event.id)
        self.funnels.note(event)
        self.count_published()

    def count_published(self) -> None:
        """Count one published event; every PRUNE_EVERY, cut the push log to its newest frames (in an app context)."""
        self.published += 1
        if self.published % PRUNE_EVERY == 0:
            try:
                pushes.prune_pushes(pushes.KEEP_PUSHES)
            except Exception:  # the log is cut at the next round; a push was published either way
                log.exception("pruning the push log failed")

    def _run(self) -> None:
        self._recover()  # a process started after a crash publishes what the old one had only stored
        while True:
            try:
                event_id = self.pending.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                self._recover()
                continue
            self.attempt(event_id)

    def attempt(self, event_id: str) -> bool:
        """Publish one event, counting a failure; after `events.PUBLISH_ATTEMPTS` failures it is marked failed and
        never retried (recovery retries it until then). True when it was published."""
        try:
            self.publish_now(event_id)
            return True
        except Exception as error:  # one bad event must not stop the pushes of every later one
            log.exception("publishing event %r failed", event_id)
            reason = f"{type(error).__name__}: {error}"
        try:
            with self.app.app_context():
                if events.publish_failed(event_id, reason):
                    log.error("event %r marked failed after %s attempts: %r", event_id, events.PUBLISH_ATTEMPTS,
                              reason)
        except Exception:
            log.exception("recording the failed publish of event %r failed; recovery tries it again", event_id)
        return False

    def _recover(self) -> None:
        try:
            with self.app.app_context():
                for event in events.claim_unpublished(RECOVER_AFTER_SECONDS):
                    log.info("publishing event %r left unpublished", event.id)
                    self.pending.put(event.id)
        except Exception:
            log.exception("recovering unpublished events failed")

    def _counters_due(self, event_id: str) -> None:
        with self.lock:
            self.counters_event = event_id
            if self.counters_thread is None or not self.counters_thread.is_alive():
                self.counters_thread = threading.Thread(target=self._count, name="home-counters", daemon=True)
                self.counters_thread.start()
        self.counters_wake.set()

    def _count(self) -> None:
        while True:
            self.counters_wake.wait()
            time.sleep(COUNTERS_DEBOUNCE_SECONDS)
            self.counters_wake.clear()  # before taking the event: a change marked from now on wakes us again
            with self.lock:
                event_id, self.counters_event = self.counters_event, None
            if event_id is None:
                continue
            try:
                self.refresh_counters(event_id)
            except Exception:  # the next change counts again; a reconnecting page re-fetches anyway
                log.exception("refreshing home counters failed")
