"""The operating system's side of a live socket: the lock that guards its writes and the descriptor they go to."""

from __future__ import annotations

import os
import threading


def bookkeeping_lock() -> "threading.Lock":
    """A lock for a Connection's guard: the real OS lock, even under gevent."""
    # Held only across a few non-blocking steps (never a wait, never a greenlet switch), so under gevent the
    # real OS lock is safe, and much cheaper than gevent's on the path every push takes to every socket.
    try:
        from gevent.monkey import get_original
    except ImportError:  # pragma: no cover - gevent is a dependency; without it threading.Lock is the real one
        return threading.Lock()
    return get_original("_thread", "allocate_lock")()


def nonblocking_descriptor(sock) -> int | None:
    """`sock`'s descriptor when writes to it never wait (as under gevent), else None."""
    # Under gevent every socket's descriptor is non-blocking, so the hub may write without waiting. A blocking
    # one (a threaded development server) would stall the hub on a slow page: its frames always queue.
    try:
        fd = sock.fileno()
        return None if os.get_blocking(fd) else fd
    except (AttributeError, OSError, ValueError):
        return None
