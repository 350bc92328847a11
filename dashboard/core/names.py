"""What screens, exports and announcements call a resource: names, and where an id must show, its random end.

A UUIDv7 starts with its creation time: the runs of one bulk launch share their first 8 characters, so an id's
start never tells them apart. Its end is random: `short_id` shows that, everywhere (Python and the `short_id`
filter alike).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from dashboard.recrubo.relations import related_id

SHORT_ID_LENGTH = 6


def short_id(value: object) -> str:
    """The random end of an id (`…3f9a0e`); '—' for none."""
    text = str(value or "").replace("-", "")
    return f"…{text[-SHORT_ID_LENGTH:]}" if text else "—"


def _mapping(value: object) -> Mapping | None:
    return value if isinstance(value, Mapping) else None


def person_name(candidate: object) -> str:
    """A candidate's full name, or '' when it has none."""
    person = _mapping(candidate) or {}
    return " ".join(part for part in (person.get("firstName"), person.get("lastName")) if part).strip()


def thread_name(thread: object, thread_id: str | None = None) -> str:
    """A thread by its candidate, else its identifier (a phone number), else the random end of its id."""
    found = _mapping(thread) or {}
    return (person_name(found.get("candidate")) or found.get("identifier")
            or f"Thread {short_id(thread_id or found.get('id'))}")


def flow_name(flow: object, flow_id: str | None = None) -> str:
    """A flow by its name, else the random end of its id."""
    found = _mapping(flow) or {}
    return found.get("name") or f"Flow {short_id(flow_id or found.get('id'))}"


def run_name(run: Mapping) -> str:
    """A run as "<candidate> in <flow>", from the joined row (`dashboard.db.listing.runs`)."""
    return (f"{thread_name(run.get('messageThread'), related_id(run, 'messageThread'))} in "
            f"{flow_name(run.get('flow'), related_id(run, 'flow'))}")


def init_app(app: Flask) -> None:
    """The `short_id` filter."""
    app.add_template_filter(short_id, "short_id")
