"""SQLite storage: the schema, one transaction per unit of work, records as JSON documents."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (type, id));
CREATE INDEX IF NOT EXISTS resources_thread ON resources (type, json_extract(data, '$.messageThreadId'));
CREATE INDEX IF NOT EXISTS resources_flow ON resources (type, json_extract(data, '$.flowId'));
CREATE INDEX IF NOT EXISTS resources_node ON resources (type, json_extract(data, '$.nodeId'));
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    lane TEXT,
    due_at REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (queue, due_at);
CREATE INDEX IF NOT EXISTS jobs_lane ON jobs (lane, lease_until);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS embed_tokens (
    token TEXT PRIMARY KEY, user_id TEXT NOT NULL, origin TEXT NOT NULL,
    expires_at TEXT NOT NULL, created_at TEXT NOT NULL);
"""
TABLES = ("resources", "jobs", "meta", "embed_tokens")

_id_state = {"ms": 0, "counter": 0}
_locks: dict[str, threading.Lock] = {}


def _lock(name: str) -> threading.Lock:
    """A process-wide lock made on first use, never at import: in a gevent worker that is after gevent has
    patched `threading`, so a greenlet waiting on it yields instead of freezing the process."""
    return _locks.get(name) or _locks.setdefault(name, threading.Lock())


def new_id(at: float | None = None) -> str:
    """A UUID (version 7) whose order follows creation time, so equal timestamps still sort by age."""
    with _lock("id"):
        ms = int((time.time() if at is None else at) * 1000)
        if at is None and ms <= _id_state["ms"]:
            ms, counter = _id_state["ms"], _id_state["counter"] + 1
            if counter > 0xFFF:
                ms, counter = ms + 1, 0
        else:
            counter = secrets.randbits(8)
        if at is None:
            _id_state.update(ms=ms, counter=counter)
    value = ((ms & (2**48 - 1)) << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def iso(at: float | None = None) -> str:
    """An ISO 8601 UTC timestamp in whole seconds with a +00:00 offset."""
    moment = datetime.fromtimestamp(time.time() if at is None else at, timezone.utc)
    return moment.replace(microsecond=0).isoformat()


def parse_time(text: str) -> datetime:
    """A timestamp or a bare date (midnight UTC) as an aware datetime; ValueError when unreadable."""
    value = text.strip()
    if len(value) > 6 and value[-6] == " " and "T" in value:
        value = value[:-6] + "+" + value[-5:]  # an unencoded "+00:00" arrives in a query string as " 00:00"
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def epoch(text: str) -> float:
    """Seconds since the epoch of a stored timestamp."""
    return parse_time(text).timestamp()


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode; transactions are opened explicitly."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


_idle: dict[str, list[sqlite3.Connection]] = {}
_inherited: list[sqlite3.Connection] = []
IDLE_CONNECTIONS = 8


def _forget_inherited_connections() -> None:
    # A forked worker (gunicorn --preload) must not use, or even close, its parent's SQLite connections.
    for connections in _idle.values():
        _inherited.extend(connections)
    _idle.clear()


os.register_at_fork(after_in_child=_forget_inherited_connections)


WRITER_WAIT = 30.0  # as long as SQLite's busy_timeout; past it SQLite decides, as without this lock


@contextmanager
def _one_writer(path: Path, write: bool) -> Iterator[None]:
    # Under gevent (the embedded sandbox in the dashboard's worker) every greenlet shares one OS thread: a writer
    # waiting on SQLite's lock inside C (busy_timeout) would freeze the whole process, including a greenlet that
    # holds the lock and has yielded on I/O. Writers of one process queue here first, where waiting yields.
    if not write:
        yield
        return
    lock = _lock(f"writer:{path}")
    acquired = lock.acquire(timeout=WRITER_WAIT)
    try:
        yield
    finally:
        if acquired:
            lock.release()


@contextmanager
def pooled(path: Path) -> Iterator[sqlite3.Connection]:
    """A reused connection; reuse matters because closing the last one checkpoints the whole WAL."""
    with _lock("idle"):
        idle = _idle.setdefault(str(path), [])
        conn = idle.pop() if idle else None
    conn = conn or connect(path)
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        with _lock("idle"):
            keep = len(idle) < IDLE_CONNECTIONS
            if keep:
                idle.append(conn)
        if not keep:
            conn.close()


def initialize(path: Path) -> None:
    """Create the database file, its folder and its tables, in WAL mode so readers never wait."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)
    finally:
        conn.close()


class Tx:
    """One open transaction: record access plus callbacks that run after the commit."""

    def __init__(self, conn: sqlite3.Connection, base: str, context: Any, path: Path) -> None:
        self.conn = conn
        self.path = path  # the database file
        self.base = base  # the API's path prefix for links, e.g. "/sandbox/public/v2"
        self.context = context  # the sandbox state (settings, engine) this work belongs to
        self.now = time.time()
        self.announce = True  # webhook events on; the seed turns them off for data that is history
        # The organization whose data this work sees; None sees every organization (the engine's lookups by id).
        self.org: str | None = None
        self.after_commit: list[Callable[[Tx], None]] = []  # each called with this transaction

    def get(self, rtype: str, rid: Any) -> dict | None:
        """The stored record of this type and id, or None."""
        if not isinstance(rid, str):
            return None
        row = self.conn.execute("SELECT data FROM resources WHERE type = ? AND id = ?", (rtype, rid)).fetchone()
        record = json.loads(row[0]) if row else None
        if record is not None and self.org is not None and record.get("_org") != self.org:
            return None  # another organization's id is unknown here (S2)
        return record

    def all(self, rtype: str, **equals: Any) -> list[dict]:
        """Every record of a type, optionally narrowed by attributes equal to plain values."""
        sql, params = "SELECT data FROM resources WHERE type = ?", [rtype]
        if self.org is not None:
            equals = {"_org": self.org, **equals}
        for name, value in equals.items():
            if value is None:
                sql += f" AND json_extract(data, '$.{name}') IS NULL"
            else:
                sql += f" AND json_extract(data, '$.{name}') = ?"
                params.append(value)
        rows = self.conn.execute(sql + " ORDER BY seq", params).fetchall()
        return [json.loads(row[0]) for row in rows]

    def count(self, rtype: str) -> int:
        """How many records of a type are stored, soft-deleted ones excluded."""
        return self.conn.execute(
            "SELECT count(*) FROM resources WHERE type = ? AND json_extract(data, '$.deletedAt') IS NULL"
            " AND (? IS NULL OR json_extract(data, '$._org') = ?)", (rtype, self.org, self.org)).fetchone()[0]

    def insert(self, rtype: str, record: dict) -> None:
        """Store a new record."""
        self.conn.execute("INSERT INTO resources (type, id, data) VALUES (?, ?, ?)",
                          (rtype, record["id"], json.dumps(record)))

    def replace(self, rtype: str, record: dict) -> None:
        """Overwrite a stored record."""
        self.conn.execute("UPDATE resources SET data = ? WHERE type = ? AND id = ?",
                          (json.dumps(record), rtype, record["id"]))

    def remove(self, rtype: str, rid: str) -> None:
        """Drop a stored record."""
        self.conn.execute("DELETE FROM resources WHERE type = ? AND id = ?", (rtype, rid))

    def meta(self, key: str) -> str | None:
        """A stored bookkeeping value."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a bookkeeping value."""
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


@contextmanager
def transaction(path: Path, base: str = "/public/v2", context: Any = None, write: bool = True) -> Iterator[Tx]:
    """Run a unit of work in one transaction; writers take the lock up front so checks stay true."""
    with pooled(path) as conn, _one_writer(path, write):
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        tx = Tx(conn, base, context, path)
        yield tx  # an exception here leaves the transaction open, and `pooled` rolls it back
        conn.execute("COMMIT")
    for callback in tx.after_commit:
        callback(tx)


def wipe(path: Path) -> None:
    """Delete every row of every table, leaving the schema in place."""
    with transaction(path) as tx:
        for table in TABLES:
            tx.conn.execute(f"DELETE FROM {table}")
