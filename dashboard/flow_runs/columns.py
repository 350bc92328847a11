"""The runs list's columns as a row of its CSV export: the names the table shows (flow, candidate), then the id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboard.core.export import person, related, utc

HEADER = ["Status", "Flow", "Thread", "Thread identifier", "Cost", "Queued (UTC)", "Updated (UTC)", "id"]


def row(run: Mapping[str, Any], statuses: Mapping[str, str]) -> list[Any]:
    """One run as the table shows it: status label, flow name, the thread's candidate (else its identifier)."""
    thread = related(run, "messageThread")
    return [statuses.get(run.get("status") or "", run.get("status")), related(run, "flow").get("name"),
            person(related(thread, "candidate")) or thread.get("identifier"), thread.get("identifier"),
            run.get("cost"), utc(run.get("createdAt")), utc(run.get("updatedAt")), run.get("id")]
