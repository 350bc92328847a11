"""Reading a to-one relationship the way the reference documents it, whatever shape the API sends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from dashboard.recrubo.client import PATHS, RecruboClient, Resource
from dashboard.recrubo.ids import is_id

# Ids per `filter[id]` request: a page of 25 rows in one request, short enough for any URL limit.
BATCH = 50


def relationship(resource: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """The raw JSON:API relationship object `name` of a resource, or None when the API sent none."""
    relationships = getattr(resource, "relationships", None)
    if not isinstance(relationships, Mapping):
        relationships = resource.get("relationships") if isinstance(resource.get("relationships"), Mapping) else {}
    found = relationships.get(name)
    return found if isinstance(found, Mapping) else None


def related_id(resource: Mapping[str, Any], name: str) -> str | None:
    """A to-one relationship's id: its `data.id`, else the id ending a to-one `links.related`, else `<name>Id`;
    None when the one found is not shaped like a Recrubo id (it would end up in paths, selectors and channels)."""
    found = _related_id(resource, name)
    return found if is_id(found) else None


def _related_id(resource: Mapping[str, Any], name: str) -> str | None:
    raw = relationship(resource, name) or {}
    data = raw.get("data")
    if isinstance(data, Mapping) and data.get("id"):
        return str(data["id"])
    links = raw.get("links")
    target = _to_one_id(links.get("related")) if isinstance(links, Mapping) else None
    if target:
        return target
    resolved = resource.get(name)  # a linkage the client already resolved (e.g. from a webhook payload)
    if isinstance(resolved, Mapping) and resolved.get("id"):
        return str(resolved["id"])
    value = resource.get(f"{name}Id")
    return str(value) if value else None


def is_silent(resource: Mapping[str, Any], name: str) -> bool:
    """True when the resource says nothing about `name`: no relationship object and no `<name>Id` attribute."""
    return relationship(resource, name) is None and f"{name}Id" not in resource and name not in resource


def _to_one_id(url: Any) -> str | None:
    """The last path segment of a to-one URL (`…/<path>/<id>`); None for a filtered to-many list link."""
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    if parts.query:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) < 2 or segments[-2] == "relationships":
        return None
    return segments[-1]


def checked_id(api: RecruboClient, resource: Mapping[str, Any], name: str) -> str | None:
    """`related_id`, noting on the client's compatibility record when the resource says nothing at all."""
    found = related_id(resource, name)
    if found is None and is_silent(resource, name):
        kind = resource.get("type") or "resource"
        path = f"/{PATHS.get(kind, kind)}"
        api.compat.note(f"relationship:{kind}.{name}", f"{kind} without a '{name}' relationship, link or {name}Id",
                        f"shown without its {name}", path)
    return found


def attach(api: RecruboClient, resources: Iterable[Resource], name: str, type_: str) -> list[Resource]:
    """Give each resource its related `name` in full; those not included come from one `filter[id]` list.

    Returns the distinct related resources, e.g. to attach their own relations in turn.
    """
    resources = list(resources)
    targets = {id(resource): checked_id(api, resource, name) for resource in resources}
    found: dict[str, Resource] = {}
    for resource in resources:
        current, target = resource.get(name), targets[id(resource)]
        if target and isinstance(current, Resource) and current.get("id") == target and _is_full(current):
            found[target] = current
    missing = list(dict.fromkeys(target for target in targets.values() if target and target not in found))
    for start in range(0, len(missing), BATCH):
        batch = missing[start:start + BATCH]
        for item in api.list(PATHS[type_], filters={"id": batch}, sort="createdAt", size=len(batch)).items:
            found[item.id] = item
    for resource in resources:
        target = targets[id(resource)]
        if target in found:
            resource[name] = found[target]
    return list(found.values())


def _is_full(resource: Resource) -> bool:
    """An included resource has attributes; a bare linkage has only `id` and `type`."""
    return any(key not in ("id", "type") for key in resource)


def attach_runs(api: RecruboClient, runs: Iterable[Resource]) -> list[Resource]:
    """Runs with their flow, thread and the thread's candidate: at most three batched lists, never one per row."""
    runs = list(runs)
    attach(api, runs, "flow", "flows")
    attach(api, attach(api, runs, "messageThread", "messageThreads"), "candidate", "candidates")
    return runs
