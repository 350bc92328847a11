"""The Recrubo sandbox: a Recrubo-compatible JSON:API server with its async engine and webhooks."""

from __future__ import annotations

import logging
import threading
from typing import Any, Mapping

from flask import Flask, request

from sandbox import (analysis, api, embed, embeddables, errors, generation, graph, management, messaging,  # noqa: F401
                     people, runs, seed, subscriptions)  # the modules register their rules and routes
from sandbox.engine import Engine
from sandbox.settings import Settings, load_settings
from sandbox.store import initialize, transaction, wipe

__all__ = ["create_app", "start_engine", "stop_engine", "reset_database"]
log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


class SandboxState:
    """What the sandbox app keeps in `app.extensions['sandbox']`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: Engine | None = None
        self.first_request_seen = False
        self.lock = threading.Lock()
        self.script_root = ""  # the mount point seen by the latest request, for links built by the engine


def prepare_database(settings: Settings) -> None:
    """Create the database, seed an empty one, and apply a changed configured API key, webhook URL or secret."""
    initialize(settings.database)
    with transaction(settings.database, context=SandboxState(settings)) as tx:
        if not tx.all("organizations"):
            seed.seed(tx, settings)
        org = tx.all("organizations")[0]  # the sandbox's own organization: the first one ever made
        # Records from before organizations were told apart belong to the first one.
        tx.conn.execute("UPDATE resources SET data = json_set(data, '$._org', ?) "
                        "WHERE json_extract(data, '$._org') IS NULL", (org["id"],))
        org = tx.get("organizations", org["id"])
        updates = {}
        if tx.meta("applied_api_key") != settings.api_key:
            updates["_token"] = settings.api_key
            tx.set_meta("applied_api_key", settings.api_key)
        # The configured values win when they changed since last applied; API edits survive restarts otherwise.
        if tx.meta("applied_webhook_secret") != settings.webhook_secret:
            updates["webhookSecret"] = settings.webhook_secret
            tx.set_meta("applied_webhook_secret", settings.webhook_secret)
        if settings.webhook_url and tx.meta("applied_webhook_url") != settings.webhook_url:
            updates["webhookUrl"] = settings.webhook_url
            tx.set_meta("applied_webhook_url", settings.webhook_url)
        if updates:
            tx.replace("organizations", {**org, **updates})


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The sandbox's Flask app; its engine starts with the first request or `start_engine`, never here."""
    settings = load_settings(config)
    prepare_database(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    state = SandboxState(settings)
    app.extensions["sandbox"] = state

    @app.before_request
    def start_with_first_request() -> None:
        """Remember the mount point for the engine's links; start the engine on the first request, revive it after."""
        state.script_root = request.script_root
        if not state.first_request_seen:
            state.first_request_seen = True
            start_engine(app)
        elif state.engine is not None:
            state.engine.revive()

    errors.register(app)
    app.register_blueprint(api.bp, url_prefix="/public/v2")
    app.register_blueprint(embed.bp, url_prefix="/public/v2/embed")
    app.register_blueprint(management.bp, url_prefix="/public/v2/management")
    app.register_blueprint(embeddables.bp)
    return app


def start_engine(app: Flask) -> None:
    """Start the app's engine threads, once."""
    state: SandboxState = app.extensions["sandbox"]
    with state.lock:
        if state.engine is None:
            state.engine = Engine(state)
            state.engine.start()


def stop_engine(app: Flask) -> None:
    """Stop the app's engine threads and wait for them."""
    state: SandboxState = app.extensions["sandbox"]
    with state.lock:
        engine, state.engine = state.engine, None
    if engine is not None:
        engine.stop()


def reset_database(config: Mapping[str, Any] | None) -> None:
    """Erase the sandbox's data and seed it again per SANDBOX_SEED."""
    settings = load_settings(config)
    initialize(settings.database)
    wipe(settings.database)
    prepare_database(settings)
