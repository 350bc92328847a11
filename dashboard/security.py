"""Security on by default: CSRF, session cookies, Content-Security-Policy and the other headers."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from dashboard.config import Config

csrf = CSRFProtect()
MAX_BODY_BYTES = 1024 * 1024


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie `Secure` whenever the request came in over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def content_security_policy(config: Config) -> str:
    """The CSP of every dashboard page: no inline script, frames only from Recrubo's app origin."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        f"frame-src 'self' {config.app_origin}",
        f"frame-ancestors {config.frame_ancestors}",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ])


def init_app(app: Flask, config: Config) -> None:
    """Turn on CSRF for every POST, harden the session cookie and add the headers to every response."""
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        # The token lives as long as the session: a recruiter's tab may stay open all day.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = HttpsAwareSessionInterface()
    csrf.init_app(app)
    policy = content_security_policy(config)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
