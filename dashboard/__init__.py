"""Recrubo Dashboard: `create_app` is the only place that knows every part."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import (accounts, auth, counters, database, embedded_sandbox, embeds, errors, flow_generations, flow_runs,
                       flows, health, home, htmx, live, logs, message_threads, security, settings, users,
                       vacancy_analyses, webhooks)
from dashboard.config import PROJECT_ROOT, Config, load
from dashboard.recrubo import RecruboClient


def create_app(config: Config | Mapping[str, str] | None = None) -> Flask:
    """Build the dashboard from a Config, an environment-like mapping, or the process environment."""
    if not isinstance(config, Config):
        config = load(config)
    logs.configure_logging()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(config.instance_path),
                template_folder=str(PROJECT_ROOT / "templates"), static_folder=str(PROJECT_ROOT / "static"))
    app.config["RECRUBO"] = config
    if config.trusted_proxy_count:
        # Only behind a known number of proxies may X-Forwarded-* decide the client, scheme and host.
        count = config.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)
    logs.init_app(app)
    security.init_app(app, config)
    htmx.init_app(app)
    database.init_app(app, config.database_url)
    users.init_app(app)
    app.extensions["recrubo"] = RecruboClient(config.recrubo_api_url, config.api_key)
    errors.init_app(app)
    # Before auth: a foreign Origin is refused before anything looks at the session.
    live.init_app(app, config)
    counters.init_app(app)
    auth.init_app(app)
    webhooks.init_app(app)
    for module in (health, home, flows, flow_runs, message_threads, flow_generations, vacancy_analyses, embeds,
                   settings, accounts):
        app.register_blueprint(module.bp)
    if config.embedded_sandbox:
        embedded_sandbox.mount(app, config)
    return app

