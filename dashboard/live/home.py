"""What Home shows, counted once for the page and for its pushes alike: totals, runs by status, the runs that
need attention today, the generations in progress and the runs per day.

Read from the read model (a few index-only counts and two short joined lists) once it holds every type Home
counts, else from the API while it backfills. The page reads `figures()` when it renders; the publisher reads it
again after a change (`Publisher.refresh_counters`), renders the same partials once and pushes them on `home`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from dashboard.db import listing
from dashboard.db.counts import runs_per_day
from dashboard.live import chart
from dashboard.recrubo.client import Page, client
from dashboard.recrubo.counting import current_totals, run_counts
from dashboard.recrubo.relations import attach_runs

CHART_DAYS = 14
SHOWN = 10  # runs needing attention and generations in progress listed on Home
# What "Needs attention" and "Generations in progress" count: the runs lists' and generations lists' filters.
ATTENTION_STATUSES = "exception,timeout"
IN_PROGRESS_STATUSES = "queued,processing"


@dataclass(frozen=True)
class Figures:
    """Everything Home shows, as of `today` (a UTC day): `backfilling` when it was read from the API."""

    today: date
    backfilling: bool
    totals: dict[str, int]
    runs: dict[str, int]
    failed_today: Page
    generating: Page
    chart: chart.Chart


def figures(backfilling: bool | None = None) -> Figures:
    """Home's figures now, from the read model when it is filled (else from the API)."""
    today = datetime.now(timezone.utc).date()
    if backfilling is None:
        backfilling = not listing.ready("home")
    failed_today, generating = (api_panels if backfilling else model_panels)(today)
    started, finished = chart_counts(today, backfilling)
    return Figures(today, backfilling, current_totals(), run_counts(), failed_today, generating,
                   chart.build(today, started, finished, CHART_DAYS))


def _page(found: listing.Found) -> Page:
    return Page(found.items, {"total": found.total, "maxPage": max(1, -(-found.total // SHOWN))})


def model_panels(today: date) -> tuple[Page, Page]:
    """Runs that failed or timed out today (newest first, with their flow and candidate) and generations in
    progress, from the read model."""
    failed = listing.runs(status=ATTENTION_STATUSES, updated_since=datetime.combine(today, time()),
                          sort="-updatedAt", size=SHOWN)
    generating = listing.generations(status=IN_PROGRESS_STATUSES, sort="-createdAt", size=SHOWN)
    return _page(failed), _page(generating)


def api_panels(today: date) -> tuple[Page, Page]:
    """The same two panels read from the API, while the model is still backfilling."""
    api = client()
    failed = api.list("flow-runs", filters={"status": ATTENTION_STATUSES, "updatedAt][gte": today.isoformat()},
                      sort="-updatedAt", size=SHOWN, include="flow,messageThread")
    attach_runs(api, failed.items)
    generating = api.list("flow-generations", filters={"status": IN_PROGRESS_STATUSES}, sort="-createdAt",
                          size=SHOWN)
    return failed, generating


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
