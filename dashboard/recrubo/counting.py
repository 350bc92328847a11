"""Home's counts: from the read model once it holds every type they count, else from the API's `meta.total`."""

from __future__ import annotations

from dashboard.db import counts, listing
from dashboard.db.counts import RUN_STATUSES
from dashboard.recrubo.client import client

__all__ = ["RUN_STATUSES", "current_totals", "run_counts"]


def current_totals() -> dict[str, int]:
    """How many flows, threads and generations the organization has (one statement on the model, or one small
    request each while it is backfilling)."""
    if listing.ready("home"):
        return counts.totals()
    api = client()
    return {"flows": api.list("flows", size=1).total,
            "message threads": api.list("message-threads", size=1).total,
            "flow generations": api.list("flow-generations", size=1).total}


def run_counts() -> dict[str, int]:
    """How many runs the organization has in each status (one `GROUP BY status` on the model, or one small request
    each while it is backfilling)."""
    if listing.ready("home"):
        return counts.runs_by_status()
    api = client()
    return {status: api.list("flow-runs", filters={"status": status}, size=1).total for status in RUN_STATUSES}
