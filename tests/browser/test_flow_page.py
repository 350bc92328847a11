"""A flow page in Chromium on the embedded default: its funnel follows the flow's runs without a reload, and the
graph's link labels sit where they cover no line and no step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dashboard.recrubo.client import RecruboClient
from tests.support.browsing import open_live, sign_in
from tests.support.pages import make_flow, make_thread, unique
from tests.support.servers import API_KEY
from tests.support.sockets import poll_health

pytestmark = pytest.mark.browser

# Every label box of the drawing against every link (sampled along its path, each pixel) and every step box, in
# the SVG's own coordinates. A label may touch nothing: the labels' placement promises it (flows/labels.py).
OVERLAPS = """() => {
  const inside = (p, r) => p.x > r.x + 0.5 && p.x < r.x + r.width - 0.5
                            && p.y > r.y + 0.5 && p.y < r.y + r.height - 0.5;
  const meet = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  const labels = [...document.querySelectorAll('#flow-funnel .edge-label-box')].map(r => r.getBBox());
  const steps = [...document.querySelectorAll('#flow-funnel .step')].map(g => {
    const box = g.getBBox(), m = g.transform.baseVal.consolidate().matrix;
    return {x: box.x + m.e, y: box.y + m.f, width: box.width, height: box.height};
  });
  const found = [];
  for (const [index, label] of labels.entries()) {
    for (const path of document.querySelectorAll('#flow-funnel path.edge')) {
      const length = path.getTotalLength();
      for (let at = 0; at <= length; at += 1) {
        if (inside(path.getPointAtLength(at), label)) { found.push(`label ${index} covers a link`); break; }
      }
    }
    steps.forEach((step, number) => { if (meet(label, step)) found.push(`label ${index} covers step ${number}`); });
    labels.forEach((other, number) => {
      if (number > index && meet(label, other)) found.push(`labels ${index} and ${number} meet`);
    });
  }
  return {labels: labels.length, found};
}"""


def sandbox_api(server) -> RecruboClient:
    return RecruboClient(f"{server.url}/sandbox/public/v2", API_KEY)


def test_the_funnel_counts_a_new_run_and_how_it_ended_without_a_reload(page: Page, live_server):
    # The funnel counts the read model's runs: a fresh server may still be filling it.
    poll_health(live_server, lambda health: health.get("read_model") == "ok", 120)
    api = sandbox_api(live_server)
    flow = make_flow(api, unique("Funnel live"), questions=2)
    sign_in(page, live_server.url)
    open_live(page, f"{live_server.url}/flows/{flow.id}")
    runs = page.locator("#funnel-summary [data-runs]")
    expect(runs).to_have_attribute("data-runs", "0")
    page.evaluate("window.loadedOnce = true")
    thread = make_thread(api, "Fenna", "Funnel")
    run = api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": thread.id})
    api.update("flow-runs", "flowRuns", run.id, {"status": "cancelled"})  # before the engine moves it on
    # Pushed once the run's webhooks are in (after the other tests' own, on a busy machine).
    expect(runs).to_have_attribute("data-runs", "1", timeout=30_000)
    expect(page.locator("#funnel-ended-cancelled .reached")).to_have_attribute("data-count", "1", timeout=30_000)
    assert page.evaluate("window.loadedOnce") is True  # pushed, not reloaded


def test_link_labels_are_short_and_cover_no_line_and_no_step(page: Page, live_server):
    api = sandbox_api(live_server)
    own = make_flow(api, unique("Labels"), questions=3)
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/flows")
    flow_ids = {own.id, *re.findall(r'<tr id="flow-([0-9a-f-]{36})"', page.content())}
    labelled = 0
    for flow_id in sorted(flow_ids):
        page.goto(f"{live_server.url}/flows/{flow_id}")
        result = page.evaluate(OVERLAPS)
        assert result["found"] == [], (flow_id, result["found"])
        labelled += result["labels"]
    assert labelled  # the test's own flow has a condition at least
    page.goto(f"{live_server.url}/flows/{own.id}")
    label = page.locator("#flow-funnel .edge-label").first
    expect(label.locator(".edge-label-text")).to_have_text("answer_3 = no")
    expect(label).to_have_attribute("aria-label", re.compile(r"when session\.answer_3 === 'no'$"))
    label.focus()  # the full condition on focus, as on hover
    expect(label.locator(".edge-label-tip")).to_be_visible()
