"""Home: what needs attention today, runs by status, and runs per day over the last two weeks."""

from __future__ import annotations

import time as clock

from flask import Blueprint, abort, current_app, get_template_attribute, render_template
from flask.typing import ResponseReturnValue

from dashboard.core import htmx
from dashboard.core.times import page_zone
from dashboard.db import listing
from dashboard.live import home as figures
from dashboard.live.pages import live_page
from dashboard.recrubo import behind
from dashboard.recrubo.client import RecruboError, client
from dashboard.recrubo.counting import run_counts

bp = Blueprint("home", __name__)
# The organization's name is the one thing Home reads from the API once the model is filled: it is kept this long,
# and after the API could not be reached Home does not ask again for ASK_AGAIN_SECONDS (it shows the last name known).
NAME_SECONDS, ASK_AGAIN_SECONDS = 300.0, 30.0


@bp.get("/")
@live_page("home")
def index() -> ResponseReturnValue:
    """The home page: attention, generations in progress, runs by status, runs per day and totals (every panel is
    pushed again on `home` after a change)."""
    backfilling = not listing.ready("home")
    return render_template("home/index.html", organization=organization(backfilling),
                           home=figures.figures(backfilling, page_zone()))


# Home's panels that count days, each alone in the page's zone: a pushed one (counted in UTC, once for every page)
# is fetched again by a page in another zone.
PANELS = ("attention", "runs-chart")


@bp.get("/home-panels/<name>")
def panel(name: str) -> ResponseReturnValue:
    """One of PANELS, counted in the page's zone."""
    if name not in PANELS:
        abort(404)
    home = figures.figures(zone=page_zone())
    if name == "attention":
        return get_template_attribute("home/_partials.html", "attention")(home.failed_today, home)
    return get_template_attribute("home/_chart.html", "runs_chart")(home.chart, home.zone)


def organization(backfilling: bool) -> dict | None:
    """The organization (for its name): read from the API at most every NAME_SECONDS. Once the model is filled,
    Home works without the API, so a failure then shows the last name known (or none) instead of an error page."""
    kept = current_app.extensions.setdefault("home_organization", {"at": None, "value": None, "failed": None})
    now = clock.monotonic()
    if kept["at"] is not None and now - kept["at"] < NAME_SECONDS:
        return kept["value"]
    if not backfilling and kept["failed"] is not None and now - kept["failed"] < ASK_AGAIN_SECONDS:
        return kept["value"]
    try:
        found = client().list("organizations", sort="createdAt", size=1).items
    except RecruboError as error:
        if backfilling:
            raise
        if error.kind == "unreachable":
            behind.note_unreachable()
        kept["failed"] = now
        return kept["value"]
    kept.update(at=now, value=found[0] if found else None, failed=None)
    return kept["value"]


@bp.get("/run-counts")
def counts() -> ResponseReturnValue:
    """The runs-by-status block alone, for refreshing it in place."""
    return htmx.render("home/run_counts.html", "home/_run_counts.html", runs=run_counts())
