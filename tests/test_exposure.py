"""What a laptop install exposes (issue 17, item 8): loopback only, the demo password only to this machine,
no forwarded scheme from an undeclared proxy, a throttle on password guessing, and a taken port named."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
import requests

from tests.support.accounts import create_account, csrf_token
from tests.support.servers import PYTHON, ROOT, server_environment, start_dashboard, stop


@pytest.fixture(scope="module")
def laptop(tmp_path_factory):
    """The dashboard as `./scripts/start` runs it: no HOST, no proxy settings."""
    server = start_dashboard(tmp_path_factory.mktemp("laptop"))
    create_account(server, "guessed@example.com", "the right password")
    create_account(server, "other@example.com", "another right password")
    yield server
    stop(server.process)


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port`, read from /proc/net/tcp and tcp6 (hex)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_it_listens_on_loopback_only(laptop):
    port = int(laptop.url.rsplit(":", 1)[1])
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, little-endian hex


def test_the_demo_password_is_shown_only_to_this_machine(laptop):
    assert 'id="demo-password"' in requests.get(f"{laptop.url}/login", timeout=10).text
    proxied = requests.get(f"{laptop.url}/login", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
    assert proxied.status_code == 200 and 'id="demo-password"' not in proxied.text


def test_a_forwarded_https_from_an_undeclared_proxy_turns_on_nothing(laptop):
    response = requests.get(f"{laptop.url}/login", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert "Strict-Transport-Security" not in response.headers
    assert "secure" not in response.headers.get("Set-Cookie", "").lower()


def guess(session: requests.Session, url: str, email: str, password: str) -> requests.Response:
    token = csrf_token(session.get(f"{url}/login", timeout=10).text)
    return session.post(f"{url}/login", data={"email": email, "password": password, "csrf_token": token},
                        allow_redirects=False, timeout=10)


def test_password_guessing_is_throttled_per_account(laptop):
    session = requests.Session()
    statuses = [guess(session, laptop.url, "guessed@example.com", f"guess {n}").status_code for n in range(10)]
    assert statuses == [401] * 10
    refused = guess(session, laptop.url, "guessed@example.com", "the right password")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many" in refused.text and "<html" in refused.text.lower()
    # Another account from the same address is not locked out by these guesses.
    assert guess(requests.Session(), laptop.url, "other@example.com", "another right password").status_code == 302


def test_guesses_are_counted_across_workers_through_redis(tmp_path: Path, redis_server):
    server = start_dashboard(tmp_path, REDIS_URL=redis_server.url, WEB_CONCURRENCY="2")
    try:
        create_account(server, "shared@example.com", "the right password")
        # A new connection each time: gunicorn's two workers share the guesses only through Redis.
        statuses = [guess(requests.Session(), server.url, "shared@example.com", f"guess {n}").status_code
                    for n in range(11)]
        assert statuses == [401] * 10 + [429]
    finally:
        stop(server.process)


def test_a_taken_port_stops_start_up_with_one_line_naming_port(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = server_environment(INSTANCE_PATH=str(tmp_path), PORT=str(port))
        result = subprocess.run([str(Path(PYTHON).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "PORT" in lines[0] and str(port) in lines[0], result.stderr


def test_host_opens_it_on_purpose(tmp_path: Path):
    server = start_dashboard(tmp_path, HOST="0.0.0.0")
    try:
        assert listening_addresses(int(server.url.rsplit(":", 1)[1])) == {"00000000"}
    finally:
        stop(server.process)

