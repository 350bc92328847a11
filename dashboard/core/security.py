"""Security on by default: CSRF, session cookies, Content-Security-Policy, framing and other headers."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from dashboard.config import Config, parse_frame_ancestors
from dashboard.db import stored_settings

csrf = CSRFProtect()
MAX_BODY_BYTES = 1024 * 1024
FRAME_ANCESTORS_KEY = "frame_ancestors"


def frame_ancestors() -> str:
    """The CSP sources allowed to frame the dashboard: an admin's stored list, else FRAME_ANCESTORS."""
    return stored_settings.get(FRAME_ANCESTORS_KEY, current_app.config["RECRUBO"].frame_ancestors)


def foreign_framing_allowed() -> bool:
    """True when some origin other than our own may frame the dashboard (an intranet portal)."""
    return any(source not in ("'self'", "'none'") for source in frame_ancestors().split())


def set_frame_ancestors(value: str) -> str:
    """Validate and store a new list of allowed framing origins (raises ConfigError); return it."""
    value = parse_frame_ancestors(value)
    stored_settings.put(FRAME_ANCESTORS_KEY, value)
    return value


class FramingAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie is `Secure` over https, and usable in a third-party iframe when framing is allowed."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, over https, or whenever a foreign portal may frame us."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure or foreign_framing_allowed())

    def get_cookie_samesite(self, app: Flask) -> str:
        """None when a portal on another site may frame us (else the browser would not send it), else Lax."""
        return "None" if foreign_framing_allowed() else app.config["SESSION_COOKIE_SAMESITE"]

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """Partitioned (CHIPS) when framed by a foreign portal: it works where third-party cookies are blocked."""
        return foreign_framing_allowed()


def frame_sources(config: Config) -> str:
    """The origins we frame: the API's redirecting component URL and the app it redirects to."""
    if config.embedded_sandbox:
        return "'self'"  # the sandbox's components are served from our own origin
    api = urlsplit(config.recrubo_api_url)
    return " ".join(dict.fromkeys([f"{api.scheme}://{api.netloc}", config.app_origin]))


def content_security_policy(config: Config, ancestors: str) -> str:
    """The CSP of every dashboard page: no inline script, frames only from Recrubo's origins."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        f"frame-src {frame_sources(config)}",
        f"frame-ancestors {ancestors}",
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
    app.session_interface = FramingAwareSessionInterface()
    csrf.init_app(app)
    app.context_processor(lambda: {"frame_ancestors": frame_ancestors()})

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        # frame-ancestors alone governs framing: an X-Frame-Options header would contradict the allowlist.
        headers.setdefault("Content-Security-Policy", content_security_policy(config, frame_ancestors()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
