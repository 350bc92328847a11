"""Home over a real socket: a webhook that changes what Home shows pushes every panel on `home` (totals, runs by
status, "Needs attention", "Generations in progress", the chart), rendered once, read from the model."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from tests.support.accounts import create_account, signed_in_session
from tests.support.sockets import poll_health, socket
from tests.support.synthetic import Synthetic

PASSWORD = "a long password"


@pytest.fixture(scope="module")
def session(live_server):
    poll_health(live_server, lambda health: health.get("read_model") == "ok", 120)
    email = f"home-live-{uuid.uuid4().hex[:6]}@example.com"
    create_account(live_server, email, PASSWORD)
    session = signed_in_session(live_server, email, PASSWORD)
    yield session
    session.close()


@pytest.fixture()
def synthetic(live_server):
    made = Synthetic(live_server)
    yield made
    made.clean_up()


def total(html: str, label: str) -> int:
    found = re.search(rf'<span class="card-count">(\d+)</span><span class="card-label">{label}</span>', html)
    assert found, label
    return int(found.group(1))


def section(html: str, element_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    assert found, element_id
    return found.group(0)


def pushed_until(ws, condition, seconds: float = 30) -> str:
    """The content of the first `home` push that meets `condition` (others are pushes of earlier changes)."""
    deadline, seen = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        data = ws.receive(timeout=max(0.05, deadline - time.monotonic()))
        if data is None:
            continue
        content = json.loads(data).get("content", "")
        seen.append(content[:200])
        if condition(content):
            return content
    raise AssertionError(f"no push met the condition: {seen}")


def test_a_new_generation_is_counted_and_listed_by_push(live_server, session, synthetic):
    page = session.get(f"{live_server.url}/", timeout=10).text
    assert 'id="model-backfilling"' not in page
    before = total(page, "flow generations")
    ws = socket(live_server, session, "home")
    try:
        generation = synthetic.create("flowGenerations", status="queued", flowType="single_flow", cost=0)
        content = pushed_until(ws, lambda html: f'id="flow-generation-{generation}"' in html)
    finally:
        ws.close()
    assert total(content, "flow generations") == before + 1
    assert f'id="flow-generation-{generation}"' in section(content, "generating")
    assert 'hx-target="#runs-chart"' in content and 'hx-target="#run-counts"' in content


def test_a_failed_run_joins_needs_attention_with_its_names_by_push(live_server, session, synthetic):
    ws = socket(live_server, session, "home")
    try:
        run, flow_name, first_name = synthetic.named_run("exception")
        content = pushed_until(ws, lambda html: f'id="flow-run-{run}"' in html)
    finally:
        ws.close()
    row = re.search(rf'<tr id="flow-run-{run}">.*?</tr>', section(content, "attention"), re.S).group(0)
    assert flow_name in row and first_name in row
    # The push equals Home after a reload.
    reloaded = session.get(f"{live_server.url}/", timeout=10).text
    assert row in section(reloaded, "attention")
