"""Sandboxes in this process on ephemeral ports, an HTTP client of their API, a webhook receiver, and the
partner's management routes: what the sandbox's own tests (tests/sandbox/) build on."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from werkzeug.serving import make_server

import sandbox
from sandbox.changes import create
from sandbox.defaults import DEMO_API_KEY, DEMO_PARTNER_KEY
from sandbox.store import transaction

TIME_SCALE = 200
MEDIA = "application/vnd.api+json"
REPLY_MARKER = "receiver-reply-5f2c9a"  # in every reply of the receiver: a sandbox must never store it


@dataclass
class Delivery:
    """One webhook the receiver got: the path it was posted to, its headers and its JSON body."""

    path: str
    headers: dict
    body: dict


@dataclass
class Receiver:
    """A webhook receiver on a loopback port; paths starting with /flaky answer 500 to an id's first attempt,
    paths starting with /redirect answer 307 to /landing; every reply's body carries REPLY_MARKER."""

    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self, path: str | None = None) -> list[Delivery]:
        """The deliveries so far, to `path` only when given."""
        with self.lock:
            return [d for d in self.deliveries if path is None or d.path == path]


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    """A receiver serving on its own thread; shut the server down when done."""
    receiver = Receiver()
    seen_ids: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            payload_id = body.get("data", {}).get("id")
            with receiver.lock:
                receiver.deliveries.append(Delivery(self.path, dict(self.headers), body))
                first = payload_id not in seen_ids
                seen_ids.add(payload_id)
            status = 500 if self.path.startswith("/flaky") and first else 200
            if self.path.startswith("/redirect"):
                status = 307  # keeps the method: a client that followed it would POST to /landing
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            if status == 307:
                self.send_header("Location", "/landing")
            self.end_headers()
            self.wfile.write(f"{'refused' if status == 500 else 'ok'} {REPLY_MARKER}".encode())

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


class Api:
    """A client of one live sandbox's API."""

    def __init__(self, base: str, database: Path, app, key: str = DEMO_API_KEY) -> None:
        self.base, self.database, self.app = base, database, app
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {key}", "Content-Type": MEDIA})

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Any request to a path of the API, with the organization's key."""
        return self.session.request(method, self.base + path, timeout=30, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        """GET a path of the API."""
        return self.request("GET", path, **kwargs)

    def create(self, rtype: str, path: str, attributes: dict, **kwargs) -> dict:
        """POST a resource and return its `data`, asserting 201."""
        response = self.request("POST", path, json={"data": {"type": rtype, "attributes": attributes}}, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def patch(self, rtype: str, path: str, attributes: dict) -> requests.Response:
        """PATCH a resource's attributes."""
        return self.request("PATCH", path, json={"data": {"type": rtype, "attributes": attributes}})

    def attrs(self, path: str) -> dict:
        """The attributes of one resource, asserting 200."""
        response = self.get(path)
        assert response.status_code == 200, response.text
        return response.json()["data"]["attributes"]

    def all(self, path: str) -> list[dict]:
        """Every resource of a list, page by page."""
        separator = "&" if "?" in path else "?"
        found, number, last = [], 1, 1
        while number <= last:
            response = self.get(f"{path}{separator}page[size]=200&page[number]={number}")
            assert response.status_code == 200, response.text
            found += response.json()["data"]
            number, last = number + 1, response.json()["meta"]["maxPage"]
        return found

    def stored(self) -> list[tuple]:
        """Every stored resource row, read straight from the database file."""
        conn = sqlite3.connect(str(self.database))
        try:
            return conn.execute("SELECT type, id, data FROM resources ORDER BY seq").fetchall()
        finally:
            conn.close()

    def pending_jobs(self) -> int:
        """How many engine jobs are waiting, read straight from the database file."""
        conn = sqlite3.connect(str(self.database))
        try:
            return conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
        finally:
            conn.close()


def serve(tmp: Path, **config: object) -> tuple[Api, Callable[[], None]]:
    """Start a sandbox on an ephemeral port with its engine; return its client (with SANDBOX_API_KEY, else the
    demo key) and a stopper."""
    database = tmp / "sandbox.db"
    app = sandbox.create_app({"SANDBOX_DATABASE": str(database), "SANDBOX_TIME_SCALE": TIME_SCALE, **config})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sandbox.start_engine(app)

    client = Api(f"http://127.0.0.1:{server.server_port}/public/v2", database, app,
                 str(config.get("SANDBOX_API_KEY") or DEMO_API_KEY))

    def stop() -> None:
        client.session.close()
        server.shutdown()
        server.server_close()
        sandbox.stop_engine(app)

    return client, stop


def store_directly(api: Api, rtype: str, attributes: dict) -> dict:
    """A resource of a type the API cannot create (a location), stored in the sandbox's own organization the
    way the engine stores records; returns the stored record."""
    own = api.get("/organizations").json()["data"][0]["id"]
    with transaction(api.database, context=api.app.extensions["sandbox"]) as tx:
        tx.org = own
        return create(tx, rtype, attributes)


def partner(api: Api, method: str, path: str, **kwargs) -> requests.Response:
    """A request to the partner's management routes, with the partner key."""
    return requests.request(method, api.base + "/management" + path, timeout=10, headers={
        "Authorization": f"Bearer {DEMO_PARTNER_KEY}", "Content-Type": MEDIA}, **kwargs)


def as_org(api: Api, token: str, method: str, path: str, **kwargs) -> requests.Response:
    """A request to the API as the organization whose key is `token`."""
    return requests.request(method, api.base + path, timeout=10, headers={
        "Authorization": f"Bearer {token}", "Content-Type": MEDIA}, **kwargs)


def new_organization(api: Api, receiver: Receiver | None = None) -> dict:
    """A new organization made by the partner; its webhooks go to `receiver`'s /tenant when given."""
    attributes = {"name": f"Partner client {uuid.uuid4().hex[:6]}"}
    if receiver is not None:
        attributes.update(webhookUrl=receiver.url + "/tenant", webhookSecret="tenant-secret")
    document = {"data": {"type": "organizations", "attributes": attributes}}
    response = partner(api, "POST", "/organizations/", json=document)
    assert response.status_code == 201, response.text
    return response.json()["data"]
