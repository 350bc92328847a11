"""Request bodies: JSON objects, JSON:API resource documents, attribute kinds and linkage (S1, S4)."""

from __future__ import annotations

import json

from flask import request

from sandbox.jsonapi import MEDIA_TYPE, ApiError, invalid
from sandbox.schema import Attr, Resource

MAX_DEPTH = 64
KINDS = {"str": str, "int": int, "bool": bool, "object": dict, "array": list}
KIND_NAMES = {"str": "a string", "int": "an integer", "bool": "a boolean", "object": "an object", "array": "an array"}


def read_body() -> dict:
    """The request's JSON object; 415 for another content type, 400 when unreadable."""
    if request.mimetype not in (MEDIA_TYPE, "application/json"):
        raise ApiError(415, f"send the body as {MEDIA_TYPE} or application/json")
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "the body is not valid JSON", pointer="") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object", pointer="")
    if depth(body) > MAX_DEPTH:
        raise ApiError(400, f"the body nests deeper than {MAX_DEPTH} levels", pointer="")
    return body


def _refuse_constant(name: str) -> None:
    # NaN and Infinity are not JSON; stored, they would break SQLite's JSON functions for the whole table.
    raise ValueError(name)


def depth(value: object) -> int:
    """How deeply a parsed JSON value nests (SQLite's JSON functions stop at 1000)."""
    level, frontier = 0, [value]
    while frontier:
        level += 1
        frontier = [child for item in frontier if isinstance(item, (dict, list))
                    for child in (item.values() if isinstance(item, dict) else item)]
    return level - 1


def sent_attributes() -> dict:
    """The `data.attributes` object of the request's body as sent, or {} (read_resource checks it properly)."""
    try:
        attributes = read_body().get("data", {}).get("attributes", {})
    except (ApiError, AttributeError):
        return {}
    return attributes if isinstance(attributes, dict) else {}


def read_resource(spec: Resource, rid: str | None = None) -> tuple[dict, dict]:
    """The writable attributes and to-many linkage of a POST or PATCH document (S4)."""
    data = read_body().get("data")
    if not isinstance(data, dict):
        raise ApiError(400, "the body needs a `data` object", pointer="/data")
    if "type" not in data:
        raise ApiError(400, "`data` needs a `type`", pointer="/data/type")
    if data["type"] != spec.type:
        raise ApiError(409, f"this endpoint takes `{spec.type}`, not `{data['type']}`", pointer="/data/type")
    if rid is not None and "id" in data and data["id"] != rid:
        raise ApiError(409, "`data.id` differs from the id in the URL", pointer="/data/id")
    attributes = data.get("attributes", {})
    relationships = data.get("relationships", {})
    for name, value in (("attributes", attributes), ("relationships", relationships)):
        if not isinstance(value, dict):
            raise ApiError(400, f"`{name}` must be an object", pointer=f"/data/{name}")
    creating = rid is None
    attrs: dict = {}
    for name, value in attributes.items():
        attr = spec.attr_map.get(name)
        # Read-only, create-only (on PATCH) and unknown attributes are ignored, not refused (S4).
        if attr is None or attr.mode == "ro" or (attr.mode == "create" and not creating):
            continue
        check_kind(attr, value)
        attrs[name] = value
    to_many: dict = {}
    for name, value in relationships.items():
        rel = spec.rel_map.get(name)
        if rel is None or not rel.writable:
            continue
        pointer = f"/data/relationships/{name}"
        if not isinstance(value, dict) or "data" not in value:
            raise ApiError(400, "a relationship needs a `data` member", pointer=pointer)
        if rel.attr:
            if spec.attr_map[rel.attr].mode == "create" and not creating:
                continue
            attrs[rel.attr] = to_one_id(rel.target, value["data"], pointer)
        else:
            to_many[name] = to_many_ids(rel.target, value["data"], pointer)
    if creating:
        for attr in spec.attrs:
            if attr.required and attrs.get(attr.name) is None:
                raise invalid(attr.name, f"{attr.name} is required")
    else:
        for name, value in attrs.items():
            if value is None and spec.attr_map[name].required:
                raise invalid(name, f"{name} cannot be null")
    return attrs, to_many


def check_kind(attr: Attr, value: object) -> None:
    """Refuse a value of the wrong JSON type for its attribute (422)."""
    if value is None:
        return
    expected = KINDS.get(attr.kind)  # writable attributes are never times; "any" takes every JSON value
    if expected is not None and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
        raise invalid(attr.name, f"{attr.name} must be {KIND_NAMES[attr.kind]}")


def to_one_id(target: str, linkage: object, pointer: str) -> str | None:
    """The id in a to-one linkage (an object, or a one-item array, S12)."""
    if isinstance(linkage, list):
        if len(linkage) > 1:
            raise ApiError(422, "a to-one relationship takes one resource", pointer=pointer)
        linkage = linkage[0] if linkage else None
    if linkage is None:
        return None
    if not isinstance(linkage, dict) or not isinstance(linkage.get("id"), str):
        raise ApiError(400, "linkage needs `type` and `id`", pointer=pointer + "/data")
    if linkage.get("type") != target:
        raise ApiError(422, f"linkage must be of type `{target}`", pointer=pointer + "/data/type")
    return linkage["id"]


def to_many_ids(target: str, linkage: object, pointer: str) -> list[str]:
    """The ids of a to-many linkage."""
    if not isinstance(linkage, list):
        raise ApiError(400, "a to-many relationship takes an array", pointer=pointer + "/data")
    return [to_one_id(target, item, pointer) for item in linkage if item is not None]
