"""Home: what needs attention today, runs by status, and runs per day over the last two weeks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from dashboard import htmx, run_chart
from dashboard.recrubo import client

bp = Blueprint("home", __name__)
RUN_STATUSES = ("queued", "running", "finished", "timeout", "exception", "cancelled")
CHART_DAYS = 14


def current_totals() -> dict[str, int]:
    """How many flows, threads and generations the organization has (the API counts them)."""
    api = client()
    return {"flows": api.list("flows", size=1).total,
            "message threads": api.list("message-threads", size=1).total,
            "flow generations": api.list("flow-generations", size=1).total}


def run_counts() -> dict[str, int]:
    """How many runs the organization has in each status (one small request each: the API counts)."""
    api = client()
    return {status: api.list("flow-runs", filters={"status": status}, size=1).total for status in RUN_STATUSES}


@bp.get("/")
def index() -> ResponseReturnValue:
    """The home page: attention, runs by status, runs per day and totals."""
    api = client()
    now = datetime.now(timezone.utc)
    today = now.date()
    organizations = api.list("organizations", sort="createdAt", size=1).items
    failed_today = api.list("flow-runs", filters={"status": "exception,timeout", "updatedAt][gte": today.isoformat()},
                            sort="-updatedAt", size=10, include="flow,messageThread")
    generating = api.list("flow-generations", filters={"status": "queued,processing"}, sort="-createdAt", size=10)
    since = (today - timedelta(days=CHART_DAYS - 1)).isoformat()
    started = run_chart.counts(api.iterate("flow-runs", filters={"createdAt][gte": since}), "createdAt")
    finished = run_chart.counts(api.iterate("flow-runs", filters={"status": "finished", "updatedAt][gte": since}),
                                "updatedAt")
    totals = current_totals()
    return render_template("home/index.html", organization=organizations[0] if organizations else None,
                           totals=totals, runs=run_counts(), failed_today=failed_today, generating=generating,
                           chart=run_chart.build(today, started, finished, CHART_DAYS))


@bp.get("/run-counts")
def counts() -> ResponseReturnValue:
    """The runs-by-status block alone, for refreshing it in place."""
    return htmx.render("home/run_counts.html", "home/_run_counts.html", runs=run_counts())
