"""The embedded sandbox's lock-down (issue 17, item 1), through a dashboard served by gunicorn as in production:
its API answers only the dashboard itself (a direct loopback peer with the key), management is off, the
embeddables' browser routes stay open, every response carries the security headers, and an embedded sandbox
refuses to start on the public demo secrets."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import requests

import sandbox
from sandbox.defaults import DEMO_API_KEY, DEMO_PARTNER_KEY, DEMO_WEBHOOK_SECRET
from tests.support.servers import API_KEY, ROOT, server_environment, start_dashboard, stop

MEDIA = "application/vnd.api+json"
SECRETS = {"SANDBOX_API_KEY": "lockdown-key", "SANDBOX_PARTNER_KEY": "lockdown-partner-key",
           "SANDBOX_WEBHOOK_SECRET": "lockdown-secret"}
DEMO = {"SANDBOX_API_KEY": DEMO_API_KEY, "SANDBOX_PARTNER_KEY": DEMO_PARTNER_KEY,
        "SANDBOX_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET}


def interface_address() -> str | None:
    """An address of this machine other than loopback (the one its default route leaves from), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # UDP: nothing is sent
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    """The dashboard on the embedded default, listening on every interface (HOST=0.0.0.0)."""
    server = start_dashboard(tmp_path_factory.mktemp("lockdown"), HOST="0.0.0.0")
    server.port = server.url.rsplit(":", 1)[1]
    yield server
    stop(server.process)


def api(server, method: str, path: str, key: str = API_KEY, via: str = "127.0.0.1", **kwargs) -> requests.Response:
    """A request to the mounted sandbox's API, connecting to `via` (Host stays a trusted name)."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": MEDIA, "Host": f"127.0.0.1:{server.port}",
               **kwargs.pop("headers", {})}
    return requests.request(method, f"http://{via}:{server.port}/sandbox/public/v2{path}", headers=headers,
                            timeout=30, allow_redirects=False, **kwargs)


def candidates(server) -> int:
    return api(server, "GET", "/candidates").json()["meta"]["total"]


def assert_secure(response: requests.Response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "default-src" in response.headers["Content-Security-Policy"]


def test_the_dashboard_itself_reads_its_sandbox(dashboard):
    response = api(dashboard, "GET", "/candidates?page[size]=1")
    assert response.status_code == 200 and response.json()["data"]
    assert_secure(response)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


PEERS = ["forwarded-for", "forwarded", "interface"]


@pytest.mark.parametrize("peer", PEERS)
def test_anyone_else_is_refused_and_stores_nothing(dashboard, peer):
    via, headers = "127.0.0.1", {}
    if peer == "interface":
        via = interface_address() or pytest.skip("this machine has no address besides loopback")
    else:  # what a reverse proxy on this machine adds
        headers = {"X-Forwarded-For": "203.0.113.9"} if peer == "forwarded-for" else {"Forwarded": "for=203.0.113.9"}
    before = candidates(dashboard)
    for method, path, body in (("GET", "/candidates", None), ("GET", "/organizations", None),
                               ("POST", "/candidates", {"data": {"type": "candidates",
                                                                 "attributes": {"phone": "31611112222"}}})):
        response = api(dashboard, method, path, via=via, headers=headers, json=body)
        assert response.status_code == 403, response.text
        error = response.json()["errors"][0]
        assert error["code"] == "forbidden" and "answers only the dashboard" in error["detail"]
        assert "webhookSecret" not in response.text and "lastName" not in response.text
        assert_secure(response)
    assert candidates(dashboard) == before


def test_a_wrong_key_is_refused_even_from_loopback(dashboard):
    for key in (DEMO_API_KEY, "not-the-key"):
        response = api(dashboard, "GET", "/candidates", key=key)
        assert response.status_code == 401 and response.json()["errors"][0]["code"] == "unauthorized"


def test_management_is_off_whatever_the_key(dashboard):
    partner_key = (dashboard.instance / "sandbox_partner_key").read_text().strip()
    own = api(dashboard, "GET", "/organizations").json()["data"][0]
    for key in (partner_key, DEMO_PARTNER_KEY, API_KEY):
        for method, path in (("GET", "/management/organizations"), ("GET", f"/management/organizations/{own['id']}"),
                             ("POST", f"/management/refresh-token/{own['id']}")):
            response = api(dashboard, method, path, key=key)
            assert response.status_code == 404, response.text
            assert response.json()["errors"][0]["code"] == "not_found" and "token" not in response.text
    assert api(dashboard, "GET", "/candidates").status_code == 200  # the key was not replaced


def test_the_embeddables_stay_open_to_browsers(dashboard):
    via = interface_address() or "127.0.0.1"
    root = f"http://{via}:{dashboard.port}/sandbox"
    host = {"Host": f"127.0.0.1:{dashboard.port}"}
    redirect = requests.get(f"{root}/public/v2/embed/component/inbox", headers=host, allow_redirects=False,
                            timeout=10)
    assert redirect.status_code == 302 and redirect.headers["Location"] == "/sandbox/embeddables/inbox"
    assert_secure(redirect)
    assert "frame-ancestors" not in redirect.headers["Content-Security-Policy"]  # an iframe's first hop
    page = requests.get(f"{root}/embeddables/inbox", headers=host, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert_secure(page)
    # Framed by the dashboard (and, with a token for its origin, any host page): no frame-ancestors limit.
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors" not in page.headers["Content-Security-Policy"]
    script = requests.get(f"{root}/embeddables/static/component.js", headers=host, timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    assert_secure(script)
    session = requests.post(f"{root}/embeddables/api/session", headers=host, json={"token": "forged"}, timeout=10)
    assert session.status_code == 401 and session.json()["error"]["code"] == "invalid_token"  # token-checked
    assert_secure(session)
    # The server-side token call is API: only the dashboard may mint tokens.
    minted = api(dashboard, "POST", "/embed/authenticate", via=via, json={"userId": "x", "originUrl": root})
    assert minted.status_code == 403


def test_errors_and_unknown_paths_carry_the_headers_too(dashboard):
    for path in ("/no-such-thing", "/candidates/00000000-0000-4000-8000-000000000000"):
        response = api(dashboard, "GET", path)
        assert response.status_code == 404 and response.headers["Content-Type"].startswith(MEDIA)
        assert_secure(response)


@pytest.mark.parametrize("name", sorted(SECRETS))
@pytest.mark.parametrize("value", ["", "demo"])
def test_an_embedded_sandbox_refuses_to_start_on_a_missing_or_demo_secret(tmp_path, name, value):
    config = {"SANDBOX_DATABASE": str(tmp_path / "sandbox.db"), "SANDBOX_SEED": "none", "SANDBOX_MOUNT": "/sandbox",
              **SECRETS,
              name: DEMO[name] if value == "demo" else ""}
    with pytest.raises(ValueError, match=name) as refused:
        sandbox.create_app(config)
    assert "\n" not in str(refused.value)
    sandbox.create_app({**config, "SANDBOX_MOUNT": "", **DEMO})  # standalone, the demo values are the default


def test_python_m_sandbox_mounted_on_demo_secrets_exits_with_one_line(tmp_path):
    environment = server_environment(SANDBOX_DATABASE=str(tmp_path / "sandbox.db"), SANDBOX_MOUNT="/sandbox",
                                     SANDBOX_API_KEY="", SANDBOX_WEBHOOK_SECRET="")
    result = subprocess.run([sys.executable, "-m", "sandbox", "--port", "0"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "SANDBOX_API_KEY" in result.stderr


def test_the_standalone_sandbox_sends_the_headers_and_keeps_its_open_api(quiet):
    root = quiet.base.removesuffix("/public/v2")
    refused = requests.get(f"{quiet.base}/candidates", timeout=10)  # no key
    assert refused.status_code == 401
    listed = quiet.get("/candidates", headers={"X-Forwarded-For": "203.0.113.9"})  # standalone: no peer check
    assert listed.status_code == 200
    redirect = requests.get(f"{quiet.base}/embed/component/inbox", allow_redirects=False, timeout=10)
    page = requests.get(f"{root}/embeddables/inbox", timeout=10)
    for response in (refused, listed, redirect, page):
        assert_secure(response)
    assert "frame-ancestors 'none'" in listed.headers["Content-Security-Policy"]
