"""What an applied event shows on its candidate's page (channel `candidates:<id>`): the timeline entry it adds or
changes, the person's contact block, the thread's chatbot block.

Rendering only, as `render` is: the entries are made by `candidate_timeline` from the read model as the page reads
it, in the webhook's own transaction, so a pushed entry equals the entry after a reload.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy.orm import Session

from dashboard.core.htmx import hx_partial
from dashboard.db import listing, person
from dashboard.db.events import Event
from dashboard.live.render import _macro
from dashboard.recrubo import candidate_timeline as story
from dashboard.recrubo.client import RecruboError, parse_resource
from dashboard.recrubo.relations import related_id

log = logging.getLogger(__name__)
PARTIALS = "candidates/_partials.html"
TYPES = ("candidates", "messageThreads", "flowRuns", "messages")


def bodies(event: Event, row: Mapping | None, session: Session | None = None) -> list[tuple[str, dict]]:
    """The pushes of `event` on its candidate's channel (none for other types, or a resource of no known person)."""
    if event.resource_type not in TYPES:
        return []
    try:
        return candidate_bodies(event, row, session)
    except Exception:  # the event's other pushes (lists, detail pages) go out; the candidate page catches up on reload
        log.exception("rendering event %r for its candidate's page failed", event.id)
        return []


def candidate_bodies(event: Event, row: Mapping | None, session: Session | None) -> list[tuple[str, dict]]:
    """`bodies`, raising what rendering raised."""
    try:
        resource = parse_resource(event.document["data"]["attributes"]["resource"])
    except (KeyError, TypeError, RecruboError):
        return []
    candidate_id = whose(event, row or resource, session)
    if not candidate_id:
        return []
    candidate = person.candidate(candidate_id, session)
    if event.resource_type == "candidates":
        html = "" if candidate is None else (
            hx_partial(f"candidate-{candidate_id}-title", str(_macro(PARTIALS, "heading")(candidate,
                                                                                       story.name_of(candidate))))
            + hx_partial(f"candidate-{candidate_id}-facts", str(_macro(PARTIALS, "facts")(candidate))))
        html += inserted(candidate_id, story.candidate_entry(event))
        return [(f"candidates:{candidate_id}", {"content": html})]
    if candidate is None:
        return []
    threads = {thread["id"]: thread for thread in person.threads(candidate_id, session)}
    html = ""
    if event.resource_type == "messageThreads" and row is not None:
        html += hx_partial(f"message-thread-{row['id']}", str(_macro("message_threads/_partials.html", "detail")(row)))
        paused = story.paused_of(event)
        if paused is not None and "chatbotPaused" in event.field_list:
            html += inserted(candidate_id, story.bot_entry(event, paused, row))
    elif event.resource_type == "messages":
        html += message_html(event, resource, candidate, threads, session)
    elif event.resource_type == "flowRuns":
        html += run_html(event, row, threads, session)
    return [(f"candidates:{candidate_id}", {"content": html})] if html else []


def whose(event: Event, resource: Mapping, session: Session | None) -> str | None:
    """The candidate an event's resource belongs to, as the read model knows it."""
    if event.resource_type == "candidates":
        return event.resource_id
    if event.resource_type == "messageThreads":
        return related_id(resource, "candidate") or person.thread_candidate(event.resource_id, session)
    thread = resource.get("messageThread") if isinstance(resource.get("messageThread"), Mapping) else None
    if thread is not None and related_id(thread, "candidate"):
        return related_id(thread, "candidate")
    thread_id = related_id(resource, "messageThread")
    if thread_id is None and event.resource_type == "messages":
        thread_id = person.message_thread(event.resource_id, session)
    return person.thread_candidate(thread_id, session) if thread_id else None


def inserted(candidate_id: str, entry: story.Entry) -> str:
    """A new entry on top of the timeline (any old copy removed first: a replay may bring it again)."""
    html = str(_macro(PARTIALS, "entry")(entry))
    return hx_partial(f"timeline-{entry.key}", "", "delete") + \
        hx_partial(f"candidate-{candidate_id}-timeline-empty", "", "delete") + \
        hx_partial(f"candidate-{candidate_id}-timeline", html, "afterbegin")


def replaced(entry: story.Entry) -> str:
    """An entry the timeline shows already, in its new state: its content, so the element itself stays (htmx finds
    every target of a frame before it swaps any, and the hub may join two changes of one entry in one frame)."""
    return hx_partial(f"timeline-{entry.key}", str(_macro(PARTIALS, "entry_body")(entry)), "innerHTML")


def message_html(event: Event, message: Mapping, candidate: Mapping, threads: Mapping[str, Mapping],
                 session: Session | None) -> str:
    """A message added, changed (its delivery) or gone; a new one the bot sent also moves its thread's active runs
    on (the steps they reached)."""
    key = f"timeline-message-{event.resource_id}"
    if event.event == "delete":
        return hx_partial(key, "", "delete")
    found = person.message(event.resource_id, session) or message
    thread = threads.get(related_id(found, "messageThread") or "")
    logged = story.group(person.events([event.resource_id], story.EVENTS_PER_ENTRY, session))
    entry = story.message_entry(found, thread, candidate, with_event(logged.get(event.resource_id, []), event))
    html = replaced(entry) if event.event == "update" else inserted(candidate["id"], entry)
    # A message the bot sent may be a run's next step (an answer reaches the run's state by the run's own update).
    if event.event == "create" and thread is not None and found.get("origin") != "inbound":
        for run in listing.runs(thread_id=thread["id"], status="queued,running,created", size=5,
                                session=session).items:
            html += replaced(run_entry(run, threads, session))
    return html


def run_html(event: Event, row: Mapping | None, threads: Mapping[str, Mapping], session: Session | None) -> str:
    """A run added, changed or gone."""
    if event.event == "delete" or row is None:
        return hx_partial(f"timeline-run-{event.resource_id}", "", "delete")
    entry = run_entry(row, threads, session, event)
    if event.event == "create":
        candidate_id = whose(event, row, session) or ""
        return inserted(candidate_id, entry)
    return replaced(entry)


def run_entry(run: Mapping, threads: Mapping[str, Mapping], session: Session | None,
              event: Event | None = None) -> story.Entry:
    """A run's entry as the page shows it, with the event being published among those behind it."""
    steps = person.flow_steps([related_id(run, "flow") or ""], session)
    logged = story.group(person.events([run["id"]], story.EVENTS_PER_ENTRY, session)).get(run["id"], [])
    return story.run_entry(run, threads.get(related_id(run, "messageThread") or ""), steps,
                           with_event(logged, event) if event is not None else logged, session)


def with_event(logged: list[story.Behind], event: Event) -> list[story.Behind]:
    """The events behind an entry plus the one being published (stored in the same transaction, after this)."""
    if any(found.id == event.id for found in logged):
        return logged
    return [story.behind(event), *logged][:story.EVENTS_PER_ENTRY]
