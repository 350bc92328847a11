"""Recrubo Dashboard: `create_app` is the only place that knows every part."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard.config import PROJECT_ROOT, Config, load


def create_app(config: Config | Mapping[str, str] | None = None) -> Flask:
    """Build the dashboard from a Config, an environment-like mapping, or the process environment."""
    # Imported here, not at module level (flaskr's shape): importing the package, or `dashboard.config` in
    # gunicorn's master, loads no other part of the dashboard, creates no lock and starts no thread.
    from dashboard import (
        accounts,
        auth,
        candidates,
        embeds,
        flow_generations,
        flow_runs,
        flows,
        health,
        home,
        message_threads,
        settings,
        vacancy_analyses,
        webhooks,
    )
    from dashboard.core import errors, hosts, htmx, logs, names, security, sessions, throttle, times
    from dashboard.db import approvals, base, users
    from dashboard.live import render, socket, sync_pushes
    from dashboard.recrubo import behind, sandbox_mount, subscriptions, sync_runner
    from dashboard.recrubo.client import RecruboClient
    from dashboard.recrubo.relations import related_id

    if not isinstance(config, Config):
        config = load(config)
    logs.configure_logging()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(config.instance_path),
                template_folder=str(PROJECT_ROOT / "templates"), static_folder=str(PROJECT_ROOT / "static"))
    app.config["RECRUBO"] = config
    logs.init_app(app)
    security.init_app(app, config)
    htmx.init_app(app)
    base.init_app(app, config.database_url)
    users.init_app(app)
    approvals.init_app(app)
    app.extensions["recrubo"] = RecruboClient(config.recrubo_api_url, config.api_key)
    # Templates read relationships the one way the client does (linkage, to-one link, inferred attribute).
    app.add_template_global(related_id)
    times.init_app(app)
    names.init_app(app)
    errors.init_app(app)
    # Before the session guard: a foreign Origin is refused before anything looks at the session.
    socket.init_app(app, config)
    sync_pushes.init_app(app)
    render.init_app(app)
    sessions.init_app(app)
    webhooks.init_app(app)
    subscriptions.init_app(app)
    sync_runner.init_app(app, config.sync_seconds)
    behind.init_app(app)
    for module in (auth, health, home, flows, flow_runs, message_threads, flow_generations, vacancy_analyses,
                   embeds, settings, accounts, candidates):
        app.register_blueprint(module.bp)
    throttle.limit_sign_in(app, config, "auth.login")
    if config.embedded_sandbox:
        sandbox_mount.mount(app, config)
    # Outermost, around the sandbox's mount too: a request for an untrusted Host (DNS rebinding) is refused
    # before the dashboard or the sandbox runs anything.
    app.wsgi_app = hosts.TrustedHosts(app.wsgi_app, hosts.answered_hosts(config))
    if config.trusted_proxy_count:
        # Only behind a known number of proxies may X-Forwarded-* decide the client, scheme and host; outside
        # the host check, so the host it checks is X-Forwarded-Host's.
        count = config.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)
    return app
