"""Websocket clients of a started dashboard's /live, opened as a browser opens them, and what they receive."""

from __future__ import annotations

import json
import time

import requests
import simple_websocket

from tests.support.servers import Server, free_port

# The live-socket tests' account, and a Recrubo API nobody serves: the socket path never needs the API.
EMAIL, PASSWORD = "live@example.com", "a long password"
DEAD_API = f"http://127.0.0.1:{free_port()}/public/v2"


def socket(server: Server, session: requests.Session | None, watch: str, since: int | None = None,
           origin: str | None = "self") -> simple_websocket.Client:
    """A real websocket to /live with the session cookie and an Origin header, as a browser opens it."""
    url = f"{server.url.replace('http://', 'ws://')}/live?watch={watch}"
    if since is not None:
        url += f"&since={since}"
    headers = {}
    if origin is not None:
        headers["Origin"] = server.url if origin == "self" else origin
    if session is not None:
        headers["Cookie"] = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)
    return simple_websocket.Client.connect(url, headers=headers)


def frames(ws: simple_websocket.Client, count: int, seconds: float = 15) -> list[dict]:
    """The next `count` frames, waiting at most `seconds` overall."""
    received, deadline = [], time.monotonic() + seconds
    while len(received) < count and time.monotonic() < deadline:
        data = ws.receive(timeout=max(0.05, deadline - time.monotonic()))
        if data is not None:
            received.append(json.loads(data))
    assert len(received) == count, f"got {len(received)} of {count} frames: {received}"
    return received
