"""Authentication and error documents for every response of the sandbox app (S2, S9)."""

from __future__ import annotations

import hmac
import logging

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from sandbox.documents import reply
from sandbox.jsonapi import ERROR_CODES, ApiError
from sandbox.lockdown import OPEN_PATHS
from sandbox.store import transaction

log = logging.getLogger(__name__)
MANAGEMENT = "/public/v2/management/"


def authenticate() -> None:
    """Let in the partner key on management routes and an organization's key elsewhere; 401 otherwise (S2)."""
    if not request.path.startswith("/public/v2") or request.path.startswith(OPEN_PATHS):
        return
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "access denied")
    key = key.strip().encode()
    state = current_app.extensions["sandbox"]
    if request.path.startswith(MANAGEMENT):
        if not hmac.compare_digest(key, state.settings.partner_key.encode()):
            raise ApiError(401, "access denied")
        return
    with transaction(state.settings.database, write=False) as tx:
        organizations = tx.all("organizations")
    # Compare with every key, so the time taken does not tell which organization came close.
    matches = [org["id"] for org in organizations if hmac.compare_digest(key, (org.get("_token") or "").encode())]
    if not matches:
        raise ApiError(401, "access denied")
    g.sandbox_org = matches[0]


def api_error(error: ApiError) -> Response:
    """A refusal as a JSON:API errors document."""
    return reply(error.document(), error.status)


def http_error(error: HTTPException) -> Response:
    """Werkzeug's refusals (no route, wrong method, body too large) as JSON:API errors."""
    status = error.code if error.code in ERROR_CODES else 500
    detail = {404: "there is no such endpoint", 413: "the body is larger than 1 MiB",
              405: f"{request.method} is not allowed on this endpoint"}.get(status, error.description)
    response = reply(ApiError(status, detail).document(), status)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def unexpected(error: Exception) -> Response:
    """A bug: logged with its trace, answered with a bare 500 document."""
    log.exception("sandbox request %s %s failed", request.method, request.path)
    return reply(ApiError(500, "the sandbox failed on this request").document(), 500)


def register(app: Flask) -> None:
    """Install authentication and the error handlers on the sandbox app."""
    app.before_request(authenticate)
    app.register_error_handler(ApiError, api_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)
