"""Settings an admin changes at run time, stored in the dashboard's database and applied without a restart."""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.db.base import Base, session_scope

log = logging.getLogger(__name__)
# Each worker re-reads a setting at most this often, so a change reaches every worker within seconds.
CACHE_SECONDS = 3.0
_lock = threading.Lock()


class StoredSetting(Base):
    """One named setting."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def _cache() -> dict[str, tuple[float, str | None]]:
    # Per app: tests run several apps, each on its own database, in one process.
    return current_app.extensions.setdefault("stored_settings", {})


def get(key: str, default: str) -> str:
    """The stored value of `key`, or `default` when none was stored."""
    cache, now = _cache(), time.monotonic()
    with _lock:
        cached = cache.get(key)
    if cached is None or now - cached[0] > CACHE_SECONDS:
        try:
            with session_scope() as session:
                row = session.get(StoredSetting, key)
                cached = (now, row.value if row else None)
        except OperationalError as error:
            # The database is away: keep answering with what we knew (or the default) so pages and
            # their security headers still render; the next read after the cache time tries again.
            log.warning("setting %s read from memory, the database is unavailable: %s", key,
                        str(error.orig or error).splitlines()[0])
            cached = (now, cached[1] if cached else None)
        with _lock:
            cache[key] = cached
    return default if cached[1] is None else cached[1]


def put(key: str, value: str) -> None:
    """Store `value` under `key`; this worker sees it at once, the others within CACHE_SECONDS."""
    with session_scope() as session:
        session.merge(StoredSetting(key=key, value=value))
    with _lock:
        _cache().pop(key, None)
