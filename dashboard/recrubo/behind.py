"""Whether the Recrubo API cannot be reached now, and since when the read model may be behind it.

Pages that read the model keep working without the API; they only say how old their copy may be. The API counts as
unreachable when the latest attempt to reach it failed: this process's own last request (an answer is seen by a
hook on the client's session; a failure where a view meets it, `note_unreachable`) or the last sync, whichever is
newer (the sync may run in another worker or instance; its outcome is on the lease row).
The copy is current as of the newer of the last successful sync and the last webhook received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Flask, current_app
from sqlalchemy import func, select

from dashboard.db import sync_state
from dashboard.db.base import session_scope
from dashboard.db.events import Event


@dataclass(frozen=True)
class Behind:
    """The API cannot be reached; the model holds what was known at `since` (None: never synced)."""

    since: datetime | None


def behind() -> Behind | None:
    """How far behind the read model may be while the API cannot be reached; None while it can."""
    seen, held = current_app.extensions["recrubo_reached"], sync_state.lease()
    failed = _newest(seen["unreachable"], held.failed_at if held else None)
    reached = _newest(seen["reached"], held.finished_at if held else None)
    if failed is None or (reached is not None and reached >= failed):
        return None
    with session_scope() as session:
        webhook = session.scalar(select(func.max(Event.received_at)))  # indexed: one index lookup
    return Behind(_newest(held.finished_at if held else None, webhook))


def note_unreachable() -> None:
    """Remember that this process just found the API unreachable."""
    current_app.extensions["recrubo_reached"]["unreachable"] = _utcnow()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _newest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def init_app(app: Flask) -> None:
    """Watch the app's client for answers (a 5xx counts as unreachable, as the client reports it) and let
    templates ask `model_behind()` (the model-backed lists and Home show it)."""
    seen = app.extensions["recrubo_reached"] = {"reached": None, "unreachable": None}

    def answered(response, *_args, **_kwargs):
        seen["unreachable" if response.status_code >= 500 else "reached"] = _utcnow()

    app.extensions["recrubo"].http.hooks["response"].append(answered)
    app.add_template_global(behind, "model_behind")
