"""`GET /healthz`: whether the database, the Recrubo API and the live backend answer."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify

from dashboard import database
from dashboard.recrubo import RecruboError

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def _check(name: str, probe) -> str:
    try:
        return probe()
    except RecruboError as error:
        return f"failing: {error.message}"
    except Exception as error:  # a health check reports every failure rather than raising it
        log.warning("health check %s failed: %s", name, error)
        return f"failing: {type(error).__name__}"


def _recrubo_api() -> str:
    current_app.extensions["recrubo"].ping()
    return "ok"


def _live_backend() -> str:
    redis_url = current_app.config["RECRUBO"].redis_url
    if not redis_url:
        return "memory"
    import redis

    redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
    return "redis"


@bp.get("/healthz")
def healthz():
    checks = {"database": _check("database", database.check),
              "recrubo_api": _check("recrubo_api", _recrubo_api),
              "live_backend": _check("live_backend", _live_backend)}
    healthy = not any(value.startswith("failing") for value in checks.values())
    return jsonify(status="ok" if healthy else "failing", **checks), 200 if healthy else 503
