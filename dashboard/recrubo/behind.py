"""Whether the Recrubo API cannot be reached now, and since when the read model may be behind it.

Pages that read the model keep working without the API; they only say how old their copy may be. The API counts as
unreachable when the latest attempt to reach it failed: this process's own last request (`RecruboClient`) or the
last sync, whichever is newer (the sync may run in another worker or instance; its outcome is on the lease row).
The copy is current as of the newer of the last successful sync and the last webhook received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import func, select

from dashboard.db import sync_state
from dashboard.db.base import session_scope
from dashboard.db.events import Event
from dashboard.recrubo.client import client


@dataclass(frozen=True)
class Behind:
    """The API cannot be reached; the model holds what was known at `since` (None: never synced)."""

    since: datetime | None


def behind() -> Behind | None:
    """How far behind the read model may be while the API cannot be reached; None while it can."""
    api, held = client(), sync_state.lease()
    failed = _newest(api.unreachable_at, held.failed_at if held else None)
    reached = _newest(api.reached_at, held.finished_at if held else None)
    if failed is None or (reached is not None and reached >= failed):
        return None
    with session_scope() as session:
        webhook = session.scalar(select(func.max(Event.received_at)))  # indexed: one index lookup
    return Behind(_newest(held.finished_at if held else None, webhook))


def _newest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def init_app(app: Flask) -> None:
    """Let templates ask `model_behind()` (the model-backed lists and Home show it)."""
    app.add_template_global(behind, "model_behind")
