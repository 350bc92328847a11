"""Real servers on distinct origins for the embedding tests: the sandbox, the dashboard, an intranet page."""

from __future__ import annotations

import functools
import subprocess
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from playwright.sync_api import Page, expect

from sandbox.defaults import DEMO_API_KEY
from tests.support.servers import (
    PYTHON,
    ROOT,
    Server,
    free_port,
    run_flask,
    server_environment,
    start_dashboard,
    stop,
    wait_until_serving,
)

PASSWORD = "a long embed password"
# The README's snippet, with the dashboard's address filled in as the settings page shows it.
SNIPPET = """<!doctype html><meta charset="utf-8"><title>Acme intranet</title>
<h1>Acme intranet</h1>
<iframe id="recrubo-dashboard" src="{url}/" title="Recrubo Dashboard" style="width:100%;border:0"></iframe>
<script>addEventListener("message", e => {{ if (e.origin === "{url}" && e.data.event === "recruboDashboardResize")
  document.getElementById("recrubo-dashboard").style.height = e.data.data.height + "px"; }});</script>
"""


@dataclass
class Hosting:
    """A dashboard on http://127.0.0.1:P framing a standalone sandbox on http://localhost:Q (another site)."""

    dashboard: Server
    sandbox: Server
    sandbox_origin: str
    email: str
    recrubo_user_id: str

    def mint(self, origin: str) -> str:
        """An embed token for the linked Recrubo user, bound to `origin`, straight from the sandbox."""
        response = requests.post(f"{self.sandbox.url}/public/v2/embed/authenticate", timeout=10,
                                 json={"userId": self.recrubo_user_id, "originUrl": origin},
                                 headers={"Authorization": f"Bearer {DEMO_API_KEY}"})
        response.raise_for_status()
        return response.json()["token"]

    def api(self, path: str) -> dict:
        """GET a sandbox API path with the organization key."""
        response = requests.get(f"{self.sandbox.url}/public/v2{path}", timeout=10,
                                headers={"Authorization": f"Bearer {DEMO_API_KEY}"})
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        """Stop the dashboard, then the sandbox."""
        stop(self.dashboard.process)
        stop(self.sandbox.process)


def start_sandbox(tmp: Path, **env: str) -> Server:
    """`python -m sandbox` with the demo seed, reached as http://localhost:PORT."""
    port = free_port()
    log = tmp / "sandbox.log"
    environment = server_environment(SANDBOX_DATABASE=str(tmp / "sandbox.db"), SANDBOX_TIME_SCALE="20", **env)
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([PYTHON, "-m", "sandbox", "--port", str(port)], cwd=ROOT, env=environment,
                                   stdout=output, stderr=subprocess.STDOUT)
    server = Server(f"http://localhost:{port}", process, log, tmp)
    wait_until_serving(f"http://127.0.0.1:{port}/public/v2/embed/component/inbox", process, log)
    return server


def start_hosting(tmp: Path, **sandbox_env: str) -> Hosting:
    """The sandbox, then the dashboard pointed at it, with an admin account linked to its first user."""
    (tmp / "sandbox").mkdir()
    sandbox = start_sandbox(tmp / "sandbox", **sandbox_env)
    origin = sandbox.url
    try:
        dashboard = start_dashboard(tmp, RECRUBO_API_URL=f"{origin}/public/v2", RECRUBO_APP_ORIGIN=origin)
    except BaseException:
        stop(sandbox.process)
        raise
    hosting = Hosting(dashboard, sandbox, origin, "embeds@example.com", "")
    try:
        hosting.recrubo_user_id = hosting.api("/users?sort=createdAt&page[size]=1")["data"][0]["id"]
        created = run_flask(dashboard, "users", "create", hosting.email, "--password", PASSWORD, "--admin",
                            "--recrubo-user-id", hosting.recrubo_user_id)
        assert created.returncode == 0, created.stderr
    except BaseException:
        hosting.stop()
        raise
    return hosting


def sign_in_page(page: Page, base: str, email: str) -> None:
    """Sign in through the dashboard's form in `page`."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page.locator("#account-email")).to_have_text(email)


class Intranet:
    """A static web server on loopback, standing for an intranet portal on its own origin."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://localhost:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass
