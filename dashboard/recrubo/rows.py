"""A Recrubo resource as a read-model row: its attributes, its related ids (read the one documented way), stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from dashboard.db.base import session_scope
from dashboard.db.model import RELATIONS, TABLES
from dashboard.db.upsert import remove, upsert
from dashboard.recrubo.client import Resource
from dashboard.recrubo.relations import related_id


def attributes_of(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The resource's own attributes: without `id`, `type` and the related resources the client resolved."""
    return {name: value for name, value in resource.items() if name not in ("id", "type")
            and not isinstance(value, Resource)
            and not (isinstance(value, list) and value and all(isinstance(item, Resource) for item in value))}


def related_ids(resource: Mapping[str, Any]) -> dict[str, str | None]:
    """The kept to-one relationships of the resource's type as ids (`relations.related_id`)."""
    return {name: related_id(resource, name) for name in RELATIONS[resource["type"]]}


def store(session: Session, resource: Mapping[str, Any], event_id: str | None = None) -> str:
    """Upsert a resource as the API shows it (a non-null `deletedAt` means deleted, reference §5.3) in the
    caller's transaction; answer the verdict (`applied` or `stale`)."""
    if resource.get("deletedAt"):
        return remove(session, resource["type"], resource["id"], resource.get("updatedAt"), event_id)
    return upsert(session, resource["type"], resource["id"], attributes_of(resource), related_ids(resource),
                  resource.get("updatedAt"), event_id)


def keep(*resources: Mapping[str, Any] | None) -> None:
    """Upsert the API's answers to a write (a created or updated resource) at once, in one transaction, so the
    page that made the change lists it before the webhook arrives; types the model does not hold are skipped."""
    kept = [resource for resource in resources if resource and resource.get("type") in TABLES]
    if kept:
        with session_scope() as session:
            for resource in kept:
                store(session, resource)
