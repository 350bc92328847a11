"""The shapes the reference gives ids and resource types, checked wherever one arrives from outside."""

from __future__ import annotations

import re
from urllib.parse import quote

# Recrubo's ids are UUIDs (reference §1); this is wider, and still safe in a URL path, a CSS selector, a log line.
ID_SHAPE = re.compile(r"[A-Za-z0-9-]{1,64}")
# Every `type` the reference names (§4), the sandbox's own included.
RESOURCE_TYPES = frozenset({
    "organizations", "users", "candidates", "candidateStatuses", "messageThreads", "conversations", "messages",
    "messageTemplates", "flows", "nodes", "nodeActions", "nodeTransitions", "flowRuns", "flowGenerations",
    "vacancies", "vacancyAnalyses", "webhooks", "webhookLogs"})


class InvalidId(ValueError):
    """A value used as a Recrubo id that does not have an id's shape."""


def is_id(value: object) -> bool:
    """True when `value` is a string shaped like a Recrubo id (letters, digits and dashes, at most 64)."""
    return isinstance(value, str) and ID_SHAPE.fullmatch(value) is not None


def require_id(value: object) -> str:
    """`value` when it is shaped like a Recrubo id, else raise InvalidId."""
    if not is_id(value):
        raise InvalidId(f"{str(value)[:80]!r} is not a Recrubo id")
    return value  # type: ignore[return-value]


def segment(value: str) -> str:
    """One URL path segment, escaped so that nothing in it (a slash, a dot, a `?`) can change the path."""
    return quote(value, safe="")
