"""Flows: the list with search, filters and sort, and one flow's graph and runs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from dashboard.core import export, htmx, lists
from dashboard.core.errors import render_error
from dashboard.core.lists import PAGE_SIZE
from dashboard.db import approvals, listing
from dashboard.db.funnel import DEFAULT_PERIOD, PERIOD_NAMES
from dashboard.flows import drawing, funnel
from dashboard.live.pages import live_page
from dashboard.recrubo.client import Resource, client
from dashboard.recrubo.relations import attach, checked_id

bp = Blueprint("flows", __name__, url_prefix="/flows")
# A run of a flow changed: `dashboard.live.funnel_pushes` asks for the funnel regions of its page (by period).
bp.record_once(lambda state: state.app.extensions.__setitem__("flow_funnel_push", funnel.pushed))
# Step ids per node-transitions request: enough for most flows in one, short enough for any URL limit.
LINK_BATCH = 40
SORTS = {"newest": "-createdAt", "oldest": "createdAt", "name": "name", "updated": "-updatedAt"}
TYPES = {"generated": "Generated from a vacancy", "manual": "Built by hand"}
PERIODS_SHOWN = {"7d": "Last 7 days", "30d": "Last 30 days", "all": "All time"}
PUBLISHED = {"published": "Published", "draft": "Never published", "changes": "Has unpublished changes"}
# How each filter choice reads as API filters: a set foreign key or date is "greater than the smallest value".
API_FILTERS = {
    ("type", "generated"): {"flowGenerationId][gte": "0"},
    ("type", "manual"): {"flowGenerationId": "null"},
    ("published", "published"): {"publishedAt][gte": "1970-01-01"},
    ("published", "draft"): {"publishedAt": "null"},
    ("published", "changes"): {"unpublishedChanges": "true"},
}


FILTERS = {"q": None, "type": TYPES, "published": PUBLISHED}
HEADER = ["Name", "Type", "Review", "Published", "Unpublished changes", "Session timeout (minutes)", "Created (UTC)",
          "id"]


def query() -> lists.ListQuery:
    """The flows list state from the URL."""
    return lists.parse(FILTERS, SORTS)


def api_filters(state: lists.ListQuery) -> dict[str, str]:
    """The API filters for a list state."""
    filters = {"name][prefix": state.get("q")}
    for name in ("type", "published"):
        filters.update(API_FILTERS.get((name, state.get(name)), {}))
    return filters


@bp.get("")
@live_page("flows")
def index() -> ResponseReturnValue:
    """The flows list for the search, filters, sort and page in the URL; all of it as CSV with `format=csv`."""
    state = query()
    if export.wanted():
        return export_csv(state)
    if listing.ready("flows"):
        page = lists.model_page(model_flows(state, state.page, PAGE_SIZE))
        return htmx.render("flows/index.html", "flows/_list.html", page=page, query=state, sorts=SORTS,
                           types=TYPES, published=PUBLISHED, backfilling=False)
    page = client().list("flows", filters=api_filters(state), sort=SORTS[state.sort], page=state.page,
                         size=PAGE_SIZE)
    typed = state.get("q")
    if not page.total and typed and typed != typed[:1].upper() + typed[1:]:
        # The API's prefix match is case-sensitive: "quick" finds "Quick screening" on a second try.
        retry = replace(state, filters={**state.filters, "q": typed[:1].upper() + typed[1:]})
        page = client().list("flows", filters=api_filters(retry), sort=SORTS[state.sort], page=state.page,
                             size=PAGE_SIZE)
    return htmx.render("flows/index.html", "flows/_list.html", page=page, query=state, sorts=SORTS,
                       types=TYPES, published=PUBLISHED, backfilling=True)


def model_flows(state: lists.ListQuery, page: int, size: int) -> listing.Found:
    """The flows of a list state read from the model: the page and its export read this one query."""
    return listing.flows(search=state.get("q"), origin=state.get("type"), published=state.get("published"),
                         sort=SORTS[state.sort], page=page, size=size)


def export_csv(state: lists.ListQuery) -> ResponseReturnValue:
    """Every flow of the list state as CSV, in its order (from the read model only: a 503 until it is filled)."""
    export.check(FILTERS, SORTS)
    if not listing.ready("flows"):
        return export.not_ready()
    return export.respond("flows", HEADER, flow_rows(model_flows(state, listing.EVERY, export.CHUNK).items))


def flow_rows(flows: Iterable[Mapping]) -> Iterator[list]:
    """Flows as the table shows them, with the dashboard's review state of generated ones (asked per chunk)."""
    for chunk in export.chunked(flows):
        done = approvals.approved(str(flow["id"]) for flow in chunk if flow.get("flowGenerationId"))
        for flow in chunk:
            review = ("Approved" if flow["id"] in done else "Awaiting review") if flow.get("flowGenerationId") else ""
            yield [flow.get("name"), "Generated" if flow.get("flowGenerationId") else "Built by hand", review,
                   "Published" if flow.get("publishedAt") else "Draft",
                   "yes" if flow.get("unpublishedChanges") else "no", flow.get("sessionTimeout"),
                   export.utc(flow.get("createdAt")), flow.get("id")]


def load(flow_id: str) -> tuple[Resource, list[Resource]]:
    """A flow and its steps, each with its actions and links (read with documented includes and filters only)."""
    api = client()
    flow = api.get("flows", flow_id)
    nodes = list(api.iterate("nodes", filters={"flowId": flow_id}, include="nodeActions"))
    links: dict[str, list[Resource]] = {node.id: [] for node in nodes}
    ids = list(links)
    for start in range(0, len(ids), LINK_BATCH):
        for link in api.iterate("node-transitions", filters={"nodeId": ids[start:start + LINK_BATCH]}):
            checked_id(api, link, "exitNode")  # a link without a target is drawn nowhere: say so once
            links.setdefault(checked_id(api, link, "node") or "", []).append(link)
    for node in nodes:
        node["nodeTransitions"] = links[node.id]
    return flow, nodes


@bp.get("/<flow_id>")
@live_page("flows:{flow_id}")
def show(flow_id: str) -> ResponseReturnValue:
    """One flow: its facts, its graph with the funnel of the period in `period`, and its latest runs."""
    period = request.args.get("period", DEFAULT_PERIOD)
    if period not in PERIOD_NAMES:
        return render_error("No such period", "The funnel's period is one of: "
                            + ", ".join(f"{key} ({name})" for key, name in PERIOD_NAMES.items()) + ".", 400)
    flow, nodes = load(flow_id)
    api = client()
    runs = api.list("flow-runs", filters={"flowId": flow_id}, sort="-createdAt", size=10, include="messageThread")
    attach(api, attach(api, runs.items, "messageThread", "messageThreads"), "candidate", "candidates")
    counted = funnel.build(flow_id, nodes, [period])[period]
    return render_template("flows/show.html", flow=flow, drawing=drawing.layout(nodes, counted=True),
                           steps=drawing.steps(nodes), runs=runs, funnel=counted, periods=PERIODS_SHOWN,
                           model_ready=listing.ready("flowRuns"))


@bp.get("/<flow_id>/graph")
def graph(flow_id: str) -> ResponseReturnValue:
    """A flow's graph alone, e.g. for a generation page once its flow exists."""
    flow, nodes = load(flow_id)
    return render_template("flows/_graph_region.html", flow=flow, drawing=drawing.layout(nodes),
                           steps=drawing.steps(nodes))
