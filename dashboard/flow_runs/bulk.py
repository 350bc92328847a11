"""A bulk launch: its threads stored as lines first, then one run per thread made in the background, each line's
outcome (launched, or refused and why) stored and pushed to the launch's page on the `launches:<id>` channel.

A launch of a few threads is made before the answer; a larger one in a thread of its own (a greenlet under
gunicorn's gevent worker), so the request answers at once and the launch goes on when the browser closes. Its
pushes take the live path's way out: stored in the push log under one event per launch (recorded in the event log
as the dashboard's own, not a webhook) in the publishing order, then handed to the hub, so a page that reconnects
replays what it missed and a reload reads the stored lines.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping

from flask import Flask, current_app
from markupsafe import Markup

from dashboard.core.htmx import hx_partial
from dashboard.db import events, launches, pushes
from dashboard.db.base import session_scope
from dashboard.db.events import utcnow
from dashboard.flow_runs.launch import Launch, initial_message
from dashboard.live import order, render
from dashboard.live.hub import hub
from dashboard.recrubo.client import RecruboClient, RecruboError, Resource, client
from dashboard.recrubo.relations import related_id
from dashboard.recrubo.rows import keep

log = logging.getLogger(__name__)
INLINE = 10  # a launch of up to this many threads is made before the answer, so its page opens on the outcome
CHUNK = 50  # threads checked with one list call (their existence, their active runs)
STALL_SECONDS = 60  # an unfinished launch untouched this long lost its process: the next view of its page resumes it
BUSY = "This thread already has a queued or running run (one flow at a time): cancel it first."
GONE = "This thread no longer exists."
REASON = "a bulk launch's progress, pushed to its page (the dashboard's own, not a webhook)"


def channel(launch_id: str) -> str:
    """The live channel of one launch's page."""
    return f"launches:{launch_id}"


def line_of(thread: Mapping) -> dict:
    """A thread as a launch line stores it: its id, candidate's name, channel and identifier; waiting."""
    person = thread.get("candidate") if isinstance(thread.get("candidate"), Mapping) else {}
    candidate = {key: person.get(key) for key in ("id", "firstName", "lastName") if person.get(key)}
    if not candidate and related_id(thread, "candidate"):
        candidate = {"id": related_id(thread, "candidate")}
    return {"thread": thread["id"], "candidate": candidate, "channel": thread.get("channel"),
            "identifier": thread.get("identifier"), "state": launches.WAITING}


def start(plan: Launch, flow_name: str, threads: list[Mapping], matched: int, described: str, user: str) -> str:
    """Store a launch of `plan`'s flow on `threads` (of `matched` matches) and start making its runs; its id."""
    launch_id = store(plan, flow_name, threads, matched, described, user)
    app = current_app._get_current_object()
    if len(threads) <= INLINE:
        work(app, launch_id)
    else:
        _in_background(app, launch_id)
    return launch_id


def store(plan: Launch, flow_name: str, threads: list[Mapping], matched: int, described: str, user: str) -> str:
    """Store a new launch, every line waiting, and the event its pushes are logged under; its id."""
    launch_id = launches.new_id()
    launch = {"id": launch_id, "flowId": plan.flow_id, "flowName": flow_name, "total": len(threads),
              "matched": matched, "filters": described, "by": user, "createdAt": utcnow().isoformat() + "Z",
              "initialMessage": initial_message(plan), "launched": 0, "refused": 0, "done": False,
              "touchedAt": time.time()}
    launches.create(launch_id, launch, [line_of(thread) for thread in threads])
    _record_event(launch_id)
    return launch_id


def _in_background(app: Flask, launch_id: str) -> None:
    threading.Thread(target=work, args=(app, launch_id), name=f"launch-{launch_id[:8]}", daemon=True).start()


def resume_if_stalled(launch_id: str) -> bool:
    """Go on with a launch whose process ended before it was done (a restart, a crash); True when resumed."""
    if launches.claim(launch_id, STALL_SECONDS) is None:
        return False
    log.info("resuming bulk launch %s", launch_id)
    _in_background(current_app._get_current_object(), launch_id)
    return True


def resume_stalled() -> list[str]:
    """Go on with every launch whose process ended before it was done (a chore of the background sync loop, so a
    launch nobody looks at goes on too); the ids resumed."""
    return [launch_id for launch_id in launches.unfinished() if resume_if_stalled(launch_id)]


def _record_event(launch_id: str) -> None:
    # The push log keys frames by event; one event per launch carries all of its frames.
    resource = {"id": launch_id, "type": "launches", "attributes": {}}
    document = {"data": {"type": "webhookPayload", "id": launch_id,
                         "attributes": {"event": "update", "resource": resource}}}
    with session_scope() as session:
        session.add(events.Event(
            id=launch_id, resource_type="launches", resource_id=launch_id, event="update", fields="[]",
            updated_at=utcnow(), content_hash=hashlib.sha256(launch_id.encode()).hexdigest(),
            verdict=events.APPLIED, reason=REASON, deliveries=0, payload=json.dumps(document),
            published_at=utcnow()))


def work(app: Flask, launch_id: str) -> None:
    """Make the runs of a stored launch, line by line, storing and pushing each outcome; then mark it done."""
    with app.app_context():
        try:
            _work(launch_id, client())
        except Exception:  # what is stored stays; the page shows the lines still waiting
            log.exception("bulk launch %s stopped", launch_id)


def _work(launch_id: str, api: RecruboClient) -> None:
    launch = launches.get(launch_id)
    if launch is None:
        return
    waiting = [line for line in launches.lines(launch_id) if line["state"] == launches.WAITING]
    for start_at in range(0, len(waiting), CHUNK):
        chunk = waiting[start_at:start_at + CHUNK]
        refused, busy = _precheck([line["thread"] for line in chunk], api)
        for line in chunk:
            run = busy.get(line["thread"])
            if line["number"] == launch.get("attempting") and run is not None \
                    and related_id(run, "flow") == launch["flowId"]:
                # The run asked for when this launch's process ended: made, its line not yet written.
                line.update(state=launches.LAUNCHED, run=run.id)
                launch["launched"] += 1
                launch.pop("attempting")
                _store_and_push(launch, line)
            else:
                _launch_line(launch, line, refused.get(line["thread"]), api)
    launch["done"] = True
    _store_and_push(launch, None)


def _precheck(thread_ids: list[str], api: RecruboClient) -> tuple[dict[str, str], dict[str, Resource]]:
    """Why some of these threads cannot get a run now (gone, or busy with another run), and the busy ones' runs."""
    try:
        existing = {thread.id for thread in api.list("message-threads", filters={"id": thread_ids},
                                                    size=len(thread_ids)).items}
        busy = {related_id(run, "messageThread"): run for run in api.list(
            "flow-runs", filters={"messageThreadId": thread_ids, "status": "queued,running"},
            size=len(thread_ids)).items}
    except RecruboError as error:  # each create then answers for itself
        log.warning("bulk launch pre-check failed: %s", error.message)
        return {}, {}
    refused = {thread_id: GONE if thread_id not in existing else BUSY for thread_id in thread_ids
               if thread_id not in existing or thread_id in busy}
    return refused, busy


def _launch_line(launch: dict, line: dict, refusal: str | None, api: RecruboClient) -> None:
    if refusal is None:
        launch["attempting"] = line["number"]  # a resumed launch takes a busy run of its flow here for this one's
        launches.update(launch["id"], launch)
        try:
            run = api.create("flow-runs", "flowRuns", {"flowId": launch["flowId"], "messageThreadId": line["thread"],
                                                      "state": {}, "initialMessage": launch["initialMessage"]})
        except RecruboError as error:
            refusal = refusal_reason(error)
        else:
            keep(run)
            line.update(state=launches.LAUNCHED, run=run.id)
    if refusal is not None:
        line.update(state=launches.REFUSED, reason=refusal)
    launch.pop("attempting", None)
    launch["launched" if refusal is None else "refused"] += 1
    _store_and_push(launch, line)


def refusal_reason(error: RecruboError) -> str:
    """Why the API refused one run, in a recruiter's words."""
    fields = error.field_errors()
    if "messageThreadId" in fields and "queued or running" in fields["messageThreadId"]:
        return BUSY
    return next(iter(fields.values()), None) or error.message


def _store_and_push(launch: dict, line: dict | None) -> None:
    bodies = [(channel(launch["id"]), frame(launch, line))]
    with order.publishing():
        with session_scope() as session:
            launches.update(launch["id"], launch, line, session)
            stored = pushes.insert_pushes(session, launch["id"], bodies)
        hub().publish(launch["id"], [(push.channel, push.seq, push.frame) for push in stored])


def frame(launch: dict, line: dict | None) -> dict:
    """One push of a launch's page: the line that changed and the summary, announced when the launch is done."""
    module = current_app.jinja_env.get_template("flow_runs/_launch_lines.html").make_module(
        vars=render.PUSH_GLOBALS)
    html = hx_partial("launch-summary", str(module.summary(launch)))
    if line is not None:
        html += hx_partial(f"launch-line-{line['number']}", str(module.line(line)))
    body: dict = {"content": str(Markup(html))}
    if launch["done"]:
        body["announce"] = f"Launch of {launch['flowName']} done: {launch['launched']} launched, " \
                           f"{launch['refused']} refused."
    return body
