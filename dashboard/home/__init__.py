"""Home: what needs attention today, runs by status, and runs per day over the last two weeks."""

from __future__ import annotations

import time as clock
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from dashboard.core import htmx, lists
from dashboard.db import listing
from dashboard.db.counts import runs_per_day
from dashboard.home import chart
from dashboard.live.pages import live_page
from dashboard.recrubo import behind
from dashboard.recrubo.client import Page, RecruboError, client
from dashboard.recrubo.counting import current_totals, run_counts
from dashboard.recrubo.relations import attach_runs

bp = Blueprint("home", __name__)
CHART_DAYS = 14
SHOWN = 10  # runs needing attention and generations in progress listed on Home
# The organization's name is the one thing Home reads from the API once the model is filled: it is kept this long,
# and after the API could not be reached Home does not ask again for ASK_AGAIN_SECONDS (it shows the last name known).
NAME_SECONDS, ASK_AGAIN_SECONDS = 300.0, 30.0


@bp.get("/")
@live_page("home")
def index() -> ResponseReturnValue:
    """The home page: attention, runs by status, runs per day and totals."""
    today = datetime.now(timezone.utc).date()
    backfilling = not listing.ready("home")
    failed_today, generating = (api_panels if backfilling else model_panels)(today)
    started, finished = chart_counts(today, backfilling)
    return render_template("home/index.html", organization=organization(backfilling), totals=current_totals(),
                           runs=run_counts(), failed_today=failed_today, generating=generating,
                           chart=chart.build(today, started, finished, CHART_DAYS), backfilling=backfilling)


def model_panels(today: date) -> tuple[Page, Page]:
    """Runs that failed or timed out today (newest first, with their flow and candidate) and generations in
    progress, from the read model."""
    failed = listing.runs(status="exception,timeout", updated_since=datetime.combine(today, time()),
                          sort="-updatedAt", size=SHOWN)
    generating = listing.generations(status="queued,processing", sort="-createdAt", size=SHOWN)
    return lists.model_page(failed, SHOWN), lists.model_page(generating, SHOWN)


def api_panels(today: date) -> tuple[Page, Page]:
    """The same two panels read from the API, while the model is still backfilling."""
    api = client()
    failed = api.list("flow-runs", filters={"status": "exception,timeout", "updatedAt][gte": today.isoformat()},
                      sort="-updatedAt", size=SHOWN, include="flow,messageThread")
    attach_runs(api, failed.items)
    generating = api.list("flow-generations", filters={"status": "queued,processing"}, sort="-createdAt", size=SHOWN)
    return failed, generating


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


def chart_counts(today: date, backfilling: bool) -> tuple[Counter, Counter]:
    """Runs started and finished per day over the chart's days: counted on the read model once it holds every
    run, else a walk over the API's runs."""
    since = today - timedelta(days=CHART_DAYS - 1)
    if not backfilling:
        start = datetime.combine(since, time())
        return runs_per_day(start, days=CHART_DAYS), runs_per_day(start, finished=True, days=CHART_DAYS)
    api = client()
    return (chart.counts(api.iterate("flow-runs", filters={"createdAt][gte": since.isoformat()}), "createdAt"),
            chart.counts(api.iterate("flow-runs", filters={"status": "finished", "updatedAt][gte": since.isoformat()}),
                         "updatedAt"))


@bp.get("/run-counts")
def counts() -> ResponseReturnValue:
    """The runs-by-status block alone, for refreshing it in place."""
    return htmx.render("home/run_counts.html", "home/_run_counts.html", runs=run_counts())
