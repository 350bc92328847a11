"""The Flask user's usual pick: a minimal Flask-SocketIO broadcast app (`gunicorn --chdir bench socketio_app:app`).

`POST /publish` emits its body to every connected client as a `push` event; browsers connect to
/socket.io/. BENCH_SOCKETIO_MODE picks the async mode: `threading` (Flask-SocketIO's default, served by
gunicorn's gthread worker, one thread per socket) or `gevent` (served by gevent-websocket's worker,
the fastest mode measured here, stack-notes §6). Nothing else is configured: this is what the
documentation's quick start gives, including accepting the browser's deflate offer where the
websocket library does (simple-websocket in threading mode; gevent-websocket has no deflate).
"""

from __future__ import annotations

import os

from flask import Flask, request
from flask_socketio import SocketIO

app = Flask(__name__)
socketio = SocketIO(app, async_mode=os.environ.get("BENCH_SOCKETIO_MODE", "threading"))


@app.post("/publish")
def publish() -> str:
    """Broadcast the body to every connected Socket.IO client."""
    socketio.emit("push", request.get_data(as_text=True))
    return "ok"


@app.get("/healthz")
def healthz() -> str:
    """Answer when the server is up."""
    return "ok"
