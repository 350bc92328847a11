"""Launching runs, cancelling them and pausing the chatbot: each launch lands in the sandbox, each bad input
is answered next to its field and creates nothing."""

from __future__ import annotations

import re

import pytest

from dashboard.flow_runs import launch as launching
from dashboard.recrubo import run_timeline as timeline
from dashboard.recrubo.client import RecruboError, Resource
from dashboard.recrubo.relations import related_id
from tests.support.accounts import csrf_token
from tests.support.pages import PARTIAL, make_flow, make_template, make_thread, phone_number, unique
from tests.support.waiting import wait_until

MISSING = "00000000-0000-7000-8000-000000000000"


def launch(recruiter, **fields):
    """POST the launch form as htmx does, with the form's CSRF token."""
    token = csrf_token(recruiter.get("/flow-runs/new").get_data(as_text=True))
    return recruiter.post("/flow-runs", data={"csrf_token": token, **fields}, headers=PARTIAL)


def totals(api) -> dict[str, int]:
    """How many runs, threads and candidates the sandbox holds."""
    return {path: api.list(path, size=1).total for path in ("flow-runs", "message-threads", "candidates")}


@pytest.fixture()
def flow(api):
    return make_flow(api, unique("Launchable"), questions=1)


def paused_thread(api) -> Resource:
    """A thread whose chatbot is paused, so a run on it stays queued."""
    thread = make_thread(api, unique("Paused").replace(" ", ""))
    api.update("message-threads", "messageThreads", thread.id, {"chatbotPaused": True})
    return thread


def test_launching_on_two_threads_creates_a_run_on_each(recruiter, api, flow):
    threads = [make_thread(api, unique("Bulk").replace(" ", "")) for _ in range(2)]
    response = launch(recruiter, flowId=flow.id, messageThreadId=[thread.id for thread in threads])
    html = response.get_data(as_text=True)
    assert response.status_code == 201 and "2 runs launched" in html
    assert response.headers["HX-Push-Url"].startswith("/flow-runs/launched?id=")
    for thread in threads:
        runs = api.list("flow-runs", filters={"messageThreadId": thread.id}).items
        assert [run.flowId for run in runs] == [flow.id]
        assert f'id="flow-run-{runs[0].id}"' in html
    shared = recruiter.get(response.headers["HX-Push-Url"]).get_data(as_text=True)
    assert shared.count('<tr id="flow-run-') == 2 and "<html" in shared


def test_launching_for_a_new_whatsapp_candidate_creates_candidate_thread_and_run(recruiter, api, flow):
    number = phone_number()
    response = launch(recruiter, flowId=flow.id, newChannel="whatsapp", newIdentifier=f"+{number[:2]} {number[2:]}",
                      newFirstName="Nieuwe", newLastName="Kandidaat")
    assert response.status_code == 201
    thread = api.list("message-threads", filters={"identifier": number}).items[0]
    candidate = api.find("candidates", related_id(thread, "candidate"))
    assert thread.channel == "whatsapp" and candidate.firstName == "Nieuwe"
    assert candidate.phone == number
    assert [run.flowId for run in api.list("flow-runs", filters={"messageThreadId": thread.id}).items] == [flow.id]


def test_a_template_opening_message_is_sent_with_its_values(recruiter, api, flow):
    template = make_template(api)
    thread = make_thread(api, unique("Templated").replace(" ", ""))
    response = launch(recruiter, flowId=flow.id, messageThreadId=thread.id, templateId=template.id,
                      templateParameters="Sam\n")
    assert response.status_code == 201
    run = api.list("flow-runs", filters={"messageThreadId": thread.id}).items[0]
    assert run.initialMessage["template"]["id"] == template.id
    assert run.initialMessage["template"]["components"][0]["parameters"] == [{"type": "text", "text": "Sam"}]


def bad_inputs():
    """(case, form builder, field whose error shows) for every kind of bad launch input."""
    return [
        ("no flow", lambda f, t, p, tpl: {"messageThreadId": t.id}, "flowId"),
        ("unknown flow", lambda f, t, p, tpl: {"flowId": MISSING, "messageThreadId": t.id}, "flowId"),
        ("no thread", lambda f, t, p, tpl: {"flowId": f.id}, "messageThreadId"),
        ("unknown thread", lambda f, t, p, tpl: {"flowId": f.id, "messageThreadId": MISSING}, "messageThreadId"),
        ("thread already running", lambda f, t, p, tpl: {"flowId": f.id, "messageThreadId": p.id}, "messageThreadId"),
        ("national whatsapp number", lambda f, t, p, tpl: {"flowId": f.id, "newChannel": "whatsapp",
                                                           "newIdentifier": "0612345678"}, "newIdentifier"),
        ("short whatsapp number", lambda f, t, p, tpl: {"flowId": f.id, "newChannel": "whatsapp",
                                                        "newIdentifier": "+31 6 12"}, "newIdentifier"),
        ("letters as messenger id", lambda f, t, p, tpl: {"flowId": f.id, "newChannel": "facebook-messenger",
                                                          "newIdentifier": "jan.jansen"}, "newIdentifier"),
        ("number without channel", lambda f, t, p, tpl: {"flowId": f.id, "newIdentifier": phone_number()},
         "newChannel"),
        ("number that has a thread", lambda f, t, p, tpl: {"flowId": f.id, "newChannel": "whatsapp",
                                                           "newIdentifier": t.identifier}, "newIdentifier"),
        ("values missing for the template", lambda f, t, p, tpl: {"flowId": f.id, "messageThreadId": t.id,
                                                                  "templateId": tpl.id}, "templateParameters"),
        ("values without a template", lambda f, t, p, tpl: {"flowId": f.id, "messageThreadId": t.id,
                                                            "templateParameters": "Sam"}, "templateParameters"),
        ("unknown template", lambda f, t, p, tpl: {"flowId": f.id, "messageThreadId": t.id,
                                                   "templateId": MISSING}, "templateId"),
    ]


@pytest.mark.parametrize("case, form, field", bad_inputs(), ids=[case for case, _, _ in bad_inputs()])
def test_each_bad_launch_input_is_answered_at_its_field_and_creates_nothing(recruiter, api, flow, case, form, field):
    thread = make_thread(api, unique("Idle").replace(" ", ""))
    busy = paused_thread(api)
    api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": busy.id, "state": {}})
    template = make_template(api)
    before = totals(api)
    response = launch(recruiter, **form(flow, thread, busy, template))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and f'aria-describedby="{field}-error"' in html
    assert html.startswith("\n<form id=\"launch\"") or html.lstrip().startswith('<form id="launch"')
    assert totals(api) == before


def test_a_refused_run_undoes_the_thread_and_candidate_made_for_it():
    calls = []

    class RefusingApi:
        """Accepts the checks and the candidate and thread, then refuses the run."""

        def find(self, type_, id_, include=None):
            return Resource(id=id_)

        def list(self, path, **options):
            return type("Page", (), {"items": []})()

        def create(self, path, type_, attributes, relationships=None):
            calls.append(("create", path))
            if path == "flow-runs":
                raise RecruboError("Recrubo did not accept this: the thread is busy.", 422,
                                   [{"detail": "busy", "source": {"pointer": "/data/attributes/messageThreadId"}}],
                                   "invalid")
            return Resource(id=f"new-{path}")

        def delete(self, collection, id_):
            calls.append(("delete", f"{collection}/{id_}"))

    plan = launching.Launch(flow_id="flow", new_channel="whatsapp", new_identifier="31612345678")
    with pytest.raises(launching.LaunchRejected) as rejected:
        launching.launch_runs(plan, RefusingApi())
    assert rejected.value.errors == {"messageThreadId": "busy"}
    assert calls == [("create", "candidates"), ("create", "message-threads"), ("create", "flow-runs"),
                     ("delete", "message-threads/new-message-threads"), ("delete", "candidates/new-candidates")]


def test_cancelling_a_queued_run_cancels_it_in_the_sandbox(recruiter, api, flow):
    thread = paused_thread(api)
    run = api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": thread.id, "state": {}})
    page = recruiter.get(f"/flow-runs/{run.id}").get_data(as_text=True)
    assert 'id="cancel-run"' in page
    response = recruiter.post(f"/flow-runs/{run.id}/cancel", data={"csrf_token": csrf_token(page)}, headers=PARTIAL)
    assert response.status_code == 200 and "cancelled" in response.get_data(as_text=True)
    assert api.get("flow-runs", run.id).status == "cancelled"
    assert 'id="cancel-run"' not in response.get_data(as_text=True)


def test_pausing_and_resuming_the_chatbot_changes_the_thread(recruiter, api):
    thread = make_thread(api, unique("Pausable").replace(" ", ""))
    page = recruiter.get(f"/message-threads/{thread.id}").get_data(as_text=True)
    token = csrf_token(page)
    paused = recruiter.post(f"/message-threads/{thread.id}/chatbot", data={"csrf_token": token, "paused": "true"},
                            headers=PARTIAL).get_data(as_text=True)
    assert api.get("message-threads", thread.id).chatbotPaused is True
    assert paused.lstrip().startswith(f'<section id="message-thread-{thread.id}"') and "Resume the chatbot" in paused
    recruiter.post(f"/message-threads/{thread.id}/chatbot", data={"csrf_token": token, "paused": "false"},
                   headers=PARTIAL)
    assert api.get("message-threads", thread.id).chatbotPaused is False


def test_the_launch_form_picks_threads_by_search_and_keeps_the_ticked_ones(recruiter, api):
    kept = make_thread(api, unique("Kept").replace(" ", ""))
    found = make_thread(api, unique("Found").replace(" ", ""))
    html = recruiter.get("/flow-runs/new/threads", query_string={
        "threadSearch": found.identifier, "messageThreadId": kept.id}).get_data(as_text=True)
    ids = re.findall(r'value="([0-9a-f-]{36})"( checked)?', html)
    assert ids == [(kept.id, " checked"), (found.id, "")]
    preselected = recruiter.get(f"/flow-runs/new?messageThreadId={kept.id}").get_data(as_text=True)
    assert f'value="{kept.id}" checked' in preselected


def test_launched_runs_move_on_by_themselves(recruiter, api, flow):
    thread = make_thread(api, unique("Mover").replace(" ", ""))
    response = launch(recruiter, flowId=flow.id, messageThreadId=thread.id)
    target = response.headers["HX-Push-Url"]
    first = recruiter.get(target, headers=PARTIAL).get_data(as_text=True)
    assert 'id="launch-progress" max="1"' in first
    wait_until(lambda: "1 of 1 ended" in recruiter.get(target, headers=PARTIAL).get_data(as_text=True),
               40, "the batch says 1 of 1 ended", every=0.3)
    run = api.list("flow-runs", filters={"messageThreadId": thread.id}).items[0]
    assert run.status in timeline.TERMINAL
