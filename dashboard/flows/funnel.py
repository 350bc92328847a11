"""A flow's funnel as the page shows it: the read model's counts (`dashboard.db.funnel`) for a period and the one
before it, set on the graph (a count on each step, links as wide as their traffic) and in a table beside it.

The same region renders for the page and for a live push; a push renders every period once (one statement), each
wrapped for its own region id (`flow-funnel-<period>`), so the page open on whichever period takes its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from dashboard.core.htmx import hx_partial
from dashboard.db import flow_graph
from dashboard.db.funnel import PERIOD_NAMES, PERIODS, STATUSES, Window, count, windows
from dashboard.flows import drawing
from dashboard.live.render import PUSH_GLOBALS
from dashboard.recrubo.funnel_plan import plan

TRAFFIC_LEVELS = 6  # link widths: CSS classes traffic-0 (none or unknown) to traffic-6 (the busiest link)
ENDINGS = {"finished": "Finished", "timeout": "Timed out", "exception": "Failed", "cancelled": "Cancelled",
           "running": "Still running", "queued": "Queued", "other": "Other status"}


@dataclass
class StepCount:
    """One step's row of the funnel table."""

    id: str
    name: str
    reached: int | None
    before: int | None
    left: int | None


@dataclass
class Funnel:
    """A flow's funnel for one period, with the previous period's numbers beside it (None for all time)."""

    period: str
    window: Window
    previous: Window | None
    runs: int
    runs_before: int | None
    steps: list[StepCount] = field(default_factory=list)
    endings: list[tuple[str, str, int, int | None]] = field(default_factory=list)  # status, label, now, before
    silent: int | None = None
    traffic: dict[tuple[str, str], int | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The period in words ("last 7 days")."""
        return PERIOD_NAMES[self.period]

    @property
    def since(self) -> str | None:
        """The period's start as ISO-8601 UTC, for the page's `time`."""
        return _iso(self.window.start)

    @property
    def previous_since(self) -> str | None:
        """The previous period's start as ISO-8601 UTC."""
        return _iso(self.previous.start) if self.previous else None

    def count_of(self, step_id: str) -> int | None:
        """How many runs reached a step (None: `state` cannot tell)."""
        return next((step.reached for step in self.steps if step.id == step_id), None)

    def traffic_level(self, edge: drawing.Edge) -> int:
        """A link's width class, 0 (no or unknown traffic) to TRAFFIC_LEVELS (the busiest link of the period)."""
        busiest = max([value for value in self.traffic.values() if value] or [0])
        taken = self.traffic.get((edge.source, edge.target))
        return max(1, round(TRAFFIC_LEVELS * taken / busiest)) if taken and busiest else 0

    def taken(self, edge: drawing.Edge) -> int | None:
        """How many runs took a link (None: `state` cannot tell)."""
        return self.traffic.get((edge.source, edge.target))


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def delta(now: int | None, before: int | None) -> str:
    """A change as "+12", "−3" or "±0"; empty without a previous number."""
    if now is None or before is None:
        return ""
    change = now - before
    return f"+{change}" if change > 0 else f"−{-change}" if change < 0 else "±0"


def utcnow() -> datetime:
    """Now as naive UTC, like the read model's timestamps."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def build(flow_id: str, nodes: Sequence[Mapping[str, Any]], periods: Sequence[str], now: datetime | None = None,
          session: Session | None = None) -> dict[str, Funnel]:
    """The funnel of each period (and of the one before it), counted in one statement."""
    now = now or utcnow()
    the_plan = plan(nodes)
    spans = {period: windows(period, now) for period in periods}
    asked = [window for current, previous in spans.values() for window in (current, previous) if window]
    counted = iter(count(flow_id, the_plan.variables, the_plan.measures(), asked, session))
    steps = drawing.steps(nodes)
    built = {}
    for period, (current, previous) in spans.items():
        here = next(counted)
        there = next(counted) if previous else None
        funnel = Funnel(period, current, previous, here["runs"], there["runs"] if there else None)
        for step in steps:
            key = f"reached:{step['id']}"
            known = key in here
            funnel.steps.append(StepCount(step["id"], step["name"], here[key] if known else None,
                                          there[key] if known and there else None, here.get(f"left:{step['id']}")))
        for status in (*STATUSES, "other"):
            number = here[f"status:{status}"]
            if number or status in ("finished", "timeout", "exception", "cancelled", "running"):
                funnel.endings.append((status, ENDINGS[status], number, there[f"status:{status}"] if there else None))
        funnel.silent = here.get("silent")
        funnel.traffic = {edge: here.get(f"edge:{edge[0]}:{edge[1]}") for edge in the_plan.edges}
        built[period] = funnel
    return built


def pushed(flow_id: str, session: Session) -> str | None:
    """Every period's funnel region of a flow, each wrapped for its own id (`flow-funnel-<period>`), from the read
    model alone (its graph and its runs), rendered as pushes render (no request); None when the model holds no steps
    of the flow."""
    nodes = flow_graph.flow_nodes(session, flow_id)
    if not nodes:
        return None
    funnels = build(flow_id, nodes, list(PERIODS), session=session)
    layout, steps = drawing.layout(nodes, counted=True), drawing.steps(nodes)
    template = current_app.jinja_env.get_template("flows/_funnel.html")
    module = template.make_module(vars=PUSH_GLOBALS)
    return "".join(str(hx_partial(f"flow-funnel-{period}", str(module.region(funnel, layout, steps))))
                   for period, funnel in funnels.items())
