"""Embeds: host Recrubo's embeddable components, with tokens minted here and never the API key."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from dashboard.core.linked_user import linked_recrubo_user_id
from dashboard.embeds.components import COMPONENTS, default_settings
from dashboard.recrubo.client import RecruboError, client
from dashboard.recrubo.ids import is_id

log = logging.getLogger(__name__)
bp = Blueprint("embeds", __name__, url_prefix="/embeds")
# Refresh this long before a token expires, so a frame never holds a dead one.
REFRESH_MARGIN = timedelta(minutes=5)
# The reference: without expiresAt, mint per page and refresh after 50 minutes.
ASSUMED_LIFETIME = timedelta(minutes=50)


NOT_LINKED = ("Your account is not linked to a Recrubo user, so embedded components cannot sign you in. "
              "An administrator can link it under Settings → Accounts.")


@dataclass(frozen=True)
class EmbedToken:
    """A token for one Recrubo user and one origin, and when it stops working."""

    token: str
    expires_at: datetime

    def as_json(self) -> dict:
        """The token as the component's host script reads it."""
        return {"token": self.token, "expiresAt": self.expires_at.isoformat()}


class TokenCache:
    """Tokens per (Recrubo user, origin), reused until shortly before they expire."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], EmbedToken] = {}
        self._lock = threading.Lock()

    def get(self, user_id: str, origin: str, stale: str | None = None) -> EmbedToken:
        """A token valid for at least REFRESH_MARGIN, minted when needed or when the cached one is `stale`."""
        key = (user_id, origin)
        with self._lock:
            cached = self._tokens.get(key)
        # A component refused the cached token (expired early, or Recrubo forgot it): never hand it out again.
        if cached and cached.token != stale and cached.expires_at - REFRESH_MARGIN > datetime.now(timezone.utc):
            return cached
        fresh = mint_token(user_id, origin)
        with self._lock:
            self._tokens[key] = fresh
        return fresh


def mint_token(user_id: str, origin: str) -> EmbedToken:
    """Ask Recrubo for an embed token for this user, checked against this origin."""
    reply = client().post_json("embed/authenticate", {"userId": user_id, "originUrl": origin})
    # The sandbox answers {token, expiresAt}; the real API may wrap it as a JSON:API resource.
    data = reply.get("data") if isinstance(reply.get("data"), dict) else {}
    attributes = data.get("attributes") or {}
    token = reply.get("token") or attributes.get("token")
    if not token:
        raise RecruboError("Recrubo did not return an embed token.", kind="error")
    expires = reply.get("expiresAt") or attributes.get("expiresAt")
    try:
        expires_at = datetime.fromisoformat(expires) if expires else None
    except ValueError:
        expires_at = None
    return EmbedToken(token, expires_at or datetime.now(timezone.utc) + ASSUMED_LIFETIME)


def page_origin() -> str:
    """The origin of the page that holds the iframe: the token is bound to it."""
    return request.host_url.rstrip("/")


def component_origin() -> str:
    """Where the components are served from: postMessage goes there and only there."""
    config = current_app.config["RECRUBO"]
    return page_origin() if config.embedded_sandbox else config.app_origin


def component_url(slug: str) -> str:
    """The iframe `src` of a component (the API's redirecting URL)."""
    config = current_app.config["RECRUBO"]
    base = "/sandbox/public/v2" if config.embedded_sandbox else config.recrubo_api_url
    return f"{base}/embed/component/{slug}"


def token_for_current_user(stale: str | None = None) -> EmbedToken | None:
    """A token for the signed-in account's Recrubo user (not `stale`); None when the account is not linked."""
    recrubo_user_id = linked_recrubo_user_id()
    if not recrubo_user_id:
        return None
    return current_app.extensions["embed_tokens"].get(recrubo_user_id, page_origin(), stale)


@bp.get("")
def index() -> ResponseReturnValue:
    """The embeddable components this dashboard can host."""
    return render_template("embeds/index.html", components=COMPONENTS)


@bp.get("/<slug>")
def show(slug: str) -> ResponseReturnValue:
    """One component on a page of its own, with its token minted server-side."""
    component = COMPONENTS.get(slug) or abort(404)
    # An unlinked account still gets the page, with what to do instead of a component that cannot sign in.
    return render_template("embeds/show.html", component=component, slug=slug, token=token_for_current_user(),
                           settings=default_settings(component), src=component_url(slug),
                           origin=component_origin(), not_linked=NOT_LINKED)


# The one setting a page may preset when it opens a component in place (reference §9.5–9.7).
PRESETS = {"inbox": "conversationId", "bot-studio": "activeFlowId", "generate-flow": "vacancyId"}


@bp.get("/<slug>/frame")
def frame(slug: str) -> ResponseReturnValue:
    """The component alone, for a page that opens it in place (a thread's Inbox, a flow's BotStudio)."""
    component = COMPONENTS.get(slug) or abort(404)
    settings = default_settings(component)
    preset = PRESETS.get(slug)
    value = request.args.get(preset or "", "")
    thread = request.args.get("thread", "")
    if slug == "inbox" and is_id(thread):
        # The Inbox opens conversations; a thread page knows its thread, the API knows the conversation.
        found = client().list("conversations", filters={"messageThreadId": thread}, size=1).items
        value = found[0].id if found else ""
    if preset and is_id(value):
        settings[preset] = value
    return render_template("embeds/_frame.html", component=component, slug=slug, token=token_for_current_user(),
                           settings=settings, src=component_url(slug), origin=component_origin(),
                           not_linked=NOT_LINKED)


@bp.post("/<slug>/token")
def token(slug: str) -> ResponseReturnValue:
    """A fresh embed token for the component's frame, before the current one expires."""
    if slug not in COMPONENTS:
        abort(404)
    body = request.get_json(silent=True)
    stale = body.get("stale") if isinstance(body, dict) and isinstance(body.get("stale"), str) else None
    try:
        fresh = token_for_current_user(stale)
    except RecruboError as error:
        return jsonify(errors=[{"status": "502", "title": "No embed token", "detail": error.message}]), 502
    if fresh is None:
        return jsonify(errors=[{"status": "409", "title": "Account not linked", "detail": NOT_LINKED}]), 409
    return jsonify(fresh.as_json())


@bp.record_once
def _install_cache(state) -> None:
    state.app.extensions["embed_tokens"] = TokenCache()
