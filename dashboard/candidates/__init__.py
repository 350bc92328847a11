"""Candidates: one person's page, with everything about them on one live timeline, and its CSV export."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, abort, request, stream_with_context
from flask.typing import ResponseReturnValue

from dashboard.candidates import export
from dashboard.core import errors, htmx
from dashboard.db import approvals, listing, person
from dashboard.live.pages import live_page
from dashboard.recrubo import candidate_timeline as story
from dashboard.recrubo.client import client
from dashboard.recrubo.ids import is_id
from dashboard.recrubo.rows import keep

bp = Blueprint("candidates", __name__, url_prefix="/candidates")


@bp.get("/<candidate_id>")
@live_page("candidates:{candidate_id}")
def show(candidate_id: str) -> ResponseReturnValue:
    """The candidate's page (or, with `format=csv`, their whole timeline as a CSV file); `shown` entries at first."""
    candidate = find(candidate_id)
    if candidate is None:
        return errors.render_error("No such candidate", "There is no candidate with this id: they may have been "
                                   "deleted, or the link is mistyped.", 404)
    if request.args.get("format") == "csv":
        return csv_response(candidate)
    limit = min(max(request.args.get("shown", story.SHOWN, type=int) or story.SHOWN, 1), story.MOST)
    found = story.load(candidate, limit)
    flows, held = launch_choices() if not htmx.is_partial() else ({}, [])
    return htmx.render("candidates/show.html", "candidates/_timeline.html", story=found, limit=limit,
                       name=story.name_of(candidate), flows=flows, held_flows=held,
                       backfilling=not listing.ready("messageThreads"))


def find(candidate_id: str) -> Mapping[str, Any] | None:
    """The candidate from the read model; one the model lacks (added a moment ago, its webhook still on the way)
    from the API, kept at once. A malformed id is a readable 400, never sent on."""
    if not is_id(candidate_id):
        abort(400, description="This address does not hold a Recrubo id (letters, digits and dashes).")
    found = person.candidate(candidate_id)
    if found is not None:
        return found
    fetched = client().find("candidates", candidate_id)
    if fetched is None:
        return None
    keep(fetched)
    return person.candidate(candidate_id) or fetched


def launch_choices() -> tuple[dict[str, str], list[Mapping[str, Any]]]:
    """The flows a run may be launched with, by name, and the generated flows held back until someone approves
    them (the review gate, `approvals`): from the read model once it holds every flow, else from the API."""
    flows = listing.flows(sort="name", size=10_000).items if listing.ready("flows") \
        else list(client().iterate("flows", sort="name"))
    offered, held = approvals.split(flows)
    return {flow["id"]: flow.get("name") or "Unnamed flow" for flow in offered}, held


def csv_response(candidate: Mapping[str, Any]) -> Response:
    """The candidate's whole timeline (up to `story.MOST` entries) as a streamed CSV download."""
    entries = story.load(candidate, story.MOST).entries
    name = export.file_name(story.name_of(candidate))
    return Response(stream_with_context(export.rows(entries)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})  # a person's messages: not for shared caches
