"""What Home shows, counted once for the page and for its pushes alike: totals, runs by status, the runs that
need attention today, the generations in progress and the runs per day.

Read from the read model (a few index-only counts and two short joined lists) once it holds every type Home
counts, else from the API while it backfills. The page reads `figures()` when it renders; the publisher reads it
again after a change (`Publisher.refresh_counters`), renders the same partials once and pushes them on `home`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.core.times import day_start, utc_text
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
    """Everything Home shows, as of `today` (a day in `zone`, which began at `today_began`, naive UTC):
    `backfilling` when it was read from the API."""

    today: date
    zone: str
    today_began: datetime
    backfilling: bool
    totals: dict[str, int]
    runs: dict[str, int]
    failed_today: Page
    generating: Page
    chart: chart.Chart


def figures(backfilling: bool | None = None, zone: str = "UTC") -> Figures:
    """Home's figures now, with days as they are in `zone` (the page's), from the read model when it is filled
    (else from the API)."""
    today = datetime.now(ZoneInfo(zone)).date()
    began = day_start(today, zone)
    if backfilling is None:
        backfilling = not listing.ready("home")
    failed_today, generating = (api_panels if backfilling else model_panels)(began)
    started, finished = chart_counts(today, zone, backfilling)
    return Figures(today, zone, began, backfilling, current_totals(), run_counts(), failed_today, generating,
                   chart.build(today, started, finished, CHART_DAYS))


def _page(found: listing.Found) -> Page:
    return Page(found.items, {"total": found.total, "maxPage": max(1, -(-found.total // SHOWN))})


def model_panels(since: datetime) -> tuple[Page, Page]:
    """Runs that failed or timed out `since` (today's start; newest first, with their flow and candidate) and
    generations in progress, from the read model."""
    failed = listing.runs(status=ATTENTION_STATUSES, updated_since=since,
                          sort="-updatedAt", size=SHOWN)
    generating = listing.generations(status=IN_PROGRESS_STATUSES, sort="-createdAt", size=SHOWN)
    return _page(failed), _page(generating)


def api_panels(since: datetime) -> tuple[Page, Page]:
    """The same two panels read from the API, while the model is still backfilling."""
    api = client()
    failed = api.list("flow-runs", filters={"status": ATTENTION_STATUSES, "updatedAt][gte": utc_text(since)},
                      sort="-updatedAt", size=SHOWN, include="flow,messageThread")
    attach_runs(api, failed.items)
    generating = api.list("flow-generations", filters={"status": IN_PROGRESS_STATUSES}, sort="-createdAt",
                          size=SHOWN)
    return failed, generating


def chart_counts(today: date, zone: str, backfilling: bool) -> tuple[Counter, Counter]:
    """Runs started and finished on each of the chart's days in `zone`: counted on the read model once it holds
    every run, else a walk over the API's runs."""
    days = [today - timedelta(days=CHART_DAYS - 1 - offset) for offset in range(CHART_DAYS)]
    bounds = tuple(day_start(day, zone) for day in [*days, today + timedelta(days=1)])
    if not backfilling:
        started, finished = runs_per_day(bounds), runs_per_day(bounds, finished=True)
        return Counter(dict(zip(days, started, strict=True))), Counter(dict(zip(days, finished, strict=True)))
    api = client()
    since = utc_text(bounds[0])
    return (chart.counts(api.iterate("flow-runs", filters={"createdAt][gte": since}), "createdAt", zone),
            chart.counts(api.iterate("flow-runs", filters={"status": "finished", "updatedAt][gte": since}),
                         "updatedAt", zone))
