"""How often anyone may guess a password: Flask-Limiter on `POST /login`, per account and per address.

Only refused sign-ins count, so an office behind one address signs in all morning; the counters live in Redis
when `REDIS_URL` is set, so every worker and every instance counts the same guesses. Single sign-on never
posts the form and is never limited."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter

from dashboard.config import Config
from dashboard.db import users

PER_ACCOUNT = "10 per 15 minutes"
PER_ADDRESS = "30 per 15 minutes"


def _refused(response: Response) -> bool:
    return response.status_code == 401  # a wrong e-mail or password, not a form that was incomplete


def _account() -> str:
    return "account:" + users.normalize_email(request.form.get("email", ""))[:320]


def _address() -> str:
    # After ProxyFix (TRUSTED_PROXY_COUNT), the client's address; otherwise the peer's.
    return "address:" + (request.remote_addr or "unknown")


def _storage(redis_url: str | None) -> str:
    """Flask-Limiter's storage: the shared Redis when there is one (its `limits` names a socket redis+unix)."""
    if not redis_url:
        return "memory://"
    return "redis+" + redis_url if redis_url.startswith("unix://") else redis_url


def limit_sign_in(app: Flask, config: Config, endpoint: str) -> Limiter:
    """Wrap the sign-in view `endpoint` in both limits; a breach is a readable 429 with Retry-After."""
    limiter = Limiter(_address, app=app, storage_uri=_storage(config.redis_url), headers_enabled=True,
                      strategy="moving-window", key_prefix="recrubo-dashboard-login")
    view = app.view_functions[endpoint]
    for limit, key in ((PER_ACCOUNT, _account), (PER_ADDRESS, _address)):
        view = limiter.limit(limit, key_func=key, methods=["POST"], deduct_when=_refused,
                             error_message="Too many sign-in attempts")(view)
    app.view_functions[endpoint] = view
    return limiter
