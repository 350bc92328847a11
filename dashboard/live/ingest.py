"""Webhooks in at the speed of the wire: one transaction per delivery from receipt to stored pushes, and the
deliveries that arrive meanwhile committed together.

The receiver hands each verified delivery to `Ingest.receive` and waits. One writer per process (a greenlet under
gevent) takes every delivery waiting at that moment and, holding the publishing order (`order.publishing`), runs
each in a savepoint of one transaction: count a redelivery, or decide the verdict once (dedupe, newest wins, the
future-dated rule), write the read model, render the pushes from the row just written, store the event as
published and its pushes. Then one commit for the batch; the pushes go to the hub in seq order; only then is each
delivery acknowledged, so no acknowledged webhook is ever lost. Since no process stores pushes while the lock is
held, the staleness decided in the transaction still holds when the pushes go out: it is decided once.

One commit (one fsync) per batch instead of two per webhook; on SQLite under gevent the commit runs in a thread of
gevent's pool, so the worker keeps receiving and pushing while the disk syncs (SQLite's C call would otherwise
block every greenlet of the worker).

A delivery whose pushes cannot be rendered is stored unpublished and handed to the publisher, which retries it and
marks it failed after a few attempts; a delivery that cannot be recorded fails alone (its savepoint is rolled
back) and is answered 500, so its sender retries it.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from dashboard.db import events, pushes
from dashboard.db.events import Delivery, Event, Outcome
from dashboard.live import order
from dashboard.live.hub import Hub
from dashboard.live.publisher import Publisher, push_bodies

log = logging.getLogger(__name__)
# Deliveries per commit at most: a batch holds the write lock, and its first delivery waits for its last.
BATCH = 64


@dataclass
class Job:
    """One delivery on its way through the writer, and what became of it."""

    delivery: Delivery
    apply: events.Apply | None
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None
    error: Exception | None = None
    published: Event | None = None  # applied, with its pushes stored in the batch's transaction
    stored: list[pushes.Stored] = field(default_factory=list)
    unpublished: bool = False  # applied, but its pushes could not be rendered: the publisher tries again


class Ingest:
    """This process's webhook writer: deliveries in, grouped commits, pushes out in order."""

    def __init__(self, app: Flask, hub: Hub, publisher: Publisher) -> None:
        self.app = app
        self.hub = hub
        self.publisher = publisher
        self.pending: queue.Queue[Job] = queue.Queue()
        self.lock = threading.Lock()
        self.writer: threading.Thread | None = None
        self.batches = 0  # for the curious (bench): commits so far

    def receive(self, delivery: Delivery, apply: events.Apply | None = None) -> Outcome:
        """Record a delivery (and, applied, write the read model, render and store its pushes) in the transaction
        of the deliveries waiting with it; return once that is durable and the pushes are published. Raises what
        recording it raised (nothing of it is stored then)."""
        job = Job(delivery, apply)
        self._start()
        self.pending.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.outcome is not None
        return job.outcome

    def _start(self) -> None:
        # On first use, in the serving process: a greenlet under gevent, never one made at import time.
        with self.lock:
            if self.writer is None or not self.writer.is_alive():
                self.writer = threading.Thread(target=self._write_forever, name="live-ingest", daemon=True)
                self.writer.start()

    def _write_forever(self) -> None:
        while True:
            jobs = [self.pending.get()]
            while len(jobs) < BATCH:
                try:
                    jobs.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.app.app_context():
                    self.write(jobs)
            except Exception as error:  # not committed: every delivery of the batch is answered 500 and resent
                log.exception("storing a batch of %d webhooks failed", len(jobs))
                for job in jobs:
                    job.error = job.error or error
            finally:
                for job in jobs:
                    job.done.set()

    def write(self, jobs: list[Job]) -> None:
        """Record, render and store a batch of deliveries in one transaction, commit it, publish its pushes in
        order (in an app context)."""
        with order.publishing():
            session: Session = self.app.extensions["database"]()
            try:
                _begin_writing(session)
                for job in jobs:
                    try:
                        with session.begin_nested():  # one bad delivery fails alone
                            self._record(session, job)
                    except Exception as error:
                        log.exception("recording webhook %r failed", job.delivery.id)
                        job.error, job.published, job.stored, job.unpublished = error, None, [], False
                _commit(session)
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
            self.batches += 1
            for job in jobs:
                if job.published is not None:
                    try:
                        self.hub.publish(job.published.id, list(job.stored))
                    except Exception:  # stored: a page that missed it catches up when it reconnects
                        log.exception("publishing event %r to the hub failed", job.published.id)
        for job in jobs:
            try:
                if job.published is not None:
                    self.publisher.published_by_receiver(job.published)
                elif job.unpublished:
                    self.publisher.submit(job.delivery.id)
            except Exception:  # the counters come with the next change; an unpublished event is recovered
                log.exception("after publishing event %r", job.delivery.id)

    def _record(self, session: Session, job: Job) -> None:
        outcome, event = events.decide(session, job.delivery)
        if event is not None and event.verdict == events.APPLIED:
            if job.apply is not None:
                job.apply(session)
            try:
                bodies = push_bodies(event, session)
            except Exception:
                log.exception("rendering the pushes of event %r failed; the publisher tries again", event.id)
                event.published_at, event.publish_attempts, bodies = None, 1, None
            events.store(session, event)
            if bodies is None:
                job.unpublished = True
            else:
                job.stored = pushes.insert_pushes(session, event.id, bodies)
                job.published = event
        elif event is not None:
            events.store(session, event)  # duplicate, stale or future: recorded, nothing to publish
        job.outcome = outcome


def _begin_writing(session: Session) -> None:
    # SQLite: take the write lock now, and begin the transaction ourselves: Python's sqlite3 begins one only before
    # an INSERT, so a SAVEPOINT issued first would open the transaction and its RELEASE would commit it.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


def _commit(session: Session) -> None:
    # Under gevent, SQLite's commit (the WAL's fsync) would hold the whole worker: run it in a real thread while
    # the other greenlets go on; SQLAlchemy's commit then finds nothing left to do. Postgres's driver yields anyway.
    if session.get_bind().dialect.name == "sqlite" and _under_gevent():
        import gevent

        connection = session.connection().connection.dbapi_connection
        gevent.get_hub().threadpool.apply(connection.commit)
    session.commit()


def _under_gevent() -> bool:
    from gevent import monkey

    return monkey.is_module_patched("threading")
