"""One candidate's timeline: their messages, their runs (with the steps reached and the answers given), chatbot
pauses and resumes, and changes to the person, each with the webhook events behind it, newest first.

Read from the read model and the event log (`dashboard.db.person`); a run's steps come from `run_timeline`, as
on the run's own page. The page, its pushes and its CSV export all read entries made here, so they agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from dashboard.db import person
from dashboard.db.events import Event
from dashboard.recrubo import run_timeline
from dashboard.recrubo.relations import related_id

SHOWN, MOST = 50, 2000  # entries on a page at first, and at most (a "show more" asks for more up to that)
EVENTS_PER_ENTRY = 10
STATUS = {"queued": "queued", "running": "running", "finished": "finished", "timeout": "timed out",
          "cancelled": "cancelled", "exception": "failed", "created": "created"}


@dataclass(frozen=True)
class Behind:
    """A webhook event (or the sync's own record of a change) behind a timeline entry."""

    id: str
    at: str
    what: str
    verdict: str
    by_sync: bool


@dataclass
class Entry:
    """One line of the timeline: `key` names its element (`timeline-<key>`); `kind` is message, run, bot or
    candidate; runs add the steps they reached and the answers they gathered."""

    key: str
    at: str
    kind: str
    title: str
    detail: str = ""
    thread: Mapping[str, Any] | None = None
    resource: Mapping[str, Any] | None = None
    steps: list[str] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    events: list[Behind] = field(default_factory=list)


@dataclass
class Story:
    """Everything the candidate page shows: the person, their threads, the newest entries, and whether more exist."""

    candidate: Mapping[str, Any]
    threads: list[Mapping[str, Any]]
    entries: list[Entry]
    more: bool


def moment(text: str | None) -> datetime:
    """An ISO time as an aware datetime for ordering (naive ones are UTC); the earliest time when unreadable."""
    try:
        found = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return found if found.tzinfo else found.replace(tzinfo=timezone.utc)


def naive(text: str | None) -> datetime:
    """An ISO time as the naive UTC datetime the read model's columns hold."""
    return moment(text).astimezone(timezone.utc).replace(tzinfo=None)


def name_of(candidate: Mapping[str, Any] | None) -> str:
    """The candidate's name as the pages show it."""
    if not candidate:
        return "Unknown candidate"
    return " ".join(part for part in (candidate.get("firstName"), candidate.get("lastName")) if part) \
        or candidate.get("name") or "Unnamed candidate"


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    """Entries in the timeline's order: newest first, ties by key so every reading orders them alike."""
    return sorted(entries, key=lambda entry: (moment(entry.at), entry.key), reverse=True)


def load(candidate: Mapping[str, Any], limit: int = SHOWN, session: Session | None = None) -> Story:
    """The candidate's story: their threads and the newest `limit` timeline entries."""
    threads = person.threads(candidate["id"], session)
    by_id = {thread["id"]: thread for thread in threads}
    thread_ids = list(by_id)
    messages = person.messages(thread_ids, limit + 1, session)
    runs = person.runs(thread_ids, limit + 1, session)
    ids = [candidate["id"], *thread_ids, *(run.id for run in runs), *(message.id for message in messages)]
    logged = person.events(ids, (limit + 1) * 4, session)
    behind = group(logged)
    steps = person.flow_steps([related_id(run, "flow") or "" for run in runs], session)
    entries = [message_entry(message, by_id.get(related_id(message, "messageThread") or ""), candidate,
                             behind.get(message.id, [])) for message in messages]
    entries += [run_entry(run, by_id.get(related_id(run, "messageThread") or ""), steps, behind.get(run.id, []),
                          session) for run in runs]
    entries += bot_entries([event for event in logged if event.resource_type == "messageThreads"], by_id)
    entries += [candidate_entry(event) for event in logged if event.resource_type == "candidates"]
    ordered = newest_first(entries)
    return Story(candidate, threads, ordered[:limit], len(ordered) > limit or len(logged) > (limit + 1) * 4)


def group(logged: Iterable[Event]) -> dict[str, list[Behind]]:
    """The events by resource id, newest first, at most EVENTS_PER_ENTRY each."""
    grouped: dict[str, list[Behind]] = {}
    for event in logged:
        found = grouped.setdefault(event.resource_id, [])
        if len(found) < EVENTS_PER_ENTRY:
            found.append(behind(event))
    return grouped


def behind(event: Event) -> Behind:
    """An event as an entry lists it."""
    fields = event.field_list
    what = f"{event.resource_type} {event.event}" + (f" ({', '.join(fields)})" if fields else "")
    received = event.received_at.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
    return Behind(event.id, received, what, event.verdict, event.deliveries == 0)


def message_entry(message: Mapping[str, Any], thread: Mapping[str, Any] | None, candidate: Mapping[str, Any],
                  events: list[Behind]) -> Entry:
    """A message: written by the candidate, or sent to them (by the bot or a recruiter)."""
    inbound = message.get("origin") == "inbound"
    title = f"{name_of(candidate)} wrote" if inbound else f"Sent by {message.get('sendBy') or 'the bot'}"
    status = "" if inbound else f" · {message.get('deliveryStatus')}" if message.get("deliveryStatus") else ""
    return Entry(f"message-{message['id']}", message.get("createdAt") or "", "message", title + status,
                 run_timeline.message_text(message), thread, message, events=events)


def run_entry(run: Mapping[str, Any], thread: Mapping[str, Any] | None, steps: Mapping[str, list],
              events: list[Behind], session: Session | None = None) -> Entry:
    """A run: its flow and status, the steps it reached (read from what it sent) and the answers it gathered."""
    flow = run.get("flow") if isinstance(run.get("flow"), Mapping) else {}
    flow_name = flow.get("name") or "a flow"
    thread_id = related_id(run, "messageThread")
    until = None if run_timeline.is_active(run) or not run.get("updatedAt") else naive(run["updatedAt"])
    sent = person.thread_messages(thread_id, naive(run.get("createdAt")), until, session) if thread_id else []
    story = run_timeline.build(run, sent, steps.get(related_id(run, "flow") or "", []))
    reached = [entry.text.removeprefix("Reached step “").removesuffix("”") for entry in story if entry.kind == "step"]
    state = run.get("state") if isinstance(run.get("state"), Mapping) else {}
    title = f"Flow “{flow_name}” {STATUS.get(run.get('status') or '', run.get('status') or 'unknown')}"
    return Entry(f"run-{run['id']}", run.get("createdAt") or "", "run", title,
                 " → ".join(reached) if reached else "No step reached yet", thread, run, reached, dict(state),
                 events)


def bot_entries(logged: Iterable[Event], threads: Mapping[str, Mapping[str, Any]]) -> list[Entry]:
    """The chatbot's pauses and resumes: thread events naming `chatbotPaused`, or (the sync's and the real API's
    events may name no fields) changing it from the thread's previous event."""
    entries, last = [], {}
    for event in sorted(logged, key=lambda event: (event.received_at, event.id)):
        paused = paused_of(event)
        if paused is None:
            continue
        before = last.get(event.resource_id)
        last[event.resource_id] = paused
        named = "chatbotPaused" in event.field_list
        if named or (before is not None and before != paused):
            entries.append(bot_entry(event, paused, threads.get(event.resource_id)))
    return entries


def paused_of(event: Event) -> bool | None:
    """The `chatbotPaused` a thread event carries, or None."""
    try:
        resource = event.document["data"]["attributes"]["resource"]
        value = (resource.get("attributes") or {}).get("chatbotPaused")
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, bool) else None


def bot_entry(event: Event, paused: bool, thread: Mapping[str, Any] | None) -> Entry:
    """A pause or resume of the chatbot on a thread."""
    # When it arrived, to the microsecond: a pause and a resume within one second of `updatedAt` keep their order.
    return Entry(f"event-{event.id}", behind(event).at, "bot", "Chatbot paused" if paused else "Chatbot resumed",
                 "The bot neither replies nor runs flows until resumed." if paused else "The bot replies again.",
                 thread, events=[behind(event)])


def candidate_entry(event: Event) -> Entry:
    """A change to the person: added, details changed, or deleted."""
    fields = [name for name in event.field_list if name not in ("updatedAt",)]
    title = {"create": "Candidate added", "delete": "Candidate deleted"}.get(event.event, "Candidate details changed")
    detail = f"Changed: {', '.join(fields)}" if fields and event.event == "update" else ""
    return Entry(f"event-{event.id}", behind(event).at, "candidate", title, detail,
                 events=[behind(event)])
