"""Settings: how this dashboard is connected, and who may frame it (admins change that here)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from dashboard import htmx, security
from dashboard.auth import admin_required
from dashboard.config import ConfigError

log = logging.getLogger(__name__)
bp = Blueprint("settings", __name__, url_prefix="/settings")


def render_settings(framing_error: str | None = None, status: int = 200):
    """The settings page, or only its framing form for an htmx request."""
    html = htmx.render("settings/index.html", "settings/_framing.html", config=current_app.config["RECRUBO"],
                       webhook_url=f"{request.url_root}webhooks/recrubo", ancestors=security.frame_ancestors(),
                       framing_error=framing_error, framing_value=request.form.get("frame_ancestors"))
    return html, status


@bp.get("")
def index():
    return render_settings()


@bp.post("/framing")
@admin_required
def framing():
    try:
        value = security.set_frame_ancestors(request.form.get("frame_ancestors", ""))
    except ConfigError as error:
        return render_settings(str(error).replace("FRAME_ANCESTORS", "The list"), 422)
    log.info("frame ancestors set to %s by user=%s", value, g.user.id)
    if htmx.is_partial():
        return render_settings()
    return redirect(url_for("settings.index"))
