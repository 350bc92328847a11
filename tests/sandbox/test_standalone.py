"""`python -m sandbox` serves the API from a fresh database and prints what a client needs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from sandbox.defaults import DEMO_API_KEY

ROOT = Path(__file__).resolve().parents[2]


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without any SANDBOX_* setting, plus `settings`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}, **settings}


def test_standalone_server_prints_its_url_and_key_and_serves_demo_data(tmp_path):
    env = environment(SANDBOX_DATABASE=str(tmp_path / "standalone" / "sandbox.db"), SANDBOX_TIME_SCALE="50",
                      PYTHONUNBUFFERED="1")
    with subprocess.Popen([sys.executable, "-m", "sandbox", "--port", "0"], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            lines = [process.stdout.readline().strip() for _ in range(3)]
            assert lines[0].startswith("Recrubo sandbox on ")
            url = lines[0].rsplit(" ", 1)[-1]
            assert url.startswith("http://127.0.0.1:") and url.endswith("/public/v2")
            assert lines[1] == f"API key: {DEMO_API_KEY}" and lines[2].startswith("Webhook secret: ")
            response = requests.get(url + "/users?sort=createdAt",
                                    headers={"Authorization": f"Bearer {DEMO_API_KEY}"}, timeout=10)
            assert response.status_code == 200
            assert response.json()["data"][0]["attributes"]["email"] == "recruiter@acme.example"
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0


def test_standalone_server_refuses_a_bad_setting_with_one_line(tmp_path):
    env = environment(SANDBOX_DATABASE=str(tmp_path / "bad.db"), SANDBOX_SEED="lots")
    result = subprocess.run([sys.executable, "-m", "sandbox", "--port", "0"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "configuration error" in result.stderr and "SANDBOX_SEED" in result.stderr
