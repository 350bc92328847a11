"""No public secrets anywhere (issue 17, items 1 and 4): the embedded default generates its API key, webhook
secret and partner key once into instance/, and a dashboard on a real API will not start without its own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from sandbox.defaults import DEMO_API_KEY, DEMO_PARTNER_KEY, DEMO_WEBHOOK_SECRET
from tests.support.accounts import create_account, signed_in_session
from tests.support.payloads import payload
from tests.support.servers import PYTHON, ROOT, free_port, server_environment, start_dashboard, stop

GENERATED = ("sandbox_api_key", "webhook_secret", "sandbox_partner_key")
# An empty value unsets the suite's own keys: the dashboard starts as a fresh install does.
UNSET = {"RECRUBO_API_KEY": "", "RECRUBO_WEBHOOK_SECRET": "", "SANDBOX_API_KEY": "", "SANDBOX_WEBHOOK_SECRET": ""}


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory):
    """The dashboard on the embedded default with no key or secret set anywhere, as `./scripts/start` runs it."""
    server = start_dashboard(tmp_path_factory.mktemp("fresh"), **UNSET)
    yield server
    stop(server.process)


def test_the_embedded_default_generates_its_secrets_once_into_the_instance_folder(fresh_install):
    values = {}
    for name in GENERATED:
        path = fresh_install.instance / name
        assert path.stat().st_mode & 0o077 == 0, f"{name} is readable by others"
        values[name] = path.read_text().strip()
        assert len(values[name]) >= 32
    assert not set(values.values()) & {DEMO_API_KEY, DEMO_WEBHOOK_SECRET, DEMO_PARTNER_KEY}
    assert len(set(values.values())) == 3


def test_the_dashboard_works_on_its_generated_key(fresh_install):
    create_account(fresh_install, "fresh@example.com", "a long password")
    session = signed_in_session(fresh_install, "fresh@example.com", "a long password")
    page = session.get(f"{fresh_install.url}/flows", timeout=30)
    assert page.status_code == 200 and 'id="flow-' in page.text


@pytest.mark.parametrize("key", [DEMO_API_KEY, "", "sandbox-demo-key "])
def test_the_public_demo_key_opens_nothing(fresh_install, key):
    response = requests.get(f"{fresh_install.url}/sandbox/public/v2/candidates",
                            headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert response.status_code in (401, 403, 404)
    assert "phoneNumber" not in response.text


def test_the_public_demo_partner_key_reads_no_organization(fresh_install):
    response = requests.get(f"{fresh_install.url}/sandbox/public/v2/management/organizations",
                            headers={"Authorization": f"Bearer {DEMO_PARTNER_KEY}"}, timeout=10)
    assert response.status_code in (401, 403, 404)
    generated = {(fresh_install.instance / name).read_text().strip() for name in GENERATED}
    assert not any(secret in response.text for secret in generated)


def test_a_webhook_with_the_public_demo_secret_is_refused(fresh_install):
    response = requests.post(f"{fresh_install.url}/webhooks/recrubo", json=payload(), timeout=10, headers={
        "Content-Type": "application/vnd.api+json", "X-Recrubo-Webhook-Secret": DEMO_WEBHOOK_SECRET})
    assert response.status_code == 401


def test_a_restart_keeps_the_generated_secrets(tmp_path: Path):
    first = start_dashboard(tmp_path, **UNSET)
    stop(first.process)
    before = {name: (first.instance / name).read_text() for name in GENERATED}
    second = start_dashboard(tmp_path, **UNSET)
    try:
        assert {name: (second.instance / name).read_text() for name in GENERATED} == before
    finally:
        stop(second.process)


@pytest.mark.parametrize("missing", ["RECRUBO_API_KEY", "RECRUBO_WEBHOOK_SECRET"])
def test_a_real_api_without_its_key_or_secret_stops_start_up_with_one_line(tmp_path: Path, missing: str):
    env = server_environment(INSTANCE_PATH=str(tmp_path), PORT=str(free_port()),
                             RECRUBO_API_URL="https://api.recrubo.app/public/v2", **{missing: ""})
    result = subprocess.run([str(Path(PYTHON).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and missing in lines[0] and "RECRUBO_API_URL" in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
