"""The read-model sync's way onto open pages: the events a sync pass recorded for the rows it changed
(`dashboard.recrubo.sync_events`) go to the publisher as a webhook's do, rendered and pushed the same way."""

from __future__ import annotations

from flask import Flask

from dashboard.recrubo.sync import CHANGED


def push_synced(app: Flask, event_ids: list[str]) -> None:
    """Queue the events a sync pass committed for publishing, in the order it wrote them; never blocks."""
    publisher = app.extensions["live_publisher"]
    for event_id in event_ids:
        publisher.submit(event_id)


def init_app(app: Flask) -> None:
    """Let this app's syncs push what they changed (after `socket.init_app`, which makes the publisher)."""
    app.extensions[CHANGED] = lambda event_ids: push_synced(app, event_ids)
