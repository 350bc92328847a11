"""The engine: daemon worker threads that claim due jobs from the job table and carry them out.

It runs in the process that serves a standalone sandbox, or in a process of its own (`sandbox.engine_process`)
for the sandbox the dashboard mounts in its gevent worker.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, ContextManager

from sandbox import analysis, generation, jobs, messaging, rules, runs, wakeup, webhooks  # noqa: F401 - rules: hooks
from sandbox.store import Tx, transaction

if TYPE_CHECKING:
    from sandbox.state import SandboxState

log = logging.getLogger(__name__)
WORKERS = {"engine": 1, "webhook": 2}  # webhook workers apart, so a slow receiver never stalls the runs
ENGINE_LEASE = 60.0
IDLE_WAIT = 0.25  # longest nap: a job whose wake-up got lost is still claimed this fast
LATE_AFTER = 1.0  # a job claimed later than this after it fell due is logged: nothing should make it wait


class Engine:
    """The worker threads of one sandbox in this process (plain threads: never run it under gevent)."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self.wakeup = threading.Event()
        self.threads: list[threading.Thread] = []
        self.listener: wakeup.Listener | None = None

    def start(self) -> None:
        """Start the worker threads, and the one that relays wake-ups from the socket (daemons all)."""
        database = self.state.settings.database
        try:
            self.listener = wakeup.Listener(database)
        except OSError as error:
            log.warning("sandbox engine cannot listen for wake-ups at %s (%s); it polls every %.2f s",
                        wakeup.address(database), error, IDLE_WAIT)
        else:
            self._spawn(self.relay, "sandbox-wakeup")
        for queue, count in WORKERS.items():
            for number in range(count):
                self._spawn(self.work, f"sandbox-{queue}-{number}", queue)
        log.info("sandbox engine %s started on %s", self.owner, database)

    def _spawn(self, target, name: str, *args: str) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=name)
        thread.start()
        self.threads.append(thread)

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the workers to stop and wait for them to finish their current job."""
        self.stopping.set()
        self.wakeup.set()
        for thread in self.threads:
            thread.join(timeout)
        if self.listener is not None:
            self.listener.close()
        log.info("sandbox engine %s stopped", self.owner)

    def relay(self) -> None:
        """Turn each wake-up that arrives on the socket into the workers' event."""
        while not self.stopping.is_set():
            if self.listener.wait(IDLE_WAIT):
                self.wakeup.set()

    def work(self, queue: str) -> None:
        """Claim and carry out jobs until asked to stop; log a job claimed late, and a nap that overran."""
        database = self.state.settings.database
        finished: deque[float] = deque(maxlen=10_000)  # when this worker finished its latest jobs
        while not self.stopping.is_set():
            try:
                job = jobs.claim(database, queue, self.owner, webhooks.LEASE if queue == "webhook" else ENGINE_LEASE)
                if job is not None:
                    late = time.time() - job.due_at
                    if late > LATE_AFTER:
                        # Jobs finished since it fell due: a backlog or a slow job. None: the worker napped too long
                        # or waited for the job's lane.
                        log.warning("sandbox job %s %s ran %.1f s after it was due; this worker finished %d jobs "
                                    "since", job.id, job.kind, late, sum(1 for at in finished if at >= job.due_at))
                    self.carry_out(job)
                    finished.append(time.time())
                    continue
                due = jobs.next_due(database, queue)
            except Exception:  # noqa: BLE001 - a worker must survive a locked or vanished database
                log.exception("sandbox engine worker %s failed; retrying", queue)
                due = None
            wait = IDLE_WAIT if due is None else min(IDLE_WAIT, max(0.01, due - time.time()))
            napped = time.monotonic()
            self.wakeup.wait(wait)
            overran = time.monotonic() - napped - wait
            if overran > LATE_AFTER:  # the stall once seen under gevent: a timed wait that did not return in time
                log.warning("sandbox engine worker %s woke %.1f s late from a %.2f s wait", queue, overran, wait)
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
        """A transaction whose links use the configured mount point (SANDBOX_MOUNT): the engine sees no requests."""
        settings = self.state.settings
        return transaction(settings.database, settings.mount + "/public/v2", self.state, write)

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
        refused = False
        if not subscribed:
            attempt = webhooks.failed_attempt("the subscription was deleted")
        elif url is None:
            attempt = webhooks.failed_attempt("no webhookUrl is configured")
        else:  # a refused target (sandbox/egress.py) is never sent to, and not retried
            attempt, refused = webhooks.deliver(url, secret, entry["_payload"], self.state.settings)
        with self.transaction() as tx:
            if jobs.still_owned(tx, job):
                current = tx.get("webhookLogs", job.ref)
                if current is not None:
                    webhooks.record_attempt(tx, current, attempt, self.state.settings.time_scale,
                                            final=refused or not subscribed)
                jobs.finish(tx, job)


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
