"""Detail pages show one resource with what belongs to it, and a readable message for an unknown id."""

from __future__ import annotations

import re

import pytest

from dashboard.recrubo.relations import related_id
from tests.support.pages import PARTIAL, make_flow


def test_flow_page_draws_every_step_and_link_and_offers_a_run(recruiter, api):
    flow = make_flow(api, "Graph check", questions=3)
    nodes = list(api.iterate("nodes", filters={"flowId": flow.id}))
    html = recruiter.get(f"/flows/{flow.id}").get_data(as_text=True)
    assert "<svg" in html and 'role="img"' in html
    for node in nodes:
        assert f'id="step-{node.id}"' in html and node.name in html
    assert "End · declined" in html and "End · accepted" in html
    assert "session.answer_3 === &#39;no&#39;" in html
    assert f'href="/flow-runs/new?flowId={flow.id}"' in html


def test_thread_page_shows_the_conversation_the_candidate_and_the_runs(recruiter, api):
    run = api.list("flow-runs", filters={"status": "finished"}, sort="-createdAt", size=1).items[0]
    # Read as the reference documents it: the thread's `candidate` relationship, not an undocumented include.
    thread = api.get("message-threads", run.messageThreadId)
    candidate = api.find("candidates", related_id(thread, "candidate"))
    messages = api.list("messages", filters={"messageThreadId": thread.id}, sort="-createdAt", size=100).items
    html = recruiter.get(f"/message-threads/{thread.id}").get_data(as_text=True)
    assert messages
    for message in messages:
        assert f'id="message-{message.id}"' in html
    assert 'class="bubble inbound"' in html and 'class="bubble outbound"' in html
    assert candidate.firstName in html
    assert f'id="flow-run-{run.id}"' in html
    assert f'id="message-thread-{thread.id}"' in html and f'id="message-thread-{thread.id}-messages"' in html


def test_run_page_shows_status_timeline_and_gathered_answers(recruiter, api):
    run = api.list("flow-runs", filters={"status": "finished"}, sort="-createdAt", size=1).items[0]
    html = recruiter.get(f"/flow-runs/{run.id}").get_data(as_text=True)
    assert f'<section id="flow-run-{run.id}"' in html
    assert "Reached step" in html and "Run finished" in html
    for key in run.state:
        assert f"<code>{key}</code>" in html
    assert 'id="cancel-run"' not in html  # a finished run cannot be cancelled


def test_generation_page_links_the_generated_flow(recruiter, api):
    generation = api.list("flow-generations", filters={"status": "finished"}, size=1).items[0]
    html = recruiter.get(f"/flow-generations/{generation.id}").get_data(as_text=True)
    assert f'id="flow-generation-{generation.id}"' in html
    assert f'hx-get="/flows/{generation.flowId}/graph"' in html
    graph = recruiter.get(f"/flows/{generation.flowId}/graph").get_data(as_text=True)
    assert 'id="generated-flow"' in graph and "<svg" in graph


def test_home_shows_attention_counts_and_the_runs_chart(recruiter, api):
    before = api.list("flow-runs", filters={"status": "finished"}, size=1).total
    html = recruiter.get("/").get_data(as_text=True)
    after = api.list("flow-runs", filters={"status": "finished"}, size=1).total
    # Runs of other tests may finish meanwhile: the count shown lies between the two readings.
    shown = int(re.search(r'id="run-count-finished">\s*<span class="card-count">(\d+)<', html).group(1))
    assert 'id="run-counts"' in html and before <= shown <= after
    assert 'id="runs-chart"' in html and html.count('class="bar bar-started"') >= 14
    counts = recruiter.get("/run-counts", headers=PARTIAL).get_data(as_text=True)
    assert counts.strip().startswith('<section class="cards status-cards" id="run-counts"')


@pytest.mark.parametrize("url", ["/flows/{id}", "/message-threads/{id}", "/flow-runs/{id}", "/flow-generations/{id}"])
def test_an_unknown_id_is_a_readable_404_in_the_page_region(recruiter, url):
    address = url.format(id="00000000-0000-7000-8000-000000000000")
    whole = recruiter.get(address)
    assert whole.status_code == 404 and "no longer exists" in whole.get_data(as_text=True)
    fragment = recruiter.get(address, headers=PARTIAL)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 404 and 'id="error"' in text and "<html" not in text
