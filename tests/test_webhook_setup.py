"""`flask recrubo configure-webhooks` and the embedded default's own set-up, against the real sandbox."""

from __future__ import annotations

import subprocess

from dashboard.recrubo.client import RecruboClient
from dashboard.recrubo.subscriptions import SUBSCRIPTIONS
from tests.support.servers import API_KEY, PYTHON, ROOT, server_environment, start_dashboard, stop
from tests.support.waiting import wait_until


def subscriptions(api: RecruboClient) -> set:
    return {(hook.resource, hook.event, tuple(sorted(hook.fields)) if hook.get("fields") else None)
            for hook in api.iterate("webhooks")}


def wanted() -> set:
    return {(resource, event, tuple(sorted(fields)) if fields else None) for resource, event, fields in SUBSCRIPTIONS}


def test_embedded_sandbox_is_subscribed_to_everything_the_live_pages_need(tmp_path):
    server = start_dashboard(tmp_path)
    try:
        api = RecruboClient(f"{server.url}/sandbox/public/v2", API_KEY)
        wait_until(lambda: wanted() <= subscriptions(api), 20, "the embedded sandbox has every subscription",
                   every=0.1)
        organization = api.list("organizations", size=1).items[0]
        assert organization.webhookUrl == f"{server.url}/webhooks/recrubo"

        def cli(url: str) -> subprocess.CompletedProcess:
            environment = server_environment(PORT=server.url.rsplit(":", 1)[1], INSTANCE_PATH=str(server.instance))
            return subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", "recrubo", "configure-webhooks",
                                   "--url", url], cwd=ROOT, env=environment, capture_output=True, text=True,
                                  timeout=60)

        moved = cli("https://dashboard.example.com/")
        assert moved.returncode == 0, moved.stderr
        assert "webhookUrl set to https://dashboard.example.com/webhooks/recrubo" in moved.stdout
        assert api.list("organizations", size=1).items[0].webhookUrl == \
            "https://dashboard.example.com/webhooks/recrubo"
        again = cli("https://dashboard.example.com/webhooks/recrubo")
        assert again.returncode == 0 and "Already configured" in again.stdout
        count = len(list(api.iterate("webhooks")))
        assert cli("https://dashboard.example.com").returncode == 0
        assert len(list(api.iterate("webhooks"))) == count  # idempotent: nothing subscribed twice
    finally:
        stop(server.process)


def test_configure_webhooks_reports_an_unreachable_api_readably(tmp_path):
    environment = server_environment(INSTANCE_PATH=str(tmp_path), RECRUBO_API_URL="http://127.0.0.1:9/public/v2")
    result = subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", "recrubo", "configure-webhooks", "--url",
                             "https://dashboard.example.com"], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "can't be reached" in result.stderr and "Traceback" not in result.stderr
