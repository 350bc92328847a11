"""Settings: how this dashboard is connected, and the webhook event log, for the people who run it."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from dashboard import events, htmx

bp = Blueprint("settings", __name__, url_prefix="/settings")
VERDICTS = (events.APPLIED, events.DUPLICATE, events.STALE)


@bp.get("")
def index():
    return render_template("settings/index.html", config=current_app.config["RECRUBO"],
                           webhook_url=f"{request.url_root}webhooks/recrubo")


@bp.get("/events")
def event_log():
    _admins_only()
    verdict = request.args.get("verdict") if request.args.get("verdict") in VERDICTS else None
    resource_type = (request.args.get("resource") or "").strip()[:64] or None
    search = (request.args.get("q") or "").strip()[:128] or None
    return htmx.render("settings/events.html", "settings/_events.html",
                       events=events.recent(200, verdict, resource_type, search), verdicts=VERDICTS,
                       verdict=verdict, resource=resource_type or "", q=search or "",
                       refusals=list(reversed(current_app.extensions["webhook_refusals"])))


@bp.post("/events/<event_id>/replay")
def replay(event_id: str):
    _admins_only()
    if events.get(event_id) is None:
        abort(404)
    # Rendered again from the stored payload and published with a new seq, like a fresh delivery.
    current_app.extensions["live_publisher"].publish_now(event_id)
    if htmx.is_partial():
        return render_template("settings/_event_row.html", event=events.get(event_id), replayed=True)
    return redirect(url_for("settings.event_log"))


def _admins_only() -> None:
    if not g.user.is_admin:
        abort(403)
