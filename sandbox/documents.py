"""Response documents: single resources and lists with their included relationships (S3, S8)."""

from __future__ import annotations

import json

from flask import Response

from sandbox import changes
from sandbox.jsonapi import MEDIA_TYPE, ApiError, resource_object
from sandbox.schema import RESOURCES, Resource
from sandbox.store import Tx
from sandbox.strict import is_strict, prune


def reply(document: dict, status: int = 200) -> Response:
    """A JSON:API response."""
    return Response(json.dumps(document), status=status, mimetype=MEDIA_TYPE)


def find(tx: Tx, spec: Resource, rid: str) -> dict:
    """A visible record or 404."""
    record = tx.get(spec.type, rid)
    if not changes.visible(record):
        raise ApiError(404, f"no {spec.type} with id {rid}")
    return record


def compound(tx: Tx, spec: Resource, records: list[dict], include: list[str]) -> tuple[list[dict], list[dict]]:
    """Resource objects with linkage for the included relationships, and the `included` array (S8); strict
    mode leaves out what the reference does not document (sandbox/strict.py)."""
    shown = prune if is_strict(tx.context) else (lambda resource: resource)
    primary = {(spec.type, r["id"]) for r in records}
    included: dict = {}
    objects = []
    for record in records:
        linkage = {}
        for name in include:
            rel = spec.rel_map[name]
            target = RESOURCES[rel.target]
            if rel.attr:
                found = tx.get(rel.target, record.get(rel.attr))
                related = [found] if changes.visible(found) else []
                linkage[name] = {"type": rel.target, "id": found["id"]} if related else None
            else:
                related = [r for r in tx.all(rel.target, **{rel.inverse: record["id"]}) if changes.visible(r)]
                linkage[name] = [{"type": rel.target, "id": r["id"]} for r in related]
            for item in related:
                key = (rel.target, item["id"])
                if key not in primary and key not in included:
                    included[key] = shown(resource_object(target, item, tx.base))
        objects.append(shown(resource_object(spec, record, tx.base, linkage if include else None)))
    return objects, list(included.values())


def document(tx: Tx, spec: Resource, record: dict, include: list[str] | None = None) -> dict:
    """A single-resource document."""
    objects, included = compound(tx, spec, [record], include or [])
    body = {"data": objects[0], "meta": {}}
    if include:
        body["included"] = included
    return body
