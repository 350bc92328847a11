"""The guard that keeps every page but the public ones behind a session, and the admin-only check."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from functools import wraps

import htmx_flask
from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from dashboard.db import users

log = logging.getLogger(__name__)
# Endpoints anyone may reach; everything else needs a signed-in session.
# The webhook receiver checks its own shared secret instead.
PUBLIC_ENDPOINTS = {"auth.login", "health.healthz", "static", "webhooks.receive"}
# The account's session version when the session began: a session whose account has moved on since (sign-out,
# a new password or role) is over, like one whose account was deleted.
VERSION_KEY = "session_version"


def proxy_peer_address() -> str:
    """The address that connected to us, before any ProxyFix rewriting of X-Forwarded-For."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR", "")


def single_sign_on_email() -> str | None:
    """The e-mail a trusted intranet proxy vouches for, or None when SSO is off or the peer is not trusted."""
    config = current_app.config["RECRUBO"]
    if not config.sso_header or config.sso_header not in request.headers:
        return None
    try:
        peer = ipaddress.ip_address(proxy_peer_address())
    except ValueError:
        return None
    if not any(peer in network for network in config.sso_trusted_proxies):
        log.warning("ignored %s from untrusted peer %s", config.sso_header, peer)
        return None
    email = users.normalize_email(request.headers[config.sso_header])
    return email if "@" in email else None


def start_session(user: users.User) -> None:
    """A fresh session for `user`: nothing planted before sign-in survives (no session fixation)."""
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session[VERSION_KEY] = user.session_version


def require_session() -> ResponseReturnValue | None:
    """Load the signed-in user into `g.user`, or send the visitor to the sign-in page."""
    g.user = None
    sso_email = single_sign_on_email()
    if sso_email:
        # The proxy is authoritative: its user is signed in, whoever the cookie said before.
        g.user = users.find_or_create_sso_user(sso_email)
        if g.user is not None:
            if session.get("user_id") != g.user.id or session.get(VERSION_KEY) != g.user.session_version:
                start_session(g.user)
            return None
    user_id = session.get("user_id")
    if user_id is not None:
        g.user = users.get_user(user_id)
        if g.user is None or session.get(VERSION_KEY) != g.user.session_version:
            # The account was deleted, or its sessions were ended (sign-out, a new password or role) since: a
            # cookie copied before then opens nothing.
            log.info("ended session refused for user=%s", user_id)
            g.user = None
            session.clear()
    if g.user is not None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if request.url_rule is not None and request.url_rule.websocket:
        return "", 401  # a websocket handshake cannot follow a redirect to the sign-in page
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.htmx:
        # A redirect would be followed by fetch and the sign-in page swapped into a fragment.
        return htmx_flask.make_response("", 401, redirect=target)
    return redirect(target)


def admin_required(view: Callable) -> Callable:
    """Let only admins through; recruiters get a readable 403."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not (g.user and g.user.is_admin):
            abort(403)
        return view(*args, **kwargs)

    return guarded


def init_app(app: Flask) -> None:
    """Guard every request: the signed-in user in `g.user`, or the sign-in page."""
    app.before_request(require_session)
