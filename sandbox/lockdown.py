"""The embedded sandbox's front door, and the security headers of every sandbox response.

Embedded (SANDBOX_MOUNT set), the API under /public/v2 answers only the dashboard that mounts it: a request whose
direct peer (the raw REMOTE_ADDR, before any ProxyFix) is loopback and that no proxy forwarded. Everyone else gets
a 403; the partner's management routes are off (404). The embeddables' browser routes (the component redirects,
pages, static files and their token-checked JSON) stay open: embed tokens protect them.
"""

from __future__ import annotations

import ipaddress

from flask import Response, current_app, request

from sandbox.jsonapi import ApiError

API = "/public/v2"
OPEN_PATHS = ("/public/v2/embed/component/",)  # the iframes' documented URLs (S35): browsers load them
MANAGEMENT = "/public/v2/management"
# A local reverse proxy adds one of these: then the loopback peer is the proxy, not the dashboard.
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
NOT_THE_DASHBOARD = ("the embedded sandbox's API answers only the dashboard it is mounted in (a direct loopback "
                     "connection with its key); use the dashboard, or run the sandbox standalone (python -m sandbox)")
# Component pages set their own policy (embeddables.PAGE_POLICY: framable by any host page, the token decides).
# A redirect may be an iframe's first hop, so it may be framed; every other response may not.
FRAMABLE_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'"
LOCKED_POLICY = FRAMABLE_POLICY + "; frame-ancestors 'none'"
PERMISSIONS = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
               "payment=(), usb=()")


def peer_address() -> str:
    """The address that connected, as the server saw it (the raw WSGI value, before any ProxyFix rewrote it)."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or ""


def from_the_dashboard() -> bool:
    """Whether this request came straight from this machine (loopback peer, no proxy's forwarding header)."""
    try:
        peer = ipaddress.ip_address(peer_address().split("%")[0])
    except ValueError:
        return False
    if peer.version == 6 and peer.ipv4_mapped:  # a dual-stack listener sees 127.0.0.1 as ::ffff:127.0.0.1
        peer = peer.ipv4_mapped
    return peer.is_loopback and not any(name in request.headers for name in PROXY_HEADERS)


def guard() -> None:
    """Before every request of an embedded sandbox: management off (404); the API only for its dashboard (403)."""
    if not current_app.extensions["sandbox"].settings.embedded or not request.path.startswith(API):
        return
    if request.path == MANAGEMENT or request.path.startswith(MANAGEMENT + "/"):
        raise ApiError(404, "there is no such endpoint")
    if not request.path.startswith(OPEN_PATHS) and not from_the_dashboard():
        raise ApiError(403, NOT_THE_DASHBOARD)


def secure_headers(response: Response) -> Response:
    """After every response (JSON, redirects, pages, scripts, errors): nosniff, a referrer policy, no powerful
    features, and a content policy unless the view set its own."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS)
    if "Content-Security-Policy" not in response.headers:
        redirect = 300 <= response.status_code < 400
        response.headers["Content-Security-Policy"] = FRAMABLE_POLICY if redirect else LOCKED_POLICY
    return response
