"""Readable error pages that are also valid htmx swap content (htmx 4 swaps 4xx and 5xx)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from dashboard.core import htmx
from dashboard.recrubo import behind
from dashboard.recrubo.client import RecruboError

log = logging.getLogger(__name__)
RECRUBO_STATUS = {"unreachable": 503, "rejected": 502, "not_found": 404, "invalid": 422, "bad_id": 400,
                  "error": 502}
TITLES = {"unreachable": "Recrubo is unreachable", "bad_id": "Not a Recrubo id"}


def render_error(title: str, message: str, status: int) -> tuple[str, int]:
    """The error as a whole page, or as the fragment alone for a partial htmx request."""
    html = htmx.render("errors/page.html", "_error.html", title=title, message=message, status=status)
    return html, status


def init_app(app: Flask) -> None:
    """Register the handlers that turn every failure into a readable page."""

    @app.errorhandler(RecruboError)
    def recrubo_error(error: RecruboError):
        if error.kind == "unreachable":
            behind.note_unreachable()  # pages reading the read model say since when it may be behind
        title = TITLES.get(error.kind, "Recrubo said no")
        return render_error(title, error.message, RECRUBO_STATUS.get(error.kind, 502))

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        # Locked (SQLite busy past its timeout) or unreachable (Postgres down): nothing was stored,
        # and a webhook sender retries a 503, so nothing acknowledged is lost.
        log.error("database unavailable: %s", str(error.orig or error).splitlines()[0])
        message = "The dashboard's database is busy or unavailable. Nothing was lost; please try again in a moment."
        if request.path.startswith("/webhooks/"):
            body = {"errors": [{"status": "503", "code": "database_unavailable", "title": "Try again later",
                                "detail": message}]}
            return jsonify(body), 503, {"Content-Type": "application/vnd.api+json", "Retry-After": "5"}
        return render_error("The database is unavailable", message, 503)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        log.warning("csrf refused: %s", error.description)
        return render_error("This form has expired",
                            "The page was open too long or the form came from another site. "
                            "Reload the page and try again.", 400)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {403: "Only an administrator can do this.",
                    404: "There is nothing at this address.",
                    405: "This address does not accept that kind of request.",
                    409: "That would leave the dashboard without anyone to manage it.",
                    413: "What was sent is too large (the limit is 1 MiB).",
                    422: "That value is not valid here.",
                    429: "Too many attempts in a short time. Please wait a few minutes and try again."}
        return render_error(error.name, messages.get(error.code or 500, error.description or ""),
                            error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unhandled error")
        return render_error("Something went wrong",
                            "The dashboard hit an unexpected problem. It has been logged; "
                            "please try again.", 500)
