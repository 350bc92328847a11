"""The Recrubo sandbox: a Recrubo-compatible JSON:API server with its async engine and webhooks.

Importing the package does nothing: `create_app` imports the routes (flaskr's shape), and the engine starts
with the app's first request or `start_engine`, or runs in a process of its own (`sandbox.engine_process`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app", "start_engine", "stop_engine", "reset_database"]
MAX_BODY = 1024 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The sandbox's Flask app; its engine starts with the first request or `start_engine`, never here, and
    never in this process with SANDBOX_ENGINE=external (then `sandbox.engine_process` runs it)."""
    from flask import Flask

    from sandbox import api, components, embed, errors, lockdown, management
    from sandbox.settings import load_settings
    from sandbox.state import SandboxState, prepare_database

    settings = load_settings(config)
    prepare_database(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    state = SandboxState(settings)
    app.extensions["sandbox"] = state

    if settings.engine == "threads":
        @app.before_request
        def start_with_first_request() -> None:
            """Start the engine's threads in this process with the first request."""
            if not state.first_request_seen:
                state.first_request_seen = True
                start_engine(app)

    app.before_request(lockdown.guard)  # embedded: the API only for its dashboard, management off
    errors.register(app)
    app.after_request(lockdown.secure_headers)
    app.register_blueprint(api.bp, url_prefix="/public/v2")
    app.register_blueprint(embed.bp, url_prefix="/public/v2/embed")
    if not settings.embedded:  # embedded, the partner's routes are off (lockdown.guard answers 404)
        app.register_blueprint(management.bp, url_prefix="/public/v2/management")
    app.register_blueprint(components.bp)
    return app


def start_engine(app: Flask) -> None:
    """Start the app's engine threads, once."""
    from sandbox.engine import Engine

    state = app.extensions["sandbox"]
    with state.lock:
        if state.engine is None:
            state.engine = Engine(state)
            state.engine.start()


def stop_engine(app: Flask) -> None:
    """Stop the app's engine threads and wait for them."""
    state = app.extensions["sandbox"]
    with state.lock:
        engine, state.engine = state.engine, None
    if engine is not None:
        engine.stop()


def reset_database(config: Mapping[str, Any] | None) -> None:
    """Erase the sandbox's data and seed it again per SANDBOX_SEED."""
    from sandbox.settings import load_settings
    from sandbox.state import prepare_database
    from sandbox.store import initialize, wipe

    settings = load_settings(config)
    initialize(settings.database)
    wipe(settings.database)
    prepare_database(settings)
