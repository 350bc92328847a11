"""One publishing order across every process, so the newest state of a resource is always the last pushed.

Each worker has its own publisher queue. Without a common order, an older update applied by one worker
could be published after a newer one from another: the page's last frame would show the old state, and
a page catching up with `since=<highest seq seen>` could skip a lower seq that arrived late. Holding one
lock from the staleness check to the broker publish gives every push its seq in the order pages receive
it, and an event whose resource already has a newer applied update is not pushed at all.
"""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select, text

from dashboard.db import base
from dashboard.db.base import session_scope
from dashboard.db.events import Event

# Any constant: the Postgres advisory lock key for publishing (migrations use another).
PUBLISH_LOCK = 7_727_275
_process_lock: threading.Lock | None = None
FLOCK_RETRY_SECONDS = 0.0005


def _local_lock() -> threading.Lock:
    # Greenlets of one process queue here first: a blocking flock cannot yield to the greenlet holding it. Made
    # on first use, in the worker: gunicorn's master imports this module before the worker patches `threading`
    # for gevent, and a lock made then is a real OS lock. Waiting on one while its holder yields (a Redis publish,
    # a Postgres query) froze the whole worker until gunicorn killed it.
    global _process_lock
    if _process_lock is None:
        _process_lock = threading.Lock()
    return _process_lock


@contextmanager
def publishing() -> Iterator[None]:
    """Hold the lock that every process sharing this database takes to publish."""
    with _local_lock():
        engine = base.engine()
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PUBLISH_LOCK})
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PUBLISH_LOCK})
                    connection.commit()
        else:
            # SQLite serves one machine: a lock file beside the database orders its processes.
            with open(Path(engine.url.database).with_suffix(".publish-lock"), "a") as handle:
                _flock(handle)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)


def _flock(handle) -> None:
    # Asked without blocking, and again after a short sleep: a blocking flock is a C call that would freeze every
    # greenlet of this worker (its sockets, its other requests) while another worker publishes.
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            time.sleep(FLOCK_RETRY_SECONDS)


def superseded(event: Event) -> bool:
    """True when a newer update of the same resource was applied: pushing this one would show old state."""
    if event.updated_at is None:
        return False
    with session_scope() as session:
        newer = session.scalar(select(Event.id).where(
            Event.resource_type == event.resource_type, Event.resource_id == event.resource_id,
            Event.verdict == "applied", Event.updated_at > event.updated_at).limit(1))
    return newer is not None
