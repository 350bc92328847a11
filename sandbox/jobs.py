"""The job table: delayed work claimed with a lease, so several processes never run a job twice."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox import wakeup
from sandbox.store import Tx, pooled


@dataclass(frozen=True)
class Job:
    """A claimed job."""

    id: int
    queue: str
    kind: str
    ref: str
    payload: dict
    owner: str
    due_at: float  # when it fell due, in seconds since the epoch


def enqueue(tx: Tx, queue: str, kind: str, ref: str, delay: float = 0.0, payload: dict | None = None,
            lane: str | None = None) -> None:
    """Add a job due after `delay` seconds; jobs sharing a lane run one at a time, in order."""
    tx.conn.execute("INSERT INTO jobs (queue, kind, ref, payload, lane, due_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (queue, kind, ref, json.dumps(payload or {}), lane, time.time() + delay))
    if wake not in tx.after_commit:
        tx.after_commit.append(wake)


def schedule(tx: Tx, kind: str, ref: str, seconds: float = 0.0, payload: dict | None = None,
             lane: str | None = None) -> None:
    """Queue an engine job due after `seconds` of sandbox time, divided by the time scale (S26)."""
    enqueue(tx, "engine", kind, ref, tx.context.settings.scaled(seconds), payload, lane)


def wake(tx: Tx) -> None:
    """Wake the engine of the transaction's database (in this process or another) to claim the new jobs."""
    wakeup.send(tx.path)


def claim(path: Path, queue: str, owner: str, lease: float) -> Job | None:
    """Lease the oldest due job of a queue whose lane is free, or return None."""
    with pooled(path) as conn:
        now = time.time()
        # A lock-free look first, so idle workers never queue for the write lock.
        if conn.execute("SELECT 1 FROM jobs WHERE queue = ? AND due_at <= ? LIMIT 1", (queue, now)).fetchone() is None:
            return None
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(
            """SELECT id, kind, ref, payload, due_at FROM jobs j
               WHERE queue = ? AND due_at <= ? AND (lease_until IS NULL OR lease_until < ?)
                 AND (lane IS NULL OR NOT EXISTS (
                      SELECT 1 FROM jobs k WHERE k.lane = j.lane AND k.id != j.id AND k.lease_until >= ?))
               ORDER BY due_at, id LIMIT 1""", (queue, now, now, now)).fetchone()
        if row:
            conn.execute("UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE id = ?", (owner, now + lease, row[0]))
        conn.execute("COMMIT")
    return Job(row[0], queue, row[1], row[2], json.loads(row[3]), owner, row[4]) if row else None


def finish(tx: Tx, job: Job) -> None:
    """Drop a done job, in the transaction that did its work, unless its lease went to someone else."""
    tx.conn.execute("DELETE FROM jobs WHERE id = ? AND lease_owner = ?", (job.id, job.owner))


def still_owned(tx: Tx, job: Job) -> bool:
    """Whether this worker still holds the job's lease (a stalled worker may have lost it)."""
    row = tx.conn.execute("SELECT 1 FROM jobs WHERE id = ? AND lease_owner = ?", (job.id, job.owner)).fetchone()
    return row is not None


def next_due(path: Path, queue: str) -> float | None:
    """When the earliest job of a queue falls due, or None when the queue is empty."""
    with pooled(path) as conn:
        return conn.execute("SELECT min(due_at) FROM jobs WHERE queue = ?", (queue,)).fetchone()[0]
