"""The ingest baseline: a Flask app whose only endpoint answers 200 (`gunicorn --chdir bench bare_flask:app`).

Served on the dashboard's own stack (gunicorn, one gevent worker), it is the most a Flask endpoint
can take here; the dashboard's receiver does the real work (verify, dedupe, store, publish) on top.
"""

from __future__ import annotations

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/recrubo")
def receive() -> tuple[str, int]:
    """Answer 200 after reading the body, as the cheapest possible receiver would."""
    request.get_data()  # the body is read, as any receiver must
    return "", 200


@app.get("/healthz")
def healthz() -> str:
    """Answer when the server is up."""
    return "ok"
