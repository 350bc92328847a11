"""Logs as one line per event on stdout, each tagged with the id of the request it belongs to."""

from __future__ import annotations

import copy
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, has_request_context, request, session

# An incoming X-Request-Id (from a PaaS router) is kept only when it looks like an id, never as free text.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# Characters that could end a log line or hide what follows: C0 and C1 controls, DEL, Unicode line separators.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
log = logging.getLogger("dashboard.requests")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the current request's id, or '-' outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp the record; never drops one."""
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def escape_controls(value: str) -> str:
    """`value` with every control character written as its escape (`\\n`), so it stays on one log line."""
    return CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), value)


def _escaped(value: object) -> object:
    if isinstance(value, str):
        return escape_controls(value)
    if isinstance(value, BaseException):  # its message may quote what came from outside
        return escape_controls(str(value))
    return value


def _escaping_factory(make_record: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if isinstance(record.args, tuple):
            record.args = tuple(_escaped(value) for value in record.args)
        elif isinstance(record.args, dict):  # one mapping for %(name)s formats (gunicorn's access log)
            escaped = copy.copy(record.args)  # of its own class (gunicorn's answers "-" for a missing key)
            for key, value in record.args.items():
                escaped[key] = _escaped(value)
            record.args = escaped
        return record

    make.escapes_controls = True  # type: ignore[attr-defined]
    return make


def configure_logging() -> None:
    """One line per event on stdout, unless the host (pytest) configured logging already. In every case each
    record's arguments (ids, paths, header values, e-mails: whatever came from outside) get their control
    characters escaped, so a newline in a webhook's id cannot forge a log line."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "escapes_controls", False):
        logging.setLogRecordFactory(_escaping_factory(factory))
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
