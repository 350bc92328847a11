"""The engine: daemon worker threads that claim due jobs from the job table and carry them out."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from typing import TYPE_CHECKING, ContextManager

from sandbox import analysis, generation, jobs, messaging, runs, webhooks
from sandbox.store import Tx, transaction

if TYPE_CHECKING:
    from sandbox.state import SandboxState

log = logging.getLogger(__name__)
WORKERS = {"engine": 1, "webhook": 2}  # webhook workers apart, so a slow receiver never stalls the runs
ENGINE_LEASE = 60.0
IDLE_WAIT = 0.25  # longest nap: jobs added by another process are noticed this fast
# An engine job takes milliseconds; a worker silent this long is stuck (a webhook worker may wait on a receiver).
STUCK_AFTER = {"engine": 10.0, "webhook": 2 * webhooks.LEASE}


class Engine:
    """The worker threads of one sandbox app in this process."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self.wakeup = threading.Event()
        self.threads: list[threading.Thread] = []
        self.beats: dict[threading.Thread, tuple[float, str]] = {}  # each worker's last sign of life, and its job
        self.retired: set[threading.Thread] = set()  # replaced as stuck: leaves its loop if it ever wakes

    def start(self) -> None:
        """Start the worker threads (daemons, so they never keep the process alive)."""
        jobs.register_waker(self.wakeup, True)
        for queue, count in WORKERS.items():
            for number in range(count):
                self.threads.append(self._spawn(queue, number))
        log.info("sandbox engine %s started on %s", self.owner, self.state.settings.database)

    def revive(self, stuck_after: dict[str, float] = STUCK_AFTER) -> None:
        """Replace any worker that died or is stuck, so one lost worker never stalls the sandbox for good."""
        if self.stopping.is_set():
            return
        now = time.monotonic()
        for index, thread in enumerate(self.threads):
            queue, number = thread.name.removeprefix("sandbox-").rsplit("-", 1)
            beat, doing = self.beats.get(thread, (now, ""))
            if not thread.is_alive():
                log.error("sandbox engine worker %s had died; starting it again", thread.name)
            elif now - beat > stuck_after[queue]:
                # Seen under gevent in long test sessions: the engine worker stopped without a trace. Say where.
                log.error("sandbox engine worker %s stuck for %.0f s (%s); starting another. Where it waits:\n%s",
                          thread.name, now - beat, doing or "between jobs", _stack_of(thread))
            else:
                continue
            self.beats.pop(thread, None)
            self.retired.add(thread)
            self.threads[index] = self._spawn(queue, int(number))

    def _spawn(self, queue: str, number: int) -> threading.Thread:
        thread = threading.Thread(target=self.work, args=(queue,), daemon=True, name=f"sandbox-{queue}-{number}")
        thread.start()
        return thread

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the workers to stop and wait for them to finish their current job."""
        self.stopping.set()
        self.wakeup.set()
        for thread in self.threads:
            thread.join(timeout)
        jobs.register_waker(self.wakeup, False)
        log.info("sandbox engine %s stopped", self.owner)

    def work(self, queue: str) -> None:
        """Claim and carry out jobs until asked to stop; log whatever ends the worker otherwise."""
        try:
            self._work(queue)
        except BaseException:
            # Seen once under gevent in a long test session: a worker ended without a trace. Say why.
            log.exception("sandbox engine worker %s ended unexpectedly", queue)
            raise

    def _work(self, queue: str) -> None:
        database = self.state.settings.database
        me = threading.current_thread()
        while not self.stopping.is_set() and me not in self.retired:
            self.beats[me] = (time.monotonic(), "")
            try:
                job = jobs.claim(database, queue, self.owner, webhooks.LEASE if queue == "webhook" else ENGINE_LEASE)
                if job is not None:
                    self.beats[me] = (time.monotonic(), f"job {job.id} {job.kind} {job.ref}")
                    self.carry_out(job)
                    continue
                due = jobs.next_due(database, queue)
            except Exception:  # noqa: BLE001 - a worker must survive a locked or vanished database
                log.exception("sandbox engine worker %s failed; retrying", queue)
                due = None
            wait = IDLE_WAIT if due is None else min(IDLE_WAIT, max(0.01, due - time.time()))
            self.wakeup.wait(wait)
            self.wakeup.clear()

    def carry_out(self, job: jobs.Job) -> None:
        """Do one job; a job that raises is dropped with a log line instead of failing forever."""
        try:
            if job.queue == "webhook":
                self.deliver(job)
            else:
                with self.transaction() as tx:
                    if jobs.still_owned(tx, job):
                        dispatch(tx, job)
                        jobs.finish(tx, job)
        except Exception:  # noqa: BLE001
            log.exception("sandbox job %s %s %s failed and was dropped", job.id, job.kind, job.ref)
            with self.transaction() as tx:
                jobs.finish(tx, job)

    def transaction(self, write: bool = True) -> ContextManager[Tx]:
        """A transaction whose links use the mount point the app was last reached at."""
        return transaction(self.state.settings.database, self.state.script_root + "/public/v2", self.state, write)

    def deliver(self, job: jobs.Job) -> None:
        """Attempt a webhook delivery outside any transaction, then record it."""
        with self.transaction(write=False) as tx:
            entry = tx.get("webhookLogs", job.ref)
            subscribed = entry is not None and tx.get("webhooks", entry["webhookId"]) is not None
            url, secret = webhooks.destination(tx, entry) if subscribed else (None, "")
        if entry is None or entry["status"] != "pending":
            with self.transaction() as tx:
                jobs.finish(tx, job)
            return
        if not subscribed:
            attempt = webhooks.failed_attempt("the subscription was deleted")
        elif url is None:
            attempt = webhooks.failed_attempt("no webhookUrl is configured")
        else:
            attempt = webhooks.post(url, secret, entry["_payload"])
        with self.transaction() as tx:
            if jobs.still_owned(tx, job):
                current = tx.get("webhookLogs", job.ref)
                if current is not None:
                    webhooks.record_attempt(tx, current, attempt, self.state.settings.time_scale,
                                            final=not subscribed)
                jobs.finish(tx, job)


def _stack_of(thread: threading.Thread) -> str:
    """Where a worker thread (a greenlet under gevent) is waiting, as a traceback; empty when unknown."""
    import sys
    import traceback

    frame = sys._current_frames().get(thread.ident)
    if frame is None:  # under gevent a "thread" is a greenlet, and its ident is the greenlet's id()
        try:
            import gc

            import greenlet
            frame = next((g.gr_frame for g in gc.get_objects()
                          if isinstance(g, greenlet.greenlet) and id(g) == thread.ident), None)
        except ImportError:
            frame = None
    return "".join(traceback.format_stack(frame)) if frame is not None else "(stack unknown)"


HANDLERS = {"run": ("flowRuns", lambda tx, job, run: runs.handle(tx, job.kind, run, job.payload)),
            "message": ("messages", lambda tx, job, message: messaging.step_delivery(tx, message)),
            "generation": ("flowGenerations", lambda tx, job, record: generation.step(tx, record)),
            "analysis": ("vacancyAnalyses", lambda tx, job, record: analysis.step(tx, record))}


def dispatch(tx: Tx, job: jobs.Job) -> None:
    """Route an engine job to the module that owns its resource, inside that resource's organization."""
    handler = HANDLERS.get(job.kind.split(".")[0])
    if handler is None:
        log.warning("sandbox job %s has an unknown kind %s", job.id, job.kind)
        return
    rtype, handle = handler
    record = tx.get(rtype, job.ref)
    if record is not None:
        tx.org = record["_org"]
        handle(tx, job, record)
