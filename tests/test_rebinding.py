"""DNS rebinding: the dashboard and its mounted sandbox answer only to trusted Host names, and /live accepts only
its own pages' origins (PUBLIC_URL, or a trusted host on our port), never whatever the request's Host says."""

from __future__ import annotations

import pytest
import requests

from dashboard.core.hosts import host_name, is_trusted
from tests.support.accounts import create_account, signed_in_session
from tests.support.servers import start_dashboard, stop
from tests.support.sockets import handshake_status
from tests.support.waiting import wait_until

ATTACKER = "rebind.attacker.example"
PUBLIC = "dash.example.com"
EMAIL, PASSWORD = "rebinding@example.com", "a long password"


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    """On the embedded sandbox (mounted at /sandbox), with a public address, behind one trusted proxy."""
    server = start_dashboard(tmp_path_factory.mktemp("rebinding"), PUBLIC_URL=f"https://{PUBLIC}",
                             TRUSTED_PROXY_COUNT="1")
    create_account(server, EMAIL, PASSWORD)
    yield server
    stop(server.process)


@pytest.fixture(scope="module")
def session(dashboard):
    session = signed_in_session(dashboard, EMAIL, PASSWORD)
    yield session
    session.close()


def port(server) -> str:
    return server.url.rsplit(":", 1)[1]


def get(server, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{server.url}{path}", headers=headers, allow_redirects=False, timeout=30)


@pytest.mark.parametrize("path", ["/login", "/settings", "/static/css/dashboard.css",
                                  "/sandbox/public/v2/organizations", "/sandbox/"])
def test_a_request_for_an_untrusted_host_is_refused_before_anything_runs(dashboard, path):
    response = get(dashboard, path, Host=f"{ATTACKER}:{port(dashboard)}")
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "Unknown host" in response.text and ATTACKER not in response.text
    assert "Set-Cookie" not in response.headers
    wait_until(lambda: f"refused a request for host '{ATTACKER}:{port(dashboard)}' GET {path!r}"
               in dashboard.log.read_text(), message="the refusal was logged with the host")
    assert "TRUSTED_HOSTS" in dashboard.log.read_text()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", PUBLIC, f"{PUBLIC}:443", "[::1]"])
def test_trusted_hosts_are_served(dashboard, host):
    assert get(dashboard, "/login", Host=host).status_code == 200
    assert get(dashboard, "/sandbox/public/v2/organizations", Host=host).status_code != 400


@pytest.mark.parametrize("host", ["10.0.3.7:8000", ATTACKER, "not a host"])
def test_healthz_answers_whatever_the_host(dashboard, host):
    assert get(dashboard, "/healthz", Host=host).status_code == 200


def test_behind_a_trusted_proxy_x_forwarded_host_decides(dashboard):
    assert get(dashboard, "/login", Host="127.0.0.1", **{"X-Forwarded-Host": ATTACKER}).status_code == 400
    assert get(dashboard, "/sandbox/", Host="127.0.0.1", **{"X-Forwarded-Host": ATTACKER}).status_code == 400
    assert get(dashboard, "/login", Host=ATTACKER, **{"X-Forwarded-Host": PUBLIC}).status_code == 200


def test_a_socket_whose_host_and_origin_name_the_attacker_is_refused(dashboard, session):
    assert handshake_status(dashboard, host=f"{ATTACKER}:{port(dashboard)}",
                            origin=f"http://{ATTACKER}:{port(dashboard)}", session=session) == 400


@pytest.mark.parametrize(("host", "origin", "status"), [
    # PUBLIC_URL's origin, as the browser sends it through the proxy
    (PUBLIC, f"https://{PUBLIC}", 101),
    (PUBLIC, f"https://{PUBLIC}/", 101),
    # a trusted host on the port we serve: one of our pages, whichever of our names it was opened by
    ("127.0.0.1:{port}", "http://localhost:{port}", 101),
    ("127.0.0.1:{port}", "http://127.0.0.1:{port}", 101),
    # anything else, however the Host looks
    ("127.0.0.1:{port}", f"http://{ATTACKER}:{{port}}", 403),
    (PUBLIC, f"https://{ATTACKER}", 403),
    (PUBLIC, f"https://{PUBLIC}.{ATTACKER}", 403),
    (PUBLIC, f"https://{PUBLIC}:8443", 403),
    (PUBLIC, f"ftp://{PUBLIC}", 403),
    ("127.0.0.1:{port}", "http://127.0.0.1:1", 403),  # another program on this machine
    ("127.0.0.1:{port}", "null", 403),
])
def test_the_socket_origin_is_judged_by_the_configured_origins(dashboard, session, host, origin, status):
    host, origin = host.format(port=port(dashboard)), origin.format(port=port(dashboard))
    assert handshake_status(dashboard, host=host, origin=origin, session=session) == status


@pytest.mark.parametrize(("host", "trusted", "expected"), [
    ("localhost:8000", ("localhost",), True),
    ("LOCALHOST.", ("localhost",), True),
    ("[::1]:8000", ("::1",), True),
    ("a.example.com", (".example.com",), True),
    ("example.com", (".example.com",), True),
    ("badexample.com", (".example.com",), False),
    ("example.com.evil.example", (".example.com",), False),
    (f"{ATTACKER}:8000", ("localhost", "127.0.0.1", "::1"), False),
    ("localhost/x", ("localhost",), False),
    ("", ("localhost",), False),
])
def test_host_names_are_matched_without_port_and_with_subdomain_entries(host, trusted, expected):
    assert is_trusted(host_name(host), trusted) is expected
