"""The embedded default: the sandbox mounted at /sandbox, its demo account and `flask sandbox`."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import sandbox
from dashboard.config import Config
from dashboard.db import users

log = logging.getLogger(__name__)
sandbox_cli = AppGroup("sandbox", help="Manage the embedded Recrubo sandbox.")


def mount(app: Flask, config: Config) -> None:
    """Serve the sandbox under /sandbox in this process and make sure the demo account exists."""
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/sandbox": sandbox.create_app(config.sandbox_settings())})
    app.cli.add_command(sandbox_cli)
    with app.app_context():
        demo = users.ensure_demo_account()
    log.info("Recrubo Dashboard on the built-in sandbox: open http://127.0.0.1:%s and sign in as %s "
             "with password %s", config.port, demo.email, demo.demo_password)


@sandbox_cli.command("reset")
@click.confirmation_option(prompt="Erase every flow, run and message of the embedded sandbox?")
def reset_command() -> None:
    """Erase the embedded sandbox's data and seed it again."""
    sandbox.reset_database(current_app.config["RECRUBO"].sandbox_settings())
    click.echo("The embedded sandbox was reset.")


@sandbox_cli.command("engine")
def engine_command() -> None:
    """Run the embedded sandbox's engine in the foreground, for a dashboard served by `flask run` (under gunicorn,
    its master runs the engine)."""
    from sandbox import engine_process

    raise SystemExit(engine_process.run(current_app.config["RECRUBO"].sandbox_settings()))
