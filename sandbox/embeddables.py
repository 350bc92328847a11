"""The sandbox's embeddable components (reference §9): the redirecting URLs, the pages and their sessions.

A component page waits for `{action: 'initialize', token, settings}` from its parent, then asks
`POST /embeddables/api/session` whether the token is valid for the parent's origin. The frame is
third-party to the host page, where cookies are partitioned or blocked, so the page keeps the token in
memory and sends it as `X-Recrubo-Embed-Token` to the component's own JSON endpoints (this module and
`embeddable_inbox`, `embeddable_flows`, `embeddable_schedules`, which add them to this module's blueprint;
`components` gathers them), which check it on every call.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, jsonify, redirect, render_template, request

from sandbox import changes, hooks
from sandbox.api import unit
from sandbox.embed import stored_token
from sandbox.jsonapi import ApiError
from sandbox.store import Tx, iso

bp = Blueprint("sandbox_embeddables", __name__, template_folder="templates",
               static_folder="static/embeddables", static_url_path="/embeddables/static")
TOKEN_HEADER = "X-Recrubo-Embed-Token"
COMPONENTS = {"inbox": "Inbox", "bot-studio": "BotStudio", "generate-flow": "GenerateFlow",
              "whatsapp-connect": "WhatsApp connect", "schedule-form": "Schedule form",
              "schedule-table": "Schedule table"}
# Component pages run only their own static scripts, so they may be framed by any host page: the token,
# bound to one origin, decides who may use them.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
               "base-uri 'none'; object-src 'none'; form-action 'none'")


@dataclass
class EmbedRefused(Exception):
    """A refused component request, answered as `{error: {code, message}}` (codes of S37)."""

    status: int
    code: str
    message: str


@bp.errorhandler(EmbedRefused)
def refused(error: EmbedRefused) -> tuple[Response, int]:
    """A refusal as `{error: {code, message}}`, the shape component scripts read."""
    return jsonify(error={"code": error.code, "message": error.message}), error.status


@bp.get("/public/v2/embed/component/<name>")
def component(name: str) -> Response:
    """The documented iframe URL: a redirect to the component's page on the sandbox's own origin (S35)."""
    if name not in COMPONENTS:
        raise ApiError(404, f"there is no embeddable component {name!r}")
    return redirect(f"{request.script_root}/embeddables/{name}", 302)


@bp.get("/embeddables/<name>")
def page(name: str) -> Response:
    """A component's page: an empty shell its scripts fill once the host initializes it."""
    if name not in COMPONENTS:
        raise ApiError(404, f"there is no embeddable component {name!r}")
    html = render_template("embeddables/page.html", name=name, title=COMPONENTS[name],
                           api=f"{request.script_root}/embeddables/api")
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def checked_user(token: object, origin: str | None = None) -> str:
    """The user id of a valid token (for `origin`, when given); EmbedRefused with the S37 code otherwise."""
    stored = stored_token(token) if isinstance(token, str) and token else None
    if stored is None:
        raise EmbedRefused(401, "invalid_token", "This sign-in token is not valid.")
    user_id, token_origin, expires_at = stored
    if expires_at <= iso():
        raise EmbedRefused(401, "token_expired", "This sign-in token has expired; the host page must send a new one.")
    if origin is not None and origin != token_origin:
        raise EmbedRefused(403, "origin_mismatch",
                           f"This token was issued for {token_origin}, but the page at {origin} sent it.")
    return user_id


def token_owner(tx: Tx, user_id: str) -> dict:
    """The token's user; from then on `tx` sees only that user's organization, as the API does for a key (S2)."""
    tx.org = None
    user = tx.get("users", user_id)
    if user is None:
        raise EmbedRefused(401, "invalid_token", "The user of this sign-in token no longer exists.")
    tx.org = user["_org"]
    return user


def current_user(tx: Tx) -> dict:
    """The user the request's token acts as (checked on every call, so an expired token stops at once)."""
    return token_owner(tx, checked_user(request.headers.get(TOKEN_HEADER)))


def existing(tx: Tx, rtype: str, record_id: str, noun: str) -> dict:
    """A record by type and id, or 404 in the component error shape naming it as `noun`."""
    record = tx.get(rtype, record_id)
    if record is None:
        raise EmbedRefused(404, "not_found", f"This {noun} does not exist (any more).")
    return record


def json_body() -> dict:
    """The request's JSON object, or 400 in the component error shape."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise EmbedRefused(400, "bad_request", "Send a JSON object.")
    return body


def api_write(tx: Tx, rtype: str, old: dict | None, attrs: dict) -> dict:
    """Create (old None) or update a resource under the same rules and webhooks as the public API."""
    hooks.run("prepare", rtype, tx, old, attrs)
    record = changes.create(tx, rtype, attrs) if old is None else changes.update(tx, rtype, old, attrs)
    hooks.run("after", rtype, tx, old, record)
    return record


@bp.post("/embeddables/api/session")
def session() -> Response:
    """Check an `initialize`: the token must be valid and issued for the origin of the page that sent it."""
    body = json_body()
    origin = body.get("origin")
    user_id = checked_user(body.get("token"), origin if isinstance(origin, str) else "")
    with unit(write=False) as tx:
        user = token_owner(tx, user_id)
        organization = tx.get("organizations", user["_org"])
    return jsonify(user={"id": user["id"], "fullName": user.get("fullName"), "email": user.get("email"),
                         "timeZone": user.get("timeZone") or "Europe/Amsterdam"},
                   organization={"name": organization.get("name")}, expiresAt=stored_token(body["token"])[2])
