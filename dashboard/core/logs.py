"""Logs as one line per event on stdout, each tagged with the id of the request it belongs to."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, request, session

# An incoming X-Request-Id (from a PaaS router) is kept only when it looks like an id, never as free text.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
log = logging.getLogger("dashboard.requests")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the current request's id, or '-' outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp the record; never drops one."""
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure_logging() -> None:
    """One line per event on stdout, unless the host (pytest) configured logging already."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.addFilter(RequestIdFilter())
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    """Give every request an id (kept from the router when sane), echo it, and log one line per request."""

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "-")
        elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        log.info("%s %s %s %.1fms user=%s", request.method, request.path, response.status_code, elapsed,
                 session.get("user_id", "-"))
        return response
