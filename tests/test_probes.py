"""Security probes across every page a signed-in user can reach, found by crawling the live server."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.support.accounts import csrf_token
from tests.support.servers import start_dashboard, stop

API_KEY = "probe-api-key-7f3c9a1e5b"
WEBHOOK_SECRET = "probe-webhook-secret-2d8e4b6a0c"
MAX_PAGES = 80


@pytest.fixture(scope="module")
def probed_server(tmp_path_factory):
    server = start_dashboard(tmp_path_factory.mktemp("probe"), RECRUBO_API_KEY=API_KEY,
                             RECRUBO_WEBHOOK_SECRET=WEBHOOK_SECRET)
    yield server
    stop(server.process)


def signed_in_session(server) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server.url}/login", timeout=10).text
    email = re.search(r'id="demo-email">([^<]+)<', page).group(1)
    password = re.search(r'id="demo-password">([^<]+)<', page).group(1)
    response = session.post(f"{server.url}/login", timeout=30, data={"email": email, "password": password,
                                                                     "csrf_token": csrf_token(page)})
    assert response.ok, response.text[:500]
    return session


def crawl(session: requests.Session, base: str) -> dict[str, requests.Response]:
    """Every same-origin page reachable by links from the home page (the sandbox's API excluded)."""
    seen: dict[str, requests.Response] = {}
    queue = ["/", "/healthz", "/login"]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        response = session.get(urljoin(base, path), timeout=30, allow_redirects=False)
        seen[path] = response
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        for link in re.findall(r'(?:href|src)="([^"#]+)"', response.text):
            parts = urlsplit(urljoin(base + path, link))
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.netloc == urlsplit(base).netloc and not parts.path.startswith("/sandbox") and target not in seen:
                queue.append(target)
    return seen


def test_api_key_and_webhook_secret_never_reach_a_page_or_a_log_line(probed_server):
    pages = crawl(signed_in_session(probed_server), probed_server.url)
    assert len(pages) >= 8, sorted(pages)
    for path, response in pages.items():
        assert response.status_code < 500, (path, response.status_code)
        for secret in (API_KEY, WEBHOOK_SECRET):
            assert secret not in response.text, path
            assert secret not in str(response.headers), path
    log = probed_server.log.read_text()
    assert API_KEY not in log and WEBHOOK_SECRET not in log


def test_every_reachable_response_carries_the_security_headers(probed_server):
    for path, response in crawl(signed_in_session(probed_server), probed_server.url).items():
        policy = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "frame-ancestors" in policy, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("X-Request-Id"), path
