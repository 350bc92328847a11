"""The partner's management routes (§5.1, S10): organizations with their API keys."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, request

from sandbox import changes, hooks
from sandbox.api import unit
from sandbox.bodies import read_resource
from sandbox.documents import reply
from sandbox.jsonapi import ApiError, apply_list_query, invalid, parse_list_query, resource_object
from sandbox.people import prepare_organization
from sandbox.schema import RESOURCES
from sandbox.seed import create_organization
from sandbox.store import Tx

bp = Blueprint("sandbox_management", __name__)
SPEC = RESOURCES["organizations"]


def new_token() -> str:
    """A fresh organization key, shaped like the documented sample."""
    return secrets.token_urlsafe(16)


def with_token(tx: Tx, org: dict) -> dict:
    """An organization as the management routes show it: with its `token`."""
    shown = resource_object(SPEC, org, tx.base)
    shown["attributes"]["token"] = org.get("_token")
    return shown


def own_organization(tx: Tx) -> dict:
    """The sandbox's own organization (the first made), whose key is SANDBOX_API_KEY."""
    return tx.all("organizations")[0]


def find_organization(tx: Tx, rid: str) -> dict:
    """An organization or 404."""
    org = tx.get("organizations", rid)
    if org is None:
        raise ApiError(404, f"no organizations with id {rid}")
    return org


@bp.get("/organizations")
@bp.get("/organizations/")
def list_organizations() -> Response:
    """Every organization, with keys."""
    query = parse_list_query(SPEC, request.args)
    with unit(write=False) as tx:
        records = tx.all("organizations")
        page, meta = apply_list_query(SPEC, records, query)
        meta["totalUnfiltered"] = len(records)
        return reply({"data": [with_token(tx, org) for org in page], "meta": meta})


@bp.post("/organizations")
@bp.post("/organizations/")
def create_organization_view() -> Response:
    """A new organization with a generated key and its own, empty data."""
    attrs, _ = read_resource(SPEC)
    hooks.run("check", "organizations", attrs)
    if not (attrs.get("name") or "").strip():
        raise invalid("name", "name is required")
    if "webhookUrl" in attrs or "webhookSecret" in attrs:
        prepare_organization(None, None, attrs)
    with unit() as tx:
        org = create_organization(tx, attrs["name"].strip(), attrs.get("webhookUrl"), attrs.get("webhookSecret"),
                                  new_token())
        return reply({"data": with_token(tx, org), "meta": {}}, 201)


@bp.get("/organizations/<rid>")
def show_organization(rid: str) -> Response:
    """One organization, with its key."""
    with unit(write=False) as tx:
        return reply({"data": with_token(tx, find_organization(tx, rid)), "meta": {}})


@bp.patch("/organizations/<rid>")
def update_organization(rid: str) -> Response:
    """Rename an organization or set its webhook URL and secret (together, S10)."""
    attrs, _ = read_resource(SPEC, rid)  # read before the write lock: waiting for a body must not hold it
    hooks.run("check", "organizations", attrs)
    with unit() as tx:
        org = find_organization(tx, rid)
        prepare_organization(tx, org, attrs)
        tx.org = org["id"]
        return reply({"data": with_token(tx, changes.update(tx, "organizations", org, attrs)), "meta": {}})


@bp.delete("/organizations/<rid>")
def delete_organization(rid: str) -> Response:
    """Delete an organization and all its data; the sandbox's own organization stays."""
    with unit() as tx:
        org = find_organization(tx, rid)
        if org["id"] == own_organization(tx)["id"]:
            raise ApiError(422, "the sandbox's own organization cannot be deleted")
        tx.conn.execute("DELETE FROM embed_tokens WHERE user_id IN (SELECT id FROM resources WHERE type = 'users' "
                        "AND json_extract(data, '$._org') = ?)", (org["id"],))
        tx.conn.execute("DELETE FROM resources WHERE json_extract(data, '$._org') = ?", (org["id"],))
    return Response(status=204)


@bp.post("/refresh-token/<rid>")
def refresh_token(rid: str) -> Response:
    """Give an organization a new key; the old one stops working at once (S10)."""
    with unit() as tx:
        org = find_organization(tx, rid)
        tx.org = org["id"]
        org = changes.update(tx, "organizations", org, {"_token": new_token()})
        return reply({"data": with_token(tx, org), "meta": {}})
