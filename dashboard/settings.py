"""Settings: how this dashboard is connected, for the people who run it."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("")
def index():
    return render_template("settings/index.html", config=current_app.config["RECRUBO"],
                           webhook_url=f"{request.url_root}webhooks/recrubo")
