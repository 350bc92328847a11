"""Authentication and error documents for every response of the sandbox app (S2, S9)."""

from __future__ import annotations

import hmac
import logging

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from sandbox.documents import reply
from sandbox.jsonapi import ERROR_CODES, ApiError

log = logging.getLogger(__name__)
OPEN_PATHS = ("/public/v2/embed/component/",)  # the embeddable pages take no key (S2)


def authenticate() -> None:
    """Refuse an API request without the organization key as a Bearer token (401)."""
    if not request.path.startswith("/public/v2") or request.path.startswith(OPEN_PATHS):
        return
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    expected = current_app.extensions["sandbox"].settings.api_key
    if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), expected.encode()):
        raise ApiError(401, "access denied")


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
