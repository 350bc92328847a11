"""Real servers on distinct origins for the embedding tests (the sandbox, the dashboard, an intranet page), and
reading the hosted components and their inspector in a page."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from playwright.sync_api import FrameLocator, Locator, Page, expect

from tests.support.servers import API_KEY, Server, run_flask, start_dashboard, start_sandbox, stop

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
                                 headers={"Authorization": f"Bearer {API_KEY}"})
        response.raise_for_status()
        return response.json()["token"]

    def api(self, path: str) -> dict:
        """GET a sandbox API path with the organization key."""
        response = requests.get(f"{self.sandbox.url}/public/v2{path}", timeout=10,
                                headers={"Authorization": f"Bearer {API_KEY}"})
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        """Stop the dashboard, then the sandbox."""
        stop(self.dashboard.process)
        stop(self.sandbox.process)


def start_hosting(tmp: Path, **sandbox_env: str) -> Hosting:
    """The sandbox, then the dashboard pointed at it, with an admin account linked to its first user."""
    (tmp / "sandbox").mkdir()
    # Reached as http://localhost:PORT: another site than the dashboard's http://127.0.0.1:PORT.
    sandbox = start_sandbox(tmp / "sandbox", host="localhost", probe="/public/v2/embed/component/inbox",
                            SANDBOX_TIME_SCALE="20", **sandbox_env)
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
    def log_message(self, *args: object) -> None:
        pass


# --- the hosted components in a page ---------------------------------------------------------------------------

def component(page: Page, slug: str) -> FrameLocator:
    """The hosted component's frame."""
    return page.frame_locator(f"#embed-{slug} iframe")


def inspector(page: Page, slug: str) -> Locator:
    """The embed's inspector log, opened."""
    page.locator(f"#embed-{slug} .inspector summary").click()
    return page.locator(f"#embed-{slug} [data-inspector-log]")


def event_logged(page: Page, slug: str, name: str) -> Locator:
    """The inspector's entries for an accepted `name` event of the component."""
    return page.locator(f"#embed-{slug} [data-inspector-log] li.inspector-accepted", has_text=f'"event":"{name}"')


def shoot(page: Page, slug: str, path: Path) -> None:
    """A screenshot of the hosted component and its inspector, in a viewport tall enough to paint the frame."""
    page.set_viewport_size({"width": 1280, "height": 1600})
    page.locator(f"#embed-{slug}").screenshot(path=path)
    page.set_viewport_size({"width": 1280, "height": 720})


def open_component(page: Page, hosting: Hosting, slug: str) -> FrameLocator:
    """Go to the component's embed page and wait until the component reported `initialized`."""
    page.goto(f"{hosting.dashboard.url}/embeds/{slug}")
    log = inspector(page, slug)
    expect(log.locator("li", has_text='"event":"initialized"')).to_have_count(1)
    return component(page, slug)


def content_height(page: Page, slug: str) -> int:
    """The component's content height inside its frame, in CSS pixels."""
    return component(page, slug).locator("#component").evaluate("e => Math.ceil(e.getBoundingClientRect().height)")


def frame_height(page: Page, slug: str) -> int:
    """The height of the component's frame in the host page."""
    return page.locator(f"#embed-{slug} iframe").evaluate("f => f.clientHeight")
