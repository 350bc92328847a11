"""Pages link what belongs together through documented relationships: graph links, candidates on rows, fallbacks."""

from __future__ import annotations

import re

from dashboard.db import users
from tests.support.accounts import sign_in
from tests.support.pages import make_flow, make_thread


def row(html: str, element_id: str) -> str:
    """The one table row with `element_id`."""
    found = re.search(rf'<tr id="{element_id}">.*?</tr>', html, re.S)
    assert found, element_id
    return found.group(0)


def launch_run(api, flow_id: str, thread_id: str):
    return api.create("flow-runs", "flowRuns", {"flowId": flow_id, "messageThreadId": thread_id, "state": {},
                                                "initialMessage": {}})


def test_the_flow_graph_draws_one_path_per_transition(recruiter, api):
    flow = make_flow(api, "Link count", questions=4)
    nodes = [node.id for node in api.iterate("nodes", filters={"flowId": flow.id})]
    transitions = list(api.iterate("node-transitions", filters={"nodeId": nodes}))
    html = recruiter.get(f"/flows/{flow.id}").get_data(as_text=True)
    assert len(transitions) == 6
    assert len(re.findall(r'<path d="[^"]*" class="edge edge-', html)) == len(transitions)


def test_thread_and_run_rows_name_the_candidate(recruiter, api):
    thread = make_thread(api, "Zelda", "Quokka")
    flow = make_flow(api, "Candidate names", questions=1)
    run = launch_run(api, flow.id, thread.id)
    threads = recruiter.get("/message-threads?sort=newest").get_data(as_text=True)
    assert "Zelda Quokka" in row(threads, f"message-thread-{thread.id}")
    runs = recruiter.get("/flow-runs").get_data(as_text=True)
    assert "Zelda Quokka" in row(runs, f"flow-run-{run.id}") and "Candidate names" in row(runs, f"flow-run-{run.id}")
    assert "Zelda Quokka" in row(recruiter.get(f"/flows/{flow.id}").get_data(as_text=True), f"flow-run-{run.id}")


def test_refused_includes_fall_back_to_batched_reads_and_show_on_settings(pages_app, recruiter, api):
    thread = make_thread(api, "Yusuf", "Refused")
    flow = make_flow(api, "Refused includes", questions=1)
    run = launch_run(api, flow.id, thread.id)
    compat = pages_app.extensions["recrubo"].compat
    # As an API that answers only what the reference documents would: these includes are not in §3.6.
    for collection, name in (("message-threads", "candidate"), ("flow-runs", "flow"), ("flow-runs", "messageThread")):
        compat.remember_include(collection, name, False, collection)
    with pages_app.app_context():
        pages_app.extensions["recrubo"].list("flows", size=1, include="bogusRelation")
    threads = recruiter.get("/message-threads?sort=newest").get_data(as_text=True)
    assert "Yusuf Refused" in row(threads, f"message-thread-{thread.id}")
    runs = recruiter.get("/flow-runs").get_data(as_text=True)
    assert "Yusuf Refused" in row(runs, f"flow-run-{run.id}") and "Refused includes" in row(runs, f"flow-run-{run.id}")

    assert 'id="api-compatibility"' not in recruiter.get("/settings").get_data(as_text=True)
    with pages_app.app_context():
        users.create_user("admin-compat@example.com", "a long password", admin=True)
    admin = pages_app.test_client()
    sign_in(admin, "admin-compat@example.com", "a long password")
    box = re.search(r'<section class="panel" id="api-compatibility".*?</section>',
                    admin.get("/settings").get_data(as_text=True), re.S).group(0)
    assert "/flows?include=bogusRelation" in box and "refused" in box
    assert "include=candidate on /message-threads refused" in box
    assert admin.get("/healthz").status_code == 200
