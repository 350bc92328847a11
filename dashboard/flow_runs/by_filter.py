"""Launching by filter: the launch form's thread choice (ticked rows, or every match of the filters up to
`selection.LIMIT`), starting a bulk launch, and its page, whose lines arrive over the socket."""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort, g, render_template
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from dashboard.db import launches
from dashboard.flow_runs import bulk, launch, selection
from dashboard.live.pages import live_page
from dashboard.recrubo.client import RecruboClient
from dashboard.recrubo.ids import is_id


def wants_all(form: Mapping[str, str]) -> bool:
    """True when the form asks for every thread matching its filters rather than the ticked ones."""
    return form.get("allMatching") == "1"


def wants_in_place(form: Mapping[str, str]) -> bool:
    """True when the form acts in place (the candidate page's): its answer is the launch's outcome, not its page."""
    return form.get("answer") == "in-place"


def describe(chosen: selection.Selection) -> str:
    """The filters of a selection in words, for the launch's page."""
    parts = [f"search “{chosen.search}”" if chosen.search else "",
             selection.CHANNELS.get(chosen.channel, ""), selection.BOT.get(chosen.bot, "").lower(),
             "no active run" if chosen.idle else ""]
    return ", ".join(part for part in parts if part) or "every thread"


def start(form: MultiDict, plan: launch.Launch, api: RecruboClient, flows: Mapping[str, str]) -> str:
    """Check the flow and template, find the threads now (every match of the filters, at most LIMIT, or the
    ticked ones) and start the launch; its id. Raises launch.LaunchRejected with the fields to fix."""
    errors = launch.flow_and_template_errors(plan, api)
    if wants_all(form):
        if plan.wants_new_thread:
            errors["newChannel"] = ("A new candidate is launched on their own: untick “select all” or clear the "
                                    "new candidate's fields.")
        chosen = selection.read(form)
        matches = selection.resolve(chosen) if not errors else selection.Matches([], 0)
        if not errors and not matches.threads:
            errors["messageThreadId"] = "No thread matches these filters: change them, or tick threads one by one."
        threads, matched, described = matches.threads, matches.total, describe(chosen)
    else:
        errors.update(launch.new_thread_errors(plan, api))
        threads = _ticked(plan, errors) if plan.thread_ids or not plan.wants_new_thread else []
        if not errors and plan.wants_new_thread:
            threads += selection.ticked([launch.create_new_thread(plan, api)])
        matched, described = len(threads), "ticked one by one" if plan.thread_ids else "a new candidate"
    if errors:
        raise launch.LaunchRejected(errors)
    user = getattr(g, "user", None)
    return bulk.start(plan, flows.get(plan.flow_id, "the flow"), threads, matched, described,
                      getattr(user, "email", ""))


def _ticked(plan: launch.Launch, errors: dict[str, str]) -> list[Mapping]:
    if not plan.thread_ids:
        errors["messageThreadId"] = "Pick at least one thread, select all matches, or add a new candidate below."
        return []
    if len(plan.thread_ids) > launch.MAX_THREADS:
        errors["messageThreadId"] = (f"Tick at most {launch.MAX_THREADS} threads, or select all matches of the "
                                     f"filters (up to {selection.LIMIT}).")
        return []
    if not all(is_id(thread_id) for thread_id in plan.thread_ids):
        errors["messageThreadId"] = "One of the picked threads is not a Recrubo id; reload and pick again."
        return []
    threads = selection.ticked(plan.thread_ids)
    if len(threads) < len(plan.thread_ids):
        errors["messageThreadId"] = "One of the picked threads no longer exists; reload and pick again."
    return threads


@live_page("launches:{launch_id}")
def show(launch_id: str) -> ResponseReturnValue:
    """One bulk launch: a line per thread, each updated over the socket as its run is made or refused."""
    if not launches.LAUNCH_ID.fullmatch(launch_id):
        abort(404)
    if launches.get(launch_id) is None:
        abort(404)
    bulk.resume_if_stalled(launch_id)
    found = launches.get(launch_id)
    return render_template("flow_runs/launch.html", launch=found, lines=launches.lines(launch_id),
                           limit=selection.LIMIT)


def outcome(launch_id: str) -> str:
    """A launch's lines as a form acting in place shows them (a launch of a few threads is done by then)."""
    return render_template("flow_runs/_launch_in_place.html", launch=launches.get(launch_id),
                           lines=launches.lines(launch_id))
