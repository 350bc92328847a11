"""Settings: how this dashboard is connected, who may frame it, and the webhook event log (admins)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from dashboard.config import ConfigError
from dashboard.core import export, htmx, security
from dashboard.core.sessions import admin_required
from dashboard.db import events, sync_state

log = logging.getLogger(__name__)
bp = Blueprint("settings", __name__, url_prefix="/settings")
VERDICTS = events.VERDICTS
EVENT_HEADER = ["Received (UTC)", "Resource", "Resource id", "Event", "Fields", "Verdict", "Reason", "Deliveries",
                "Sockets reached", "id"]


def render_settings(framing_error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The settings page, or only its framing form for an htmx request."""
    # Only the facts the page shows: the whole Config holds the API key, the webhook secret and SECRET_KEY.
    config = current_app.config["RECRUBO"]
    html = htmx.render("settings/index.html", "settings/_framing.html", embedded_sandbox=config.embedded_sandbox,
                       api_url=config.recrubo_api_url, shared_live=bool(config.redis_url),
                       app_origin=config.app_origin,
                       webhook_url=f"{request.url_root}webhooks/recrubo", ancestors=security.frame_ancestors(),
                       framing_error=framing_error, framing_value=request.form.get("frame_ancestors"),
                       compat=current_app.extensions["recrubo"].compat if g.user.is_admin else None)
    return html, status


@bp.get("")
def index() -> ResponseReturnValue:
    """The settings page."""
    return render_settings()


@bp.post("/framing")
@admin_required
def framing() -> ResponseReturnValue:
    """Save the origins allowed to frame the dashboard, or show the form again with what is wrong."""
    try:
        value = security.set_frame_ancestors(request.form.get("frame_ancestors", ""))
    except ConfigError as error:
        return render_settings(str(error).replace("FRAME_ANCESTORS", "The list"), 422)
    log.info("frame ancestors set to %s by user=%s", value, g.user.id)
    if htmx.is_partial():
        return render_settings()
    return redirect(url_for("settings.index"))


@bp.get("/events")
@admin_required
def event_log() -> ResponseReturnValue:
    """The webhook event log, newest first, filtered by verdict, resource type or id."""
    verdict = request.args.get("verdict") if request.args.get("verdict") in VERDICTS else None
    resource_type = (request.args.get("resource") or "").strip()[:64] or None
    search = (request.args.get("q") or "").strip()[:128] or None
    if export.wanted():  # every matching event, not the 200 shown (the shared CSV writer: core/export.py)
        export.check({"verdict": VERDICTS}, ())
        return export.respond("webhook-events", EVENT_HEADER, ([
            export.utc(event.received_at), event.resource_type, event.resource_id, event.event,
            ", ".join(event.field_list), event.verdict, event.reason, event.deliveries, event.sockets, event.id]
            for event in events.every(verdict, resource_type, search)))
    return htmx.render("settings/events.html", "settings/_events.html",
                       events=events.recent(200, verdict, resource_type, search), verdicts=VERDICTS,
                       verdict=verdict, resource=resource_type or "", q=search or "",
                       refusals=list(reversed(current_app.extensions["webhook_refusals"])))


@bp.post("/events/<event_id>/replay")
@admin_required
def replay(event_id: str) -> ResponseReturnValue:
    """Publish a stored event to every open page again."""
    if events.get(event_id) is None:
        abort(404)
    # Rendered again from the stored payload and published with a new seq, like a fresh delivery; one that
    # cannot be rendered counts as a failed attempt, as in the publisher.
    pushed = current_app.extensions["live_publisher"].attempt(event_id)
    if htmx.is_partial():
        return render_template("settings/_event_row.html", event=events.get(event_id), replayed=pushed,
                               failed=not pushed)
    return redirect(url_for("settings.event_log"))


@bp.get("/sync")
@admin_required
def sync_progress() -> ResponseReturnValue:
    """The read model's sync: rows per type, the API's counts, backfill state, last sync and lag."""
    seconds = current_app.config["RECRUBO"].sync_seconds
    return render_template("settings/sync.html", types=sync_state.report(), lease=sync_state.lease(),
                           state=sync_state.state(seconds), sync_seconds=seconds, now=events.utcnow())
