"""Flow generations: the list, one generation's progress and result, and generating a flow from a vacancy."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

import htmx_flask
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from dashboard.core import export, htmx, lists
from dashboard.core.lists import PAGE_SIZE
from dashboard.db import approvals, listing
from dashboard.live.own_changes import push_row
from dashboard.live.pages import live_page
from dashboard.recrubo import analyses, generations
from dashboard.recrubo.client import Resource, client
from dashboard.recrubo.generations import Generation
from dashboard.recrubo.relations import attach, related_id
from dashboard.recrubo.rows import keep

log = logging.getLogger(__name__)
bp = Blueprint("flow_generations", __name__, url_prefix="/flow-generations")
STATUSES = {"queued": "Queued", "processing": "Processing", "finished": "Finished", "exception": "Failed",
            "queued,processing": "In progress"}
SORTS = {"newest": "-createdAt", "oldest": "createdAt"}
# A generation usually takes seconds to a minute; past this it is shown as possibly stuck.
STUCK_AFTER = timedelta(minutes=10)
HEADER = ["Status", "Flow type", "Flow", "Cost", "Started (UTC)", "id"]


@bp.app_template_filter("possibly_stuck")
def possibly_stuck(generation: Mapping) -> bool:
    """True when an unfinished generation started longer ago than a generation normally takes."""
    if generation.get("status") in ("finished", "exception"):
        return False
    try:
        started = datetime.fromisoformat(str(generation.get("createdAt")).replace("Z", "+00:00"))
    except ValueError:
        return False
    if started.tzinfo is None:
        started = started.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc) - started > STUCK_AFTER


@bp.get("")
@live_page("flowGenerations")
def index() -> ResponseReturnValue:
    """The generations list for the status, sort and page in the URL; all of it as CSV with `format=csv`."""
    state = lists.parse({"status": STATUSES}, SORTS)
    if export.wanted():
        return export_csv(state)
    backfilling = not listing.ready("flowGenerations")
    if backfilling:
        page = client().list("flow-generations", filters={"status": state.get("status")},
                             sort=SORTS[state.sort], page=state.page, size=PAGE_SIZE, include="flow")
        attach(client(), page.items, "flow", "flows")
    else:
        page = lists.model_page(model_generations(state, state.page, PAGE_SIZE))
    return htmx.render("flow_generations/index.html", "flow_generations/_list.html", page=page, query=state,
                       sorts=SORTS, statuses=STATUSES, backfilling=backfilling)


def model_generations(state: lists.ListQuery, page: int, size: int) -> listing.Found:
    """The generations of a list state read from the model: the page and its export read this one query."""
    return listing.generations(status=state.get("status"), sort=SORTS[state.sort], page=page, size=size)


def export_csv(state: lists.ListQuery) -> ResponseReturnValue:
    """Every generation of the list state as CSV, in its order (from the read model only: a 503 until it is
    filled); a failed one names its error where its flow would be, as the table does."""
    export.check({"status": STATUSES}, SORTS)
    if not listing.ready("flowGenerations"):
        return export.not_ready()
    rows = ([STATUSES.get(generation.get("status") or "", generation.get("status")),
             (generation.get("flowType") or "").replace("_", " ").capitalize(),
             export.related(generation, "flow").get("name") or generation.get("error"), generation.get("cost"),
             export.utc(generation.get("createdAt")), generation.get("id")]
            for generation in model_generations(state, listing.EVERY, export.CHUNK).items)
    return export.respond("flow-generations", HEADER, rows)


@bp.get("/<generation_id>")
@live_page("flowGenerations:{generation_id}")
def show(generation_id: str) -> ResponseReturnValue:
    """One generation's progress block, as a page (beside what shaped it) or alone for polling."""
    generation = client().get("flow-generations", generation_id, include="flow")
    attach(client(), [generation], "flow", "flows")
    if htmx.is_partial():
        return render_template("flow_generations/_detail.html", generation=generation)
    return render_template("flow_generations/show.html", generation=generation,
                           analysis=analyses.shaping_analysis(client(), generation))


def generated_flow(generation_id: str) -> tuple[Resource, Resource | None]:
    """A finished generation and the flow it made (None when that flow is gone); 404 before it made one."""
    generation = client().get("flow-generations", generation_id)
    flow_id = related_id(generation, "flow")
    if generation.get("status") != "finished" or not flow_id:
        abort(404)
    return generation, client().find("flows", flow_id)


@bp.get("/<generation_id>/review")
def review(generation_id: str) -> ResponseReturnValue:
    """The review panel of a finished generation: who approved its flow and when, or the Approve button."""
    generation, flow = generated_flow(generation_id)
    approval = approvals.approval(flow.id) if flow is not None else None
    return render_template("flow_generations/_review_panel.html", generation=generation, flow=flow,
                           approval=approval)


@bp.post("/<generation_id>/approve")
def approve(generation_id: str) -> ResponseReturnValue:
    """Approve the generation's flow for launching, as the signed-in user, now (a second approval changes nothing)."""
    generation, flow = generated_flow(generation_id)
    if flow is None:
        abort(404)
    approval = approvals.approve(flow.id, generation.id, g.user.id, g.user.email)
    log.info("flow %s approved for launching by user=%s", flow.id, g.user.id)
    # Open flows lists lose the row's "Awaiting review" badge (when the read model holds the row).
    push_row(current_app._get_current_object(), "flows", flow.id,
             f"approved for launching in the dashboard by {approval.approved_by} (nothing changed at Recrubo)")
    if not htmx.is_partial():
        return redirect(url_for(".show", generation_id=generation_id), 303)
    return render_template("flow_generations/_review_panel.html", generation=generation, flow=flow,
                           approval=approval)


def form_context(generation: Generation, errors: dict[str, str] | None = None) -> dict:
    """What the generate form shows: the vacancies to pick from, choices and the values entered."""
    vacancies = client().list("vacancy", sort="-createdAt", size=200).items
    return {"generation": generation, "errors": errors or {}, "vacancies": vacancies,
            "languages": generations.LANGUAGES, "required_fields": generations.REQUIRED_FIELDS}


@bp.get("/new")
def new() -> ResponseReturnValue:
    """The generate form, with a vacancy already picked when the URL names one."""
    generation = Generation(source="existing" if request.args.get("vacancyId") else "text",
                            vacancy_id=request.args.get("vacancyId", ""))
    return render_template("flow_generations/new.html", **form_context(generation))


@bp.post("")
def create() -> ResponseReturnValue:
    """Start a generation from the form, or answer it again with an error beside each bad field."""
    generation = generations.read(request.form)
    try:
        created = generations.start(generation, client())
    except generations.Rejected as rejected:
        html = htmx.render("flow_generations/new.html", "flow_generations/_form.html",
                           **form_context(generation, rejected.errors))
        return html, 422
    keep(created)
    target = url_for(".show", generation_id=created.id)
    if not htmx.is_partial():
        return redirect(target, 303)
    return htmx_flask.make_response("", 201, redirect=target)
