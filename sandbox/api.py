"""The JSON:API endpoints under /public/v2: one generic handler per method, rules in `hooks`."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request

from sandbox import changes, hooks
from sandbox.bodies import read_resource, sent_attributes
from sandbox.documents import compound, document, find, reply
from sandbox.jsonapi import ApiError, apply_list_query, parse_include, parse_list_query
from sandbox.schema import RESOURCES, Resource
from sandbox.store import Tx, transaction
from sandbox.strict import check_include

bp = Blueprint("sandbox_api", __name__)
SYNC_TYPES = ("flowGenerations", "vacancyAnalyses")
SYNC_LIMIT = 60.0


def api_base() -> str:
    """The path prefix of API links as seen by this request's client (works under a mount point)."""
    return request.script_root + "/public/v2"


@contextmanager
def unit(write: bool = True) -> Iterator[Tx]:
    """A transaction on the sandbox database for this request."""
    state = current_app.extensions["sandbox"]
    with transaction(state.settings.database, api_base(), state, write) as tx:
        tx.org = g.get("sandbox_org")  # set by authentication; None on the partner's management routes
        yield tx


def list_view(spec: Resource) -> Callable[[], Response]:
    """The GET handler of a collection: filter, sort, page and include (S5–S8)."""
    def view() -> Response:
        query = parse_list_query(spec, request.args)
        refuse_undocumented(spec, query.include)
        pushed = {name: values[0] for name, op, values in query.filters
                  if op == "eq" and name != "id" and spec.attr_map[name].kind == "str" and values[0] is not None}
        with unit(write=False) as tx:
            records = [r for r in tx.all(spec.type, **pushed) if changes.visible(r)]
            page, meta = apply_list_query(spec, records, query)
            meta["totalUnfiltered"] = tx.count(spec.type)
            objects, included = compound(tx, spec, page, query.include)
        body = {"data": objects, "meta": meta,
                "links": {name: page_link(tx.base, spec, query.size, number)
                          for name, number in (("self", query.number), ("first", 1), ("last", meta["maxPage"]))}}
        if query.include:
            body["included"] = included
        return reply(body)
    return view


def refuse_undocumented(spec: Resource, include: list[str]) -> None:
    """In strict mode, a 400 for an include the reference does not document (§3.6, §3.7)."""
    if current_app.extensions["sandbox"].settings.strict:
        check_include(spec, include)


def page_link(base: str, spec: Resource, size: int, number: int) -> str:
    """This request's list URL with its filters and sort, at another page."""
    params = [(k, v) for k, v in request.args.items(multi=True) if not k.startswith("page[")]
    params += [("page[size]", str(size)), ("page[number]", str(number))]
    return f"{base}/{spec.path}?{urlencode(params, safe='[],')}"


def show_view(spec: Resource) -> Callable[[str], Response]:
    """The GET handler of one resource, with `include`."""
    def view(rid: str) -> Response:
        include = parse_include(spec, request.args)
        refuse_undocumented(spec, include)
        with unit(write=False) as tx:
            return reply(document(tx, spec, find(tx, spec, rid), include))
    return view


def create_view(spec: Resource) -> Callable[[], Response]:
    """The POST handler: 201 with the resource as created, or as settled with `?sync=true` (S25)."""
    def view() -> Response:
        attrs, to_many = read_resource(spec)
        hooks.run("check", spec.type, attrs)
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


def update_view(spec: Resource) -> Callable[..., Response]:
    """The PATCH handler: 200 with the updated resource."""
    def view(rid: str | None = None) -> Response:
        request.get_data(cache=True)  # read off the socket now: waiting for a body must not hold the write lock
        hooks.run("check", spec.type, sent_attributes())  # before the write lock too: it may look up a name
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


def delete_view(spec: Resource) -> Callable[[str], Response]:
    """The DELETE handler: 204, or 422 when a rule keeps the resource."""
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
                raise ApiError(422, f"no {rel.target} with id {rid}",
                               pointer=f"/data/relationships/{name}/data/{index}")
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
