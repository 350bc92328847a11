"""Home: the organization at a glance."""

from __future__ import annotations

from flask import Blueprint, render_template

from dashboard.recrubo import client

bp = Blueprint("home", __name__)
RUN_STATUSES = ("queued", "running", "finished", "timeout", "exception", "cancelled")


def counts() -> tuple[dict[str, int], dict[str, int]]:
    """The totals and the flow runs per status, as the API counts them now."""
    api = client()
    totals = {"flows": api.list("flows", size=1).total,
              "message threads": api.list("message-threads", size=1).total,
              "flow generations": api.list("flow-generations", size=1).total}
    runs = {status: api.list("flow-runs", filters={"status": status}, size=1).total
            for status in RUN_STATUSES}
    return totals, runs


@bp.get("/")
def index():
    organizations = client().list("organizations", sort="createdAt", size=1).items
    totals, runs = counts()
    return render_template("home/index.html", organization=organizations[0] if organizations else None,
                           totals=totals, runs=runs)
