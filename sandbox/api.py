"""The JSON:API endpoints under /public/v2: one generic handler per method, rules in `hooks`."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Iterator

from flask import Blueprint, Response, current_app, request

from sandbox import changes, hooks
from sandbox.jsonapi import (MEDIA_TYPE, ApiError, apply_list_query, invalid, parse_include, parse_list_query,
                             resource_object)
from sandbox.schema import RESOURCES, Attr, Resource
from sandbox.store import Tx, parse_time, transaction

bp = Blueprint("sandbox_api", __name__)
SYNC_TYPES = ("flowGenerations", "vacancyAnalyses")
SYNC_LIMIT = 60.0
KINDS = {"str": str, "int": int, "bool": bool, "object": dict, "array": list}


def api_base() -> str:
    """The path prefix of API links as seen by this request's client (works under a mount point)."""
    return request.script_root + "/public/v2"


@contextmanager
def unit(write: bool = True) -> Iterator[Tx]:
    """A transaction on the sandbox database for this request."""
    state = current_app.extensions["sandbox"]
    with transaction(state.settings.database, api_base(), state, write) as tx:
        yield tx


def reply(document: dict, status: int = 200) -> Response:
    """A JSON:API response."""
    return Response(json.dumps(document), status=status, mimetype=MEDIA_TYPE)


def read_body() -> dict:
    """The request's JSON object; 415 for another content type, 400 when unreadable."""
    if request.mimetype not in (MEDIA_TYPE, "application/json"):
        raise ApiError(415, f"send the body as {MEDIA_TYPE} or application/json")
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "the body is not valid JSON", pointer="") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object", pointer="")
    return body


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
    expected = KINDS.get(attr.kind)
    wrong = expected is not None and (not isinstance(value, expected) or (expected is int and isinstance(value, bool)))
    if attr.kind == "time":
        try:
            parse_time(value) if isinstance(value, str) else (_ for _ in ()).throw(ValueError())
        except ValueError:
            wrong = True
    if wrong:
        kind = {"str": "a string", "int": "an integer", "bool": "a boolean", "object": "an object",
                "array": "an array", "time": "an ISO 8601 time"}[attr.kind]
        raise invalid(attr.name, f"{attr.name} must be {kind}")


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


def find(tx: Tx, spec: Resource, rid: str) -> dict:
    """A visible record or 404."""
    record = tx.get(spec.type, rid)
    if not changes.visible(record):
        raise ApiError(404, f"no {spec.type} with id {rid}")
    return record


def compound(tx: Tx, spec: Resource, records: list[dict], include: list[str]) -> tuple[list[dict], list[dict]]:
    """Resource objects with linkage for the included relationships, and the `included` array (S8)."""
    primary = {(spec.type, r["id"]) for r in records}
    included: dict = {}
    objects = []
    for record in records:
        linkage = {}
        for name in include:
            rel = spec.rel_map[name]
            target = RESOURCES[rel.target]
            if rel.attr:
                found = tx.get(rel.target, record.get(rel.attr)) if record.get(rel.attr) else None
                related = [found] if changes.visible(found) else []
                linkage[name] = {"type": rel.target, "id": found["id"]} if related else None
            else:
                related = [r for r in tx.all(rel.target, **{rel.inverse: record["id"]}) if changes.visible(r)]
                linkage[name] = [{"type": rel.target, "id": r["id"]} for r in related]
            for item in related:
                key = (rel.target, item["id"])
                if key not in primary and key not in included:
                    included[key] = resource_object(target, item, tx.base)
        objects.append(resource_object(spec, record, tx.base, linkage if include else None))
    return objects, list(included.values())


def document(tx: Tx, spec: Resource, record: dict, include: list[str] | None = None) -> dict:
    """A single-resource document."""
    objects, included = compound(tx, spec, [record], include or [])
    body = {"data": objects[0], "meta": {}}
    if include:
        body["included"] = included
    return body


def list_view(spec: Resource):
    def view() -> Response:
        query = parse_list_query(spec, request.args)
        pushed = {name: values[0] for name, op, values in query.filters
                  if op == "eq" and name != "id" and spec.attr_map[name].kind == "str" and values[0] is not None}
        with unit(write=False) as tx:
            records = [r for r in tx.all(spec.type, **pushed) if changes.visible(r)]
            page, meta = apply_list_query(spec, records, query)
            meta["totalUnfiltered"] = tx.count(spec.type)
            objects, included = compound(tx, spec, page, query.include)
        link = f"{tx.base}/{spec.path}?page[size]={query.size}&page[number]="
        body = {"data": objects, "meta": meta,
                "links": {"self": link + str(query.number), "first": link + "1", "last": link + str(meta["maxPage"])}}
        if query.include:
            body["included"] = included
        return reply(body)
    return view


def show_view(spec: Resource):
    def view(rid: str) -> Response:
        include = parse_include(spec, request.args)
        with unit(write=False) as tx:
            return reply(document(tx, spec, find(tx, spec, rid), include))
    return view


def create_view(spec: Resource):
    def view() -> Response:
        attrs, to_many = read_resource(spec)
        with unit() as tx:
            hooks.run("prepare", spec.type, tx, None, attrs)
            assign_to_many(tx, spec, None, to_many, check_only=True)
            record = changes.create(tx, spec.type, attrs)
            assign_to_many(tx, spec, record, to_many)
            hooks.run("after", spec.type, tx, None, record)
            created = document(tx, spec, record)  # the state as created, before the engine moves it on
        if spec.type in SYNC_TYPES and request.args.get("sync") == "true":
            with unit(write=False) as tx:
                created = document(tx, spec, wait_until_settled(spec, record["id"]) or record)
        return reply(created, 201)
    return view


def wait_until_settled(spec: Resource, rid: str) -> dict:
    """Poll an async resource until it finished or failed, for at most 60 s (S25)."""
    deadline = time.monotonic() + SYNC_LIMIT
    while True:
        with unit(write=False) as tx:
            record = tx.get(spec.type, rid)
        if record is None or record.get("status") in ("finished", "exception") or time.monotonic() > deadline:
            return record
        time.sleep(0.05)


def update_view(spec: Resource):
    def view(rid: str | None = None) -> Response:
        with unit() as tx:
            if rid is None:  # PATCH /organizations without an id means the own organization (S10)
                rid = tx.all(spec.type)[0]["id"]
            old = find(tx, spec, rid)
            attrs, to_many = read_resource(spec, rid)
            hooks.run("prepare", spec.type, tx, old, attrs)
            assign_to_many(tx, spec, old, to_many, check_only=True)
            record = changes.update(tx, spec.type, old, attrs)
            assign_to_many(tx, spec, record, to_many)
            hooks.run("after", spec.type, tx, old, record)
            return reply(document(tx, spec, record))
    return view


def delete_view(spec: Resource):
    def view(rid: str) -> Response:
        with unit() as tx:
            record = find(tx, spec, rid)
            hooks.run("before_delete", spec.type, tx, record)
            changes.delete(tx, spec.type, record)
            hooks.run("after_delete", spec.type, tx, record)
        return Response(status=204)
    return view


def assign_to_many(tx: Tx, spec: Resource, record: dict | None, to_many: dict, check_only: bool = False) -> None:
    """Point the targets of a written to-many linkage at this record, and only those (users → candidates)."""
    for name, ids in to_many.items():
        rel = spec.rel_map[name]
        targets = []
        for index, rid in enumerate(ids):
            target = tx.get(rel.target, rid)
            if not changes.visible(target):
                raise ApiError(422, f"no {rel.target} with id {rid}", pointer=f"/data/relationships/{name}/data/{index}")
            targets.append(target)
        if check_only:
            continue
        for current in tx.all(rel.target, **{rel.inverse: record["id"]}):
            if current["id"] not in ids:
                changes.update(tx, rel.target, current, {rel.inverse: None})
        for target in targets:
            changes.update(tx, rel.target, tx.get(rel.target, target["id"]), {rel.inverse: record["id"]})


def register_routes() -> None:
    """Add a URL rule per resource path and method the catalogue offers."""
    for spec in RESOURCES.values():
        for path in (spec.path, *spec.aliases):
            name = f"{spec.type}_{path}"
            collection = [m for m, flag in (("GET", "L"), ("POST", "C")) if flag in spec.methods]
            member = [m for m, flag in (("GET", "S"), ("PATCH", "U"), ("DELETE", "D")) if flag in spec.methods]
            views = {"GET": list_view(spec), "POST": create_view(spec)}
            for method in collection:
                bp.add_url_rule(f"/{path}", f"{name}_{method}", views[method], methods=[method])
            views = {"GET": show_view(spec), "PATCH": update_view(spec), "DELETE": delete_view(spec)}
            for method in member:
                bp.add_url_rule(f"/{path}/<rid>", f"{name}_{method}_one", views[method], methods=[method])
    bp.add_url_rule("/organizations", "organizations_PATCH_own", update_view(RESOURCES["organizations"]),
                    methods=["PATCH"])


register_routes()
