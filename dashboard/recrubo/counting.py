"""Counts the API keeps for us: one small list request each, read from its `meta.total`."""

from __future__ import annotations

from dashboard.recrubo.client import client

RUN_STATUSES = ("queued", "running", "finished", "timeout", "exception", "cancelled")


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
