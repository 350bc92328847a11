"""The limit of a launch by filter: with more matches than `selection.LIMIT`, the form says so before launching and the
launch runs on the first LIMIT of them only. On a sandbox of its own, whose 501 extra threads no other test sees."""

from __future__ import annotations

import re

import pytest

from dashboard import create_app
from dashboard.db import users
from dashboard.flow_runs import selection
from dashboard.recrubo.relations import related_id
from dashboard.recrubo.sync import sync_once
from tests.support.accounts import csrf_token, sign_in
from tests.support.apps import dispose
from tests.support.pages import PARTIAL, api_for, make_flow, phone_number, unique
from tests.support.servers import remote_api, start_sandbox, stop
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow
EXTRA = selection.LIMIT + 1


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """A sandbox of its own with EXTRA threads whose chatbot is paused (the demo's are not), and a dashboard whose
    read model a sync filled, with a recruiter signed in."""
    folder = tmp_path_factory.mktemp("crowded")
    sandbox = start_sandbox(folder)
    api = api_for(sandbox.url)
    for _ in range(EXTRA):
        # Paused: a run on it stays queued, so 500 runs cost the sandbox's engine nothing.
        api.create("message-threads", "messageThreads", {"channel": "whatsapp", "identifier": phone_number(),
                                                         "chatbotPaused": True})
    app = create_app({"INSTANCE_PATH": str(folder / "instance"), **remote_api(f"{sandbox.url}/public/v2")})
    with app.app_context():
        users.create_user("crowded@example.com", "a long password")
    assert sync_once(app, full=True).ran
    recruiter = app.test_client()
    sign_in(recruiter, "crowded@example.com", "a long password")
    yield api, recruiter
    dispose(app)
    stop(sandbox.process)


def test_more_matches_than_the_limit_are_announced_and_only_the_limit_is_launched(crowded):
    api, recruiter = crowded
    flow = make_flow(api, unique("Capped"), questions=1)
    form = recruiter.get("/flow-runs/new", query_string={"bot": "paused"}).get_data(as_text=True)
    assert f"{EXTRA} threads match these filters." in form
    assert f"Select the first {selection.LIMIT} of all {EXTRA} matches" in form and 'id="thread-limit"' in form
    assert f'data-matches="{selection.LIMIT}"' in form
    response = recruiter.post("/flow-runs", headers=PARTIAL, data={
        "csrf_token": csrf_token(form), "flowId": flow.id, "allMatching": "1", "bot": "paused"})
    assert response.status_code == 201, response.get_data(as_text=True)
    target = response.headers["HX-Redirect"]
    done = f"{selection.LIMIT} launched, 0 refused: the launch is done"
    page = wait_until(lambda: (html := recruiter.get(target).get_data(as_text=True)) and done in html and html,
                      180, "every line of the launch says launched", every=1)
    assert f"{EXTRA} matched; only the first {selection.LIMIT} were launched" in page
    assert len(re.findall(r'<tr id="launch-line-\d+" data-state="launched"', page)) == selection.LIMIT
    threads = [related_id(run, "messageThread") for run in api.iterate("flow-runs", filters={"flowId": flow.id})]
    assert len(threads) == len(set(threads)) == selection.LIMIT
