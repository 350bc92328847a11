"""Embed tokens (S34): minted server-side for one user and one origin, checked by the embeddable pages."""

from __future__ import annotations

import json
import secrets
import time
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app

from sandbox.api import unit
from sandbox.bodies import read_body
from sandbox.jsonapi import ApiError
from sandbox.people import existing_user
from sandbox.store import iso, transaction

bp = Blueprint("sandbox_embed", __name__)


def valid_origin(value: object) -> bool:
    """Whether a value is exactly `scheme://host[:port]`."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.path and not parts.query
            and not parts.fragment and "@" not in parts.netloc and value == f"{parts.scheme}://{parts.netloc}")


@bp.post("/authenticate")
def authenticate() -> Response:
    """Mint a token for an existing user and the origin of the page that frames the embeddable."""
    body = read_body()
    fields = body.get("data", {}).get("attributes", body) if isinstance(body.get("data"), dict) else body
    if not isinstance(fields, dict):
        raise ApiError(400, "the body needs userId and originUrl", pointer="")
    with unit() as tx:
        user = existing_user(tx, fields.get("userId"))
        if not valid_origin(fields.get("originUrl")):
            raise ApiError(422, "originUrl must be an origin such as https://intranet.example.com",
                           pointer="/originUrl")
        token = secrets.token_urlsafe(32)
        # One hour of real time unless SANDBOX_EMBED_TOKEN_SECONDS says otherwise; never time-scaled (S26).
        expires = iso(time.time() + current_app.extensions["sandbox"].settings.embed_token_seconds)
        tx.conn.execute("INSERT INTO embed_tokens (token, user_id, origin, expires_at, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (token, user["id"], fields["originUrl"], expires, iso()))
    return Response(json.dumps({"token": token, "expiresAt": expires}), status=200, mimetype="application/json")


def token_user(token: str, origin: str | None = None) -> str | None:
    """The user id of a valid, unexpired embed token (for that origin, when given), else None."""
    state = current_app.extensions["sandbox"]
    with transaction(state.settings.database, write=False) as tx:
        row = tx.conn.execute("SELECT user_id, origin, expires_at FROM embed_tokens WHERE token = ?",
                              (token,)).fetchone()
    if row is None or row[2] <= iso() or (origin is not None and origin != row[1]):
        return None
    return row[0]


def stored_token(token: str) -> tuple[str, str, str] | None:
    """The (user id, origin, expiresAt) stored for an embed token, expired or not; None when unknown."""
    state = current_app.extensions["sandbox"]
    with transaction(state.settings.database, write=False) as tx:
        row = tx.conn.execute("SELECT user_id, origin, expires_at FROM embed_tokens WHERE token = ?",
                              (token,)).fetchone()
    return tuple(row) if row else None
