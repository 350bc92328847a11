"""Bulk launch by filter in a real browser on the embedded default: the form counts the matches before launching,
and the launch's page gets its lines over the live socket, asking the server nothing more after it loaded."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from scripts.screenshots import sign_in
from tests.support.pages import api_for, make_thread, unique
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser
THREADS = 30  # enough that the runs are still being made when the launch's page opens


def test_a_launch_by_filter_shows_its_lines_arriving_over_the_socket(page: Page, live_server):
    api = api_for(f"{live_server.url}/sandbox")
    tag = unique("Socketed").replace(" ", "")
    threads = []
    for number in range(THREADS):
        thread = make_thread(api, tag, f"Person{number}")
        # Paused: the runs stay queued, so the sandbox's simulated candidates cost the machine nothing.
        api.update("message-threads", "messageThreads", thread.id, {"chatbotPaused": True})
        threads.append(thread)
    sign_in(page, live_server.url)
    form = f"{live_server.url}/flow-runs/new?q={tag}"
    wait_until(lambda: f"{THREADS} threads match" in page.request.get(form).text(), 60,
               "the read model lists every new thread (their webhooks arrived)", every=0.5)
    page.goto(form)
    expect(page.locator("#thread-matches")).to_have_text(f"{THREADS} threads match these filters.")
    page.select_option("#flowId", label="Quick screening")
    page.check("#allMatching")
    expect(page.locator("#launch-submit")).to_have_text(f"Launch Quick screening for {THREADS} threads")

    requests: list[str] = []
    frames: list[str] = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: frames.append(str(frame))))
    with page.expect_response(lambda response: "/flow-runs/launches/" in response.url) as answered:
        page.click("#launch-submit")
    first = answered.value.text()
    page.on("request", lambda request: "/static/" in request.url or requests.append(request.url))
    expect(page.locator("#launch-progress-text")).to_contain_text(f"{THREADS} launched, 0 refused", timeout=60_000)
    expect(page.locator('#launch-lines tr[data-state="launched"]')).to_have_count(THREADS)
    expect(page.locator("#launch-lines")).to_contain_text(f"{tag} Person0")

    assert 'data-state="waiting"' in first, "the page opened before its runs were made"
    assert any("launch-line-" in frame for frame in frames), "the lines came over the socket"
    assert requests == [], f"the launch's page asked the server again: {requests}"
    runs = [run for thread in threads for run in api.list("flow-runs", filters={"messageThreadId": thread.id}).items]
    assert len(runs) == THREADS
