"""A run's timeline: the steps it reached, read from the messages it sent, between its start and its end."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dashboard.recrubo.relations import related_id

ACTIVE = ("queued", "running", "created")
TERMINAL = ("finished", "timeout", "cancelled", "exception")


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: when, what kind (start, step, sent, answer, end) and what happened."""

    at: str
    kind: str
    text: str
    detail: str = ""


def is_active(run: Mapping[str, Any]) -> bool:
    """True while a run may still change status (unknown statuses count as active)."""
    return run.get("status") not in TERMINAL


def message_text(message: Mapping[str, Any]) -> str:
    """A message's text in either documented payload shape, or its kind."""
    payload = message.get("payload") if isinstance(message.get("payload"), Mapping) else {}
    for key in ("text", "attributes"):
        part = payload.get(key)
        if isinstance(part, Mapping) and part.get("value"):
            return str(part["value"])
    return f"({payload.get('type') or 'message'})"


def step_texts(nodes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each action text a step sends, mapped to that step's name."""
    texts = {}
    for node in nodes:
        for action in node.get("nodeActions") or []:
            value = action.get("value") if isinstance(action.get("value"), Mapping) else {}
            if value.get("text"):
                texts.setdefault(" ".join(str(value["text"]).split()), node.get("name") or "Unnamed step")
    return texts


def step_of(text: str, texts: Mapping[str, str]) -> str | None:
    """The step that sent a text: an exact match, else the longest action text it starts with (lists add options)."""
    if text in texts:
        return texts[text]
    starts = [action for action in texts if text.startswith(action)]
    return texts[max(starts, key=len)] if starts else None


def build(run: Mapping[str, Any], messages: Sequence[Mapping[str, Any]],
          nodes: Iterable[Mapping[str, Any]]) -> list[Entry]:
    """The run's story in time order: queued, each step reached with what it sent, answers, the outcome."""
    entries = [Entry(run.get("createdAt") or "", "start", "Run queued")]
    texts = step_texts(nodes)
    reached: set[str] = set()
    for message in messages:
        text = message_text(message)
        if message.get("origin") == "inbound":
            entries.append(Entry(message.get("createdAt") or "", "answer", "Candidate answered", text))
            continue
        step = step_of(" ".join(text.split()), texts)
        if step and step not in reached:
            reached.add(step)
            entries.append(Entry(message.get("createdAt") or "", "step", f"Reached step “{step}”", text))
        else:
            entries.append(Entry(message.get("createdAt") or "", "sent", "Sent", text))
    if not is_active(run):
        entries.append(Entry(run.get("updatedAt") or "", "end", f"Run {run.get('status')}"))
    return entries


def message_filters(run: Mapping[str, Any]) -> dict[str, str]:
    """API filters for the thread's messages during the run."""
    filters = {"messageThreadId": related_id(run, "messageThread") or "", "createdAt][gte": run.get("createdAt") or ""}
    if not is_active(run) and run.get("updatedAt"):
        filters["createdAt][lte"] = run["updatedAt"]
    return filters
