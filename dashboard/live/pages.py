"""Live pages: each declares the channel it watches beside its route, and its template learns what to watch.

    @bp.get("/<run_id>")
    @live_page("flowRuns:{run_id}")
    def show(run_id: str) -> ResponseReturnValue: ...

The channel is formatted with the view's arguments. Before such a page reads the API it notes the newest push
(`live_seq`); `base.html` connects to `/live?watch=<live_watch>&since=<live_seq>`, so the socket replays whatever
was published after the page's content was read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g, request

from dashboard.db import pushes

View = TypeVar("View", bound=Callable)
PAGE_CHANNEL = "page"  # watched by signed-in pages that show nothing live


def live_page(channel: str) -> Callable[[View], View]:
    """Mark a view as a live page watching `channel` (`str.format`ted with the view's arguments)."""

    def mark(view: View) -> View:
        view.live_channel = channel
        return view

    return mark


def page_channel() -> str | None:
    """The channel the current request's page watches, or None when it is not a live page."""
    view = current_app.view_functions.get(request.endpoint or "")
    pattern = getattr(view, "live_channel", None)
    if pattern is None:
        return None
    try:
        return pattern.format(**(request.view_args or {}))
    except (KeyError, IndexError):
        return None


def remember_seq() -> None:
    """Before a live page reads the API, note the newest push: its socket replays everything after it."""
    if request.method == "GET" and page_channel() is not None:
        g.live_seq = pushes.last_seq()


def page_live() -> dict:
    """Template context: the channel this page watches and the seq its content is current to. A signed-in page
    that watches nothing still opens the socket on PAGE_CHANNEL, on which nothing is published: its indicator says
    whether the dashboard can be reached, and its session's end closes it like any other page's."""
    channel = page_channel()
    if channel is not None and "live_seq" in g:
        return {"live_watch": channel, "live_seq": g.live_seq}
    # Nothing to catch up on (no `since`): such a page is never too far behind.
    return {"live_watch": PAGE_CHANNEL if getattr(g, "user", None) is not None else None, "live_seq": None}


def init_app(app: Flask) -> None:
    """Note the seq before every live page and give its template `live_watch` and `live_seq`."""
    app.before_request(remember_seq)
    app.context_processor(page_live)
