"""Flow runs: the filtered list, one run's status and timeline, cancelling, and launching runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import htmx_flask
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from dashboard.core import export, htmx, lists, times
from dashboard.core.lists import PAGE_SIZE
from dashboard.db import approvals, listing
from dashboard.flow_runs import bulk, by_filter, columns, launch, selection
from dashboard.live.pages import live_page
from dashboard.recrubo import run_timeline as timeline
from dashboard.recrubo.client import Resource, client
from dashboard.recrubo.relations import attach_runs, related_id
from dashboard.recrubo.rows import keep

bp = Blueprint("flow_runs", __name__, url_prefix="/flow-runs")
STATUSES = {"queued": "Queued", "running": "Running", "finished": "Finished", "timeout": "Timed out",
            "cancelled": "Cancelled", "exception": "Failed", "exception,timeout": "Failed or timed out"}
SORTS = {"newest": "-createdAt", "oldest": "createdAt", "updated": "-updatedAt"}
RELATED = "flow,messageThread"


def query() -> lists.ListQuery:
    """The runs list state from the URL (`updated_since`, an instant or a day from its start in the page's zone,
    keeps the runs changed since then: Home's "failed or timed out today" opens the list with the instant its day
    began, so the list shows exactly the runs Home counted)."""
    state = lists.parse({"status": STATUSES, "flow": lists.ID, "thread": lists.ID}, SORTS)
    given = request.args.get("updated_since", "").strip()
    if not given:
        return state
    moment = times.since(given)
    if moment is None:
        abort(400, description="updated_since in this address is not a day (YYYY-MM-DD) or a time.")
    return lists.ListQuery({**state.filters, "updated_since": times.utc_text(moment)}, state.sort, state.page)


def updated_since(state: lists.ListQuery) -> datetime | None:
    """The instant of `updated_since` (naive UTC), or None."""
    given = state.get("updated_since")
    return times.since(given) if given else None


def all_flows() -> list[Mapping]:
    """Every flow, by name (flows are few; runs and threads are many): from the read model once it holds every
    flow, else from the API."""
    if listing.ready("flows"):
        return list(listing.flows(sort="name", size=10_000).items)
    return list(client().iterate("flows", sort="name"))


def flow_choices() -> dict[str, str]:
    """Every flow by name, for the runs list's filter (a run of a flow awaiting review is still a run)."""
    return {flow["id"]: flow.get("name") or flow["id"] for flow in all_flows()}


def launch_choices() -> tuple[dict[str, str], list[Mapping]]:
    """The flows a launch may use by name, and the generated flows held back until someone approves them."""
    offered, held = approvals.split(all_flows())
    return {flow["id"]: flow.get("name") or flow["id"] for flow in offered}, held


@bp.get("")
@live_page("flowRuns")
def index() -> ResponseReturnValue:
    """The runs list for the status, flow, thread, sort and page in the URL; all of it as CSV with `format=csv`."""
    state = query()
    if export.wanted():
        return export_csv(state)
    backfilling = not listing.ready("flowRuns")
    if backfilling:
        filters = {"status": state.get("status"), "flowId": state.get("flow"),
                   "messageThreadId": state.get("thread"), "updatedAt][gte": state.get("updated_since")}
        page = client().list("flow-runs", filters=filters, sort=SORTS[state.sort], page=state.page,
                             size=PAGE_SIZE, include=RELATED)
        attach_runs(client(), page.items)
    else:
        page = lists.model_page(model_runs(state, state.page, PAGE_SIZE))
    # The filter form is only rendered on a full page, so only then are the flows fetched for it.
    flows = {} if htmx.is_partial() else flow_choices()
    thread = filtered_thread(state.get("thread"), backfilling) if state.get("thread") and flows else None
    return htmx.render("flow_runs/index.html", "flow_runs/_list.html", page=page, query=state, sorts=SORTS,
                       statuses=STATUSES, flows=flows, thread=thread, backfilling=backfilling)


def model_runs(state: lists.ListQuery, page: int, size: int) -> listing.Found:
    """The runs of a list state read from the model: the page and its export read this one query."""
    return listing.runs(status=state.get("status"), flow_id=state.get("flow"), thread_id=state.get("thread"),
                        updated_since=updated_since(state), sort=SORTS[state.sort], page=page, size=size)


def export_csv(state: lists.ListQuery) -> ResponseReturnValue:
    """Every run of the list state as CSV, in its order (from the read model only: a 503 until it is filled)."""
    export.check({"status": STATUSES}, SORTS)
    if not listing.ready("flowRuns"):
        return export.not_ready()
    runs = model_runs(state, listing.EVERY, export.CHUNK).items
    return export.respond("flow-runs", columns.HEADER, (columns.row(run, STATUSES) for run in runs))


def filtered_thread(thread_id: str, backfilling: bool) -> Mapping | None:
    """The thread the runs list is filtered on, for its chip (from the model once it is filled)."""
    if not backfilling:
        found = listing.threads(ids=[thread_id]).items
        return found[0] if found else None
    return client().get("message-threads", thread_id)


def load_run(run_id: str) -> Resource:
    """One run with its flow and thread."""
    return attach_runs(client(), [client().get("flow-runs", run_id, include=RELATED)])[0]


def load_timeline(run: Resource) -> list[timeline.Entry]:
    """The run's timeline from its thread's messages and its flow's steps."""
    api = client()
    messages = api.list("messages", filters=timeline.message_filters(run), sort="createdAt", size=200).items
    flow_id = related_id(run, "flow")
    nodes = api.iterate("nodes", filters={"flowId": flow_id}, include="nodeActions") if flow_id else []
    return timeline.build(run, messages, nodes)


@bp.get("/<run_id>")
@live_page("flowRuns:{run_id}")
def show(run_id: str) -> ResponseReturnValue:
    """One run: its status block and its timeline."""
    run = load_run(run_id)
    return render_template("flow_runs/show.html", run=run, entries=load_timeline(run))


@bp.get("/<run_id>/status")
def status(run_id: str) -> ResponseReturnValue:
    """The run's status block alone, for polling while no live socket is connected."""
    return render_template("flow_runs/_detail.html", run=load_run(run_id))


@bp.get("/<run_id>/timeline")
def timeline_fragment(run_id: str) -> ResponseReturnValue:
    """The run's timeline alone, refreshed while the run is active."""
    run = load_run(run_id)
    return render_template("flow_runs/_timeline.html", run=run, entries=load_timeline(run))


@bp.post("/<run_id>/cancel")
def cancel(run_id: str) -> ResponseReturnValue:
    """Cancel a queued or running run and answer with its updated status block."""
    api = client()
    keep(api.update("flow-runs", "flowRuns", run_id, {"status": "cancelled"}))
    if not htmx.is_partial():
        return redirect(url_for(".show", run_id=run_id))
    run = load_run(run_id)
    keep(run)
    return render_template("flow_runs/_detail.html", run=run)


def picker_context(values: Mapping[str, str], chosen: list[str], page: int = 1) -> dict:
    """What the thread picker shows: the filters, the ticked threads first, then a page of the matches."""
    choice = selection.read(values)
    matches = selection.matching(choice, page)
    ticked = selection.ticked(chosen)
    shown = ticked + [thread for thread in matches.threads if thread.id not in chosen]
    return {"threads": shown, "selection": choice, "matches": matches, "picker_page": page,
            "all_matching": values.get("allMatching") == "1", "limit": selection.LIMIT,
            "max_page": max(1, -(-matches.total // selection.PAGE_SIZE)), "channels_filter": selection.CHANNELS,
            "bot_filter": selection.BOT}


def form_context(plan: launch.Launch, errors: dict[str, str] | None = None,
                 values: Mapping[str, str] | None = None) -> dict:
    """Everything the launch form shows: flows, templates, threads and the values entered so far."""
    templates = client().list("message-templates", sort="name", size=200).items
    flows, held = launch_choices()
    return {"launch": plan, "errors": errors or {}, "flows": flows, "held_flows": held, "templates": templates,
            "channels": launch.CHANNELS, **picker_context(values or {}, plan.thread_ids)}


@bp.get("/new")
def new() -> ResponseReturnValue:
    """The launch form, with a flow, threads or thread filters (`q`, `channel`, `bot`, `idle`) already chosen when
    the URL names them."""
    plan = launch.Launch(flow_id=next(iter(lists.id_args("flowId", 1)), ""),
                         thread_ids=lists.id_args("messageThreadId", launch.MAX_THREADS))
    return render_template("flow_runs/new.html", **form_context(plan, values=request.args))


@bp.get("/new/threads")
def thread_picker() -> ResponseReturnValue:
    """The launch form's thread choices for the filters and page, keeping the threads already ticked."""
    chosen = lists.id_args("messageThreadId", launch.MAX_THREADS)
    return render_template("flow_runs/_thread_picker.html", launch=launch.Launch(thread_ids=chosen), errors={},
                           **picker_context(request.args, chosen, lists.page_number()))


@bp.post("")
def create() -> ResponseReturnValue:
    """Launch runs from the form (on the ticked threads, every thread matching the filters, or a new candidate's) and
    answer with the launch's page (its outcome in place for a form acting in place, `answer=in-place`: the
    candidate page's), or answer the form again with an error beside each bad field."""
    plan = launch.read(request.form)
    try:
        launch_id = by_filter.start(request.form, plan, client(), flow_choices())
    except launch.LaunchRejected as rejected:
        html = htmx.render("flow_runs/new.html", "flow_runs/_launch_form.html",
                           **form_context(plan, rejected.errors, request.form))
        return html, 422
    target = url_for(".launch", launch_id=launch_id)
    if not htmx.is_partial():
        return redirect(target, 303)
    if by_filter.wants_in_place(request.form):
        return by_filter.outcome(launch_id), 201
    return htmx_flask.make_response("", 201, redirect=target)


bp.add_url_rule("/launches/<launch_id>", "launch", by_filter.show)
# A launch a restart interrupted goes on from the background sync loop too, not only when its page is opened.
bp.record_once(lambda state: state.app.extensions["read_model_sync"].chores.append(bulk.resume_stalled))


@bp.get("/launched")
def launched() -> ResponseReturnValue:
    """Runs by id with their status as they are now (the address earlier launches answered with; a launch now
    answers with its own page, `launch`, whose lines arrive over the socket)."""
    ids = lists.id_args("id", launch.MAX_THREADS + 1)
    if not ids:
        abort(404)
    return htmx.render("flow_runs/launched.html", "flow_runs/_launched.html", runs=load_runs(ids))


def load_runs(ids: list[str]) -> list[Resource]:
    """Runs of one launch by id: one list by id with their flow, thread and candidate, single reads for any missed."""
    found = {run.id: run for run in client().list("flow-runs", filters={"id": ids}, sort="createdAt",
                                                 size=len(ids), include=RELATED).items}
    attach_runs(client(), found.values())
    return [found.get(run_id) or load_run(run_id) for run_id in ids]
