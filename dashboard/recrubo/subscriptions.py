"""Pointing Recrubo's webhooks at this dashboard: `flask recrubo configure-webhooks` and the embedded default."""

from __future__ import annotations

import logging
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from dashboard.recrubo.client import RecruboClient, RecruboError

log = logging.getLogger(__name__)
RECEIVER_PATH = "/webhooks/recrubo"
# What the live pages need (reference §8.5 plus the creates and deletes the lists show) and what keeps the read
# model's joins current (candidates: the names on thread and run rows); None = every field.
SUBSCRIPTIONS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("flowRuns", "create", None), ("flowRuns", "update", None), ("flowRuns", "delete", None),
    ("flowGenerations", "create", None), ("flowGenerations", "update", ("status",)),
    ("flows", "create", None), ("flows", "update", None), ("flows", "delete", None),
    ("messages", "create", None), ("messages", "update", ("deliveryStatus",)),
    ("messageThreads", "create", None), ("messageThreads", "update", None), ("messageThreads", "delete", None),
    ("candidates", "create", None), ("candidates", "update", None), ("candidates", "delete", None),
    ("vacancyAnalyses", "update", None),
)
recrubo_cli = AppGroup("recrubo", help="Connect the dashboard to the Recrubo API.")


def receiver_url(public_url: str) -> str:
    """The receiver's address under a public base URL (a full receiver URL is kept as it is)."""
    public_url = public_url.rstrip("/")
    return public_url if public_url.endswith(RECEIVER_PATH) else public_url + RECEIVER_PATH


def configure(api: RecruboClient, url: str, secret: str) -> list[str]:
    """Set the organization's webhookUrl and secret and add missing subscriptions; return what changed."""
    changes = []
    organizations = api.list("organizations", sort="createdAt", size=1).items
    if not organizations:
        raise RecruboError("Recrubo lists no organization for this API key.", kind="invalid")
    organization = organizations[0]
    if organization.get("webhookUrl") != url or organization.get("webhookSecret") != secret:
        # The API wants both together (reference §5.1).
        api.update("organizations", "organizations", organization.id,
                   {"webhookUrl": url, "webhookSecret": secret})
        changes.append(f"organization {organization.id}: webhookUrl set to {url}")
    existing = {(hook.get("resource"), hook.get("event"), _fields(hook.get("fields")))
                for hook in api.iterate("webhooks")}
    for resource, event, fields in SUBSCRIPTIONS:
        if (resource, event, _fields(fields)) in existing:
            continue
        attributes = {"resource": resource, "event": event}
        if fields:
            attributes["fields"] = list(fields)
        api.create("webhooks", "webhooks", attributes)
        changes.append(f"subscribed to {resource} {event}" + (f" ({', '.join(fields)})" if fields else ""))
    return changes


def _fields(value) -> tuple[str, ...] | None:
    return tuple(sorted(value)) if value else None


@recrubo_cli.command("configure-webhooks")
@click.option("--url", required=True, help="The dashboard's public URL, e.g. https://dashboard.example.com")
def configure_webhooks_command(url: str) -> None:
    """Point the organization's webhooks at this dashboard and subscribe to what its live pages need."""
    config = current_app.config["RECRUBO"]
    try:
        changes = configure(current_app.extensions["recrubo"], receiver_url(url), config.webhook_secret)
    except RecruboError as error:
        raise click.ClickException(error.message) from None
    for line in changes or ["Already configured: nothing to change."]:
        click.echo(line)


def configure_embedded_once(app: Flask) -> None:
    """On the embedded sandbox, subscribe over HTTP once the server answers (first request), in the background."""
    state = {"started": False}
    lock = threading.Lock()

    def run() -> None:
        config = app.config["RECRUBO"]
        try:
            for line in configure(app.extensions["recrubo"], receiver_url(f"http://127.0.0.1:{config.port}"),
                                  config.webhook_secret):
                log.info("embedded sandbox webhooks: %s", line)
        except RecruboError as error:
            log.warning("embedded sandbox webhooks not configured: %s", error.message)

    @app.before_request
    def start_configuring() -> None:
        if state["started"]:
            return
        with lock:
            if state["started"]:
                return
            state["started"] = True
        threading.Thread(target=run, name="configure-webhooks", daemon=True).start()


def init_app(app: Flask) -> None:
    """Register `flask recrubo`, and configure the embedded sandbox's webhooks after start."""
    app.cli.add_command(recrubo_cli)
    if app.config["RECRUBO"].embedded_sandbox:
        configure_embedded_once(app)
