"""Home: what needs attention today, runs by status, and runs per day over the last two weeks."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from dashboard.core import htmx
from dashboard.db import listing
from dashboard.db.counts import runs_per_day
from dashboard.home import chart
from dashboard.live.pages import live_page
from dashboard.recrubo.client import client
from dashboard.recrubo.counting import current_totals, run_counts
from dashboard.recrubo.relations import attach_runs

bp = Blueprint("home", __name__)
CHART_DAYS = 14


@bp.get("/")
@live_page("home")
def index() -> ResponseReturnValue:
    """The home page: attention, runs by status, runs per day and totals."""
    api = client()
    now = datetime.now(timezone.utc)
    today = now.date()
    organizations = api.list("organizations", sort="createdAt", size=1).items
    failed_today = api.list("flow-runs", filters={"status": "exception,timeout", "updatedAt][gte": today.isoformat()},
                            sort="-updatedAt", size=10, include="flow,messageThread")
    attach_runs(api, failed_today.items)
    generating = api.list("flow-generations", filters={"status": "queued,processing"}, sort="-createdAt", size=10)
    started, finished = chart_counts(today)
    totals = current_totals()
    return render_template("home/index.html", organization=organizations[0] if organizations else None,
                           totals=totals, runs=run_counts(), failed_today=failed_today, generating=generating,
                           chart=chart.build(today, started, finished, CHART_DAYS))


def chart_counts(today: date) -> tuple[Counter, Counter]:
    """Runs started and finished per day over the chart's days: one `GROUP BY` day each on the read model once it
    holds every run, else a walk over the API's runs."""
    since = today - timedelta(days=CHART_DAYS - 1)
    if listing.ready("flowRuns"):
        start = datetime.combine(since, time())
        return runs_per_day(start), runs_per_day(start, finished=True)
    api = client()
    return (chart.counts(api.iterate("flow-runs", filters={"createdAt][gte": since.isoformat()}), "createdAt"),
            chart.counts(api.iterate("flow-runs", filters={"status": "finished", "updatedAt][gte": since.isoformat()}),
                         "updatedAt"))


@bp.get("/run-counts")
def counts() -> ResponseReturnValue:
    """The runs-by-status block alone, for refreshing it in place."""
    return htmx.render("home/run_counts.html", "home/_run_counts.html", runs=run_counts())
