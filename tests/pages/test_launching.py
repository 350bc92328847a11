"""Launching runs, cancelling them and pausing the chatbot: each launch lands in the sandbox, each bad input
is answered next to its field and creates nothing."""

from __future__ import annotations

import json
import re

import pytest

from dashboard.db import stored_settings
from dashboard.flow_runs import bulk
from dashboard.flow_runs import launch as launching
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


def launch_page(recruiter, response) -> str:
    """The page a launch answered with (htmx follows HX-Redirect to it)."""
    assert response.status_code == 201, response.get_data(as_text=True)
    target = response.headers["HX-Redirect"]
    assert re.fullmatch(r"/flow-runs/launches/[0-9a-f-]{36}", target)
    return recruiter.get(target).get_data(as_text=True)


def line(html: str, thread_name: str) -> str:
    """The launch page's line naming `thread_name`."""
    found = [row for row in re.findall(r'<tr id="launch-line-\d+".*?</tr>', html, re.S) if thread_name in row]
    assert len(found) == 1, thread_name
    return found[0]


def test_launching_on_two_threads_creates_a_run_on_each(recruiter, api, flow):
    threads = [make_thread(api, unique("Bulk").replace(" ", "")) for _ in range(2)]
    response = launch(recruiter, flowId=flow.id, messageThreadId=[thread.id for thread in threads])
    html = launch_page(recruiter, response)
    assert "2 launched, 0 refused" in html and html.count('<tr id="launch-line-') == 2
    for thread in threads:
        runs = api.list("flow-runs", filters={"messageThreadId": thread.id}).items
        assert [run.flowId for run in runs] == [flow.id]
        candidate = api.get("candidates", related_id(thread, "candidate"))
        shown = line(html, f"{candidate.firstName} {candidate.lastName}")
        assert f'href="/flow-runs/{runs[0].id}"' in shown and "Launched" in shown


def test_a_busy_thread_is_refused_with_its_reason_and_the_others_launch(recruiter, api, flow):
    free = make_thread(api, unique("Free").replace(" ", ""))
    busy = paused_thread(api)
    api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": busy.id, "state": {}})
    html = launch_page(recruiter, launch(recruiter, flowId=flow.id, messageThreadId=[free.id, busy.id]))
    assert "1 launched, 1 refused" in html
    refused = line(html, api.get("candidates", related_id(busy, "candidate")).firstName)
    assert "Refused" in refused and "already has a queued or running run" in refused
    assert len(api.list("flow-runs", filters={"messageThreadId": busy.id}).items) == 1
    assert len(api.list("flow-runs", filters={"messageThreadId": free.id}).items) == 1


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


def test_a_refused_thread_undoes_the_candidate_made_for_it():
    calls = []

    class RefusingApi:
        """Accepts the candidate, then refuses the thread."""

        def create(self, path, type_, attributes, relationships=None):
            calls.append(("create", path))
            if path == "message-threads":
                raise RecruboError("Recrubo did not accept this: the number is taken.", 422,
                                   [{"detail": "taken", "source": {"pointer": "/data/attributes/identifier"}}],
                                   "invalid")
            return Resource(id=f"new-{path}", type=type_)

        def delete(self, collection, id_):
            calls.append(("delete", f"{collection}/{id_}"))

    plan = launching.Launch(flow_id="flow", new_channel="whatsapp", new_identifier="31612345678")
    with pytest.raises(launching.LaunchRejected) as rejected:
        launching.create_new_thread(plan, RefusingApi())
    assert rejected.value.errors == {"newIdentifier": "taken"}
    assert calls == [("create", "candidates"), ("create", "message-threads"), ("delete", "candidates/new-candidates")]


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


def test_a_launch_page_is_read_back_from_its_stored_lines(recruiter, api, flow):
    thread = make_thread(api, unique("Mover").replace(" ", ""))
    response = launch(recruiter, flowId=flow.id, messageThreadId=thread.id)
    first = launch_page(recruiter, response)
    again = recruiter.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert 'id="launch-progress" max="1" value="1"' in first and "the launch is done" in first
    assert line(first, thread.identifier) == line(again, thread.identifier)
    assert recruiter.get("/flow-runs/launches/0190a1b2-0000-7000-8000-000000000000").status_code == 404
    assert recruiter.get("/flow-runs/launches/not-a-launch").status_code == 404


def test_a_launch_whose_process_ended_goes_on_when_its_page_is_viewed(pages_app, recruiter, api, flow):
    # What a restart leaves behind: a stored launch, its first run made as the process ended, every line waiting.
    threads = [make_thread(api, unique("Resumed").replace(" ", "")) for _ in range(2)]
    with pages_app.test_request_context("/"):
        launch_id = bulk.store(launching.Launch(flow_id=flow.id), flow.name, threads, 2, "ticked one by one", "")
        made = api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": threads[0].id,
                                                    "state": {}})
        stored = json.loads(stored_settings.get(f"launch:{launch_id}", "{}"))
        stored_settings.put(f"launch:{launch_id}", json.dumps({**stored, "touchedAt": 0, "attempting": 0}))
        other = make_thread(api, unique("Fresh").replace(" ", ""))
        fresh = bulk.store(launching.Launch(flow_id=flow.id), flow.name, [other], 1, "ticked one by one", "")
    html = recruiter.get(f"/flow-runs/launches/{launch_id}").get_data(as_text=True)
    assert 'id="launch-resumed"' in html
    page = wait_until(lambda: (text := recruiter.get(f"/flow-runs/launches/{launch_id}").get_data(as_text=True))
                      and "2 launched, 0 refused" in text and text, 30, "the resumed launch is done", every=0.2)
    # The run made before the "restart" is the thread's line, not a second run (nor a refusal as busy).
    assert f'href="/flow-runs/{made.id}"' in line(page, "launch-line-0") and 'id="launch-resumed"' in page
    for thread in threads:
        assert len(api.list("flow-runs", filters={"messageThreadId": thread.id}).items) == 1
    # A launch whose work wrote a moment ago may still be going in another process: it is left alone.
    untouched = recruiter.get(f"/flow-runs/launches/{fresh}").get_data(as_text=True)
    assert 'id="launch-resume-hint"' in untouched and 'data-state="waiting"' in untouched
    with pages_app.app_context():
        assert json.loads(stored_settings.get(f"launch:{fresh}", "{}")).get("resumed") is None


def test_a_form_acting_in_place_gets_the_launchs_outcome_not_its_page(recruiter, api, flow):
    # The candidate page's form: its answer lands in the page, whose address stays.
    thread = make_thread(api, unique("InPlace").replace(" ", ""))
    response = launch(recruiter, flowId=flow.id, messageThreadId=thread.id, answer="in-place")
    html = response.get_data(as_text=True)
    assert response.status_code == 201 and "HX-Redirect" not in response.headers
    assert re.search(r'<h2 id="launched-title">1 run launched</h2>', html)
    runs = api.list("flow-runs", filters={"messageThreadId": thread.id}).items
    assert [run.flowId for run in runs] == [flow.id]
    assert f'href="/flow-runs/{runs[0].id}"' in line(html, thread.identifier)
    launch_link = re.search(r'href="(/flow-runs/launches/[0-9a-f-]{36})" id="launch-page-link"', html)
    assert launch_link and "1 launched, 0 refused" in recruiter.get(launch_link.group(1)).get_data(as_text=True)


def test_a_launch_whose_process_ended_goes_on_from_the_background_loop_unviewed(pages_app, api, flow):
    threads = [make_thread(api, unique("Unviewed").replace(" ", "")) for _ in range(2)]
    with pages_app.test_request_context("/"):
        launch_id = bulk.store(launching.Launch(flow_id=flow.id), flow.name, threads, 2, "ticked one by one", "")
        stored = json.loads(stored_settings.get(f"launch:{launch_id}", "{}"))
        stored_settings.put(f"launch:{launch_id}", json.dumps({**stored, "touchedAt": 0}))
    # What the sync loop does after each round in a serving process.
    pages_app.extensions["read_model_sync"].run_chores()

    def done() -> dict | None:
        with pages_app.app_context():
            found = json.loads(stored_settings.get(f"launch:{launch_id}", "{}"))
        return found if found.get("done") else None

    finished = wait_until(done, 30, "the resumed launch is done", every=0.2)
    assert finished["launched"] == 2 and finished["resumed"] == 1
    for thread in threads:
        assert [run.flowId for run in api.list("flow-runs", filters={"messageThreadId": thread.id}).items] == [flow.id]
