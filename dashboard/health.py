"""`GET /healthz`: whether the database, the Recrubo API and the live backend answer."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from dashboard.db import base, sync_state
from dashboard.recrubo.client import RecruboError

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
    # The hub's own view: "memory", "redis", or "degraded: ..." while pushes stay in this worker.
    return current_app.extensions["live"].state()


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 with the state of the database, the Recrubo API and the live backend; 503 when one fails."""
    checks = {"database": _check("database", base.check),
              "recrubo_api": _check("recrubo_api", _recrubo_api),
              "live_backend": _check("live_backend", _live_backend)}
    healthy = not any(value.startswith("failing") for value in checks.values())
    # Degraded still serves every page (pushes stay in one worker): answer 200 so no platform restarts it.
    degraded = any(value.startswith("degraded") for value in checks.values())
    status = "failing" if not healthy else "degraded" if degraded else "ok"
    # This worker's open live sockets: with several workers each answers for its own.
    sockets = len(current_app.extensions["live"])
    # The read model being behind is not a dependency failure: reported, never a 503.
    read_model = _check("read_model", lambda: sync_state.state(current_app.config["RECRUBO"].sync_seconds))
    return jsonify(status=status, sockets=sockets, read_model=read_model, **checks), 200 if healthy else 503
