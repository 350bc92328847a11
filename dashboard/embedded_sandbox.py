"""The embedded default: the sandbox mounted at /sandbox, its demo account and `flask sandbox`."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import sandbox
from dashboard import users
from dashboard.config import Config

log = logging.getLogger(__name__)
sandbox_cli = AppGroup("sandbox", help="Manage the embedded Recrubo sandbox.")


def sandbox_config(config: Config) -> dict:
    """The embedded sandbox's settings: the dashboard's key and secret, its instance folder, its receiver."""
    return {"SANDBOX_DATABASE": str(config.instance_path / "sandbox.db"),
            "SANDBOX_API_KEY": config.api_key,
            "SANDBOX_WEBHOOK_SECRET": config.webhook_secret,
            # Webhooks flow for real: the sandbox's organization posts to this dashboard's own receiver
            # (the seeded subscriptions are the recommended ones, reference §8.5).
            "SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{config.port}/webhooks/recrubo",
            "SANDBOX_TIME_SCALE": config.sandbox_time_scale,
            # Served at /sandbox by the gevent worker, whose engine runs in a process of its own (gunicorn.conf.py).
            "SANDBOX_MOUNT": "/sandbox",
            "SANDBOX_ENGINE": "external"}


def mount(app: Flask, config: Config) -> None:
    """Serve the sandbox under /sandbox in this process and make sure the demo account exists."""
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/sandbox": sandbox.create_app(sandbox_config(config))})
    app.cli.add_command(sandbox_cli)
    with app.app_context():
        demo = users.ensure_demo_account()
    log.info("Recrubo Dashboard on the built-in sandbox: open http://127.0.0.1:%s and sign in as %s "
             "with password %s", config.port, demo.email, demo.demo_password)


@sandbox_cli.command("reset")
@click.confirmation_option(prompt="Erase every flow, run and message of the embedded sandbox?")
def reset_command() -> None:
    """Erase the embedded sandbox's data and seed it again."""
    sandbox.reset_database(sandbox_config(current_app.config["RECRUBO"]))
    click.echo("The embedded sandbox was reset.")
