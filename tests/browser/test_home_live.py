"""Home in real Chromium on the embedded default: every panel follows webhooks without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browsing import open_live, sign_in
from tests.support.sockets import poll_health
from tests.support.synthetic import Synthetic

pytestmark = pytest.mark.browser


@pytest.fixture()
def synthetic(live_server):
    made = Synthetic(live_server)
    yield made
    made.clean_up()


def test_home_counts_and_lists_a_fourth_generation_and_a_failed_run_live(page: Page, live_server, synthetic):
    poll_health(live_server, lambda health: health.get("read_model") == "ok", 120)
    sign_in(page, live_server.url)
    open_live(page, f"{live_server.url}/")
    expect(page.locator("#model-backfilling")).to_have_count(0)
    page.evaluate("window.loadedOnce = true")  # gone if the page reloaded
    generations = int(page.locator("#total-flow-generations .card-count").inner_text())

    generation = synthetic.create("flowGenerations", status="queued", flowType="single_flow", cost=0)
    expect(page.locator(f"#generating #flow-generation-{generation}")).to_be_visible(timeout=20000)
    expect(page.locator("#total-flow-generations .card-count")).to_have_text(str(generations + 1))

    run, flow_name, first_name = synthetic.named_run("exception")
    row = page.locator(f"#attention #flow-run-{run}")
    expect(row).to_be_visible(timeout=20000)
    expect(row).to_contain_text(flow_name)
    expect(row).to_contain_text(first_name)
    assert page.evaluate("window.loadedOnce") is True

    # Its count leads to exactly the runs it counted, the new one among them.
    counted = page.locator("#attention-today").inner_text().split()[0]
    page.click("#attention-today")
    expect(page.locator(f"#flow-run-{run}")).to_be_visible()
    expect(page.locator(".pagination")).to_contain_text(f"{counted} in all")
