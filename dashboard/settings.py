"""Settings: how this dashboard is connected, who may frame it, how long the webhook event log is kept, and the log
itself (admins)."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from dashboard.config import ConfigError
from dashboard.core import export, htmx, security
from dashboard.core.sessions import admin_required
from dashboard.db import event_log as log_pages
from dashboard.db import events, sync_state
from dashboard.recrubo.client import parse_resource
from dashboard.recrubo.ids import is_id
from dashboard.recrubo.relations import related_id

log = logging.getLogger(__name__)
bp = Blueprint("settings", __name__, url_prefix="/settings")
VERDICTS = events.VERDICTS
EVENT_HEADER = ["Received (UTC)", "Resource", "Resource id", "Event", "Fields", "Verdict", "Reason", "Deliveries",
                "Sockets reached", "id"]


def render_settings(framing_error: str | None = None, status: int = 200,
                    retention_error: str | None = None) -> ResponseReturnValue:
    """The settings page, or only its framing form for an htmx request."""
    # Only the facts the page shows: the whole Config holds the API key, the webhook secret and SECRET_KEY.
    config = current_app.config["RECRUBO"]
    html = htmx.render("settings/index.html", "settings/_framing.html", embedded_sandbox=config.embedded_sandbox,
                       api_url=config.recrubo_api_url, shared_live=bool(config.redis_url),
                       app_origin=config.app_origin,
                       webhook_url=f"{request.url_root}webhooks/recrubo", ancestors=security.frame_ancestors(),
                       framing_error=framing_error, framing_value=request.form.get("frame_ancestors"),
                       retention=log_pages.retention_days(), retention_error=retention_error,
                       retention_value=request.form.get("days"),
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
    """The webhook event log, newest first, a page at a time over the whole log (`before`: the cursor of the page's
    first row), filtered by verdict, resource type or id; a message's delivery updates make one row."""
    verdict = request.args.get("verdict") if request.args.get("verdict") in VERDICTS else None
    resource_type = (request.args.get("resource") or "").strip()[:64] or None
    search = (request.args.get("q") or "").strip()[:128] or None
    if export.wanted():  # every matching event, not one page (the shared CSV writer: core/export.py)
        export.check({"verdict": VERDICTS}, ())
        return export.respond("webhook-events", EVENT_HEADER, ([
            export.utc(event.received_at), event.resource_type, event.resource_id, event.event,
            ", ".join(event.field_list), event.verdict, event.reason, event.deliveries, event.sockets, event.id]
            for event in events.every(verdict, resource_type, search)))
    before = None
    if request.args.get("before"):
        try:
            before = log_pages.Cursor.parse(request.args["before"])
        except ValueError:
            abort(400, description="This page of the event log does not exist (its address was changed).")
    found = log_pages.page(verdict, resource_type, search, before)
    filters = {"verdict": verdict or "", "resource": resource_type or "", "q": search or ""}
    older = url_for("settings.event_log", before=found.older.text(), **{k: v for k, v in filters.items() if v}) \
        if found.older else None
    return htmx.render("settings/events.html", "settings/_events.html", rows=found.rows, older=older,
                       paged=before is not None, verdicts=VERDICTS, types=log_pages.resource_types(),
                       verdict=verdict, resource=resource_type or "", q=search or "",
                       newest=url_for("settings.event_log", **{k: v for k, v in filters.items() if v}),
                       retention=log_pages.retention_days(),
                       refusals=list(reversed(current_app.extensions["webhook_refusals"])))


# The screen an event's resource is shown on: its endpoint and the name of the id in its route.
SCREENS = {"flowRuns": ("flow_runs.show", "run_id"), "messageThreads": ("message_threads.show", "thread_id"),
           "flows": ("flows.show", "flow_id"), "flowGenerations": ("flow_generations.show", "generation_id"),
           "vacancyAnalyses": ("vacancy_analyses.show", "analysis_id"),
           "candidates": ("candidates.show", "candidate_id"), "launches": ("flow_runs.launch", "launch_id")}


@bp.app_template_global("event_screen")
def event_screen(event: events.Event) -> str | None:
    """The address of the screen the event changed (a message's: its thread), or None for a deleted resource or a
    type without a screen. A candidate links to /candidates/<id> even before that page's endpoint exists."""
    if event.event == "delete":
        return None
    resource_type, resource_id = event.resource_type, event.resource_id
    if resource_type == "messages":
        try:
            resource = parse_resource(event.document["data"]["attributes"]["resource"])
        except (ValueError, KeyError, TypeError):
            return None
        resource_type, resource_id = "messageThreads", related_id(resource, "messageThread")
    if resource_type not in SCREENS or not resource_id or not is_id(resource_id):
        return None
    endpoint, argument = SCREENS[resource_type]
    if endpoint not in current_app.view_functions:
        return f"/candidates/{quote(resource_id)}" if resource_type == "candidates" else None
    return url_for(endpoint, **{argument: resource_id})


@bp.post("/event-retention")
@admin_required
def event_retention() -> ResponseReturnValue:
    """Set how many days the event log keeps an event; older ones are deleted within the hour."""
    try:
        days = log_pages.set_retention_days(request.form.get("days", ""))
    except ValueError as error:
        return render_settings(retention_error=str(error), status=422)
    log.info("event log retention set to %s days by user=%s", days, g.user.id)
    return redirect(url_for("settings.index"))


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
        return render_template("settings/_event_row.html", row=log_pages.one(event_id), replayed=pushed,
                               failed=not pushed)
    return redirect(url_for("settings.event_log"))


@bp.get("/sync")
@admin_required
def sync_progress() -> ResponseReturnValue:
    """The read model's sync: rows per type, the API's counts, backfill state, last sync and lag."""
    seconds = current_app.config["RECRUBO"].sync_seconds
    return render_template("settings/sync.html", types=sync_state.report(), lease=sync_state.lease(),
                           state=sync_state.state(seconds), sync_seconds=seconds, now=events.utcnow())
