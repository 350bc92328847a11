"""Flow runs advance through their graphs: by the simulator, by injected replies, by cancel and timeout."""

from __future__ import annotations

from tests.support.flows import build_licence_flow, new_thread, reply, thread_texts
from tests.support.waiting import wait_until


def start_run(api, flow: dict, thread: dict, **attributes) -> dict:
    run = api.create("flowRuns", "/flow-runs", {"flowId": flow["id"], "messageThreadId": thread["id"],
                                                "state": {}, **attributes})
    assert run["attributes"]["status"] == "queued" and run["attributes"]["cost"] == 0
    return run


def status_of(api, run: dict) -> str:
    return api.attrs(f"/flow-runs/{run['id']}")["status"]


def wait_for_bot(api, thread: dict, text: str) -> None:
    wait_until(lambda: text in thread_texts(api, thread["id"], "outbound"), 10, "the bot sent the text")


def test_simulated_candidate_finishes_a_run_by_itself(api):
    flow, thread = build_licence_flow(api), new_thread(api)
    run = start_run(api, flow, thread)
    wait_until(lambda: status_of(api, run) == "finished", 15, "the run finished")
    attributes = api.attrs(f"/flow-runs/{run['id']}")
    assert set(attributes["state"]) == {"name", "age", "licence"}
    assert attributes["state"]["licence"] == "yes" and attributes["state"]["name"] == "Noor Hendriks"
    bot = thread_texts(api, thread["id"], "outbound")
    assert bot[-1] == "Great, we will call you."
    assert attributes["cost"] == len(bot)


def test_run_with_wrong_answer_ends_declined(api):
    flow, thread = build_licence_flow(api), new_thread(api, simulated=False)
    run = start_run(api, flow, thread, initialMessage={"type": "text", "text": {"value": "Hi Noor, got a minute?"}})
    wait_until(lambda: status_of(api, run) == "running", 10, "the run is running")
    wait_for_bot(api, thread, "Hi Noor, got a minute?")
    reply(api, thread["id"], "Sure")
    wait_for_bot(api, thread, "What is your name?")
    reply(api, thread["id"], "Jan")
    wait_for_bot(api, thread, "How old are you?")
    reply(api, thread["id"], "30")
    wait_for_bot(api, thread, "Do you have a driving licence?\n1. yes\n2. no")
    reply(api, thread["id"], "No")
    wait_until(lambda: status_of(api, run) == "finished", 10, "the run finished")
    attributes = api.attrs(f"/flow-runs/{run['id']}")
    assert attributes["state"] == {"name": "Jan", "age": "30", "licence": "no"}
    assert thread_texts(api, thread["id"], "outbound")[-1] == "Sorry, a licence is required."


def test_unmatched_answer_repeats_the_last_question(api):
    flow, thread = build_licence_flow(api), new_thread(api, simulated=False)
    run = start_run(api, flow, thread)
    wait_until(lambda: status_of(api, run) == "running", 10, "the run is running")
    for text, question in (("Hello", "What is your name?"), ("Kim", "How old are you?")):
        reply(api, thread["id"], text)
        wait_for_bot(api, thread, question)
    reply(api, thread["id"], "16")  # `session.age >= 18` fails and there is no other way on
    wait_until(lambda: thread_texts(api, thread["id"], "outbound").count("How old are you?") == 2,
               10, "the question was asked again")
    reply(api, thread["id"], "19")
    wait_for_bot(api, thread, "Do you have a driving licence?\n1. yes\n2. no")
    reply(api, thread["id"], "1")
    wait_until(lambda: status_of(api, run) == "finished", 10, "the run finished")
    assert api.attrs(f"/flow-runs/{run['id']}")["state"] == {"name": "Kim", "age": "19", "licence": "yes"}


def test_cancelled_run_stops_and_refuses_further_status_changes(api):
    flow, thread = build_licence_flow(api), new_thread(api, simulated=False)
    run = start_run(api, flow, thread)
    wait_until(lambda: status_of(api, run) == "running", 10, "the run is running")
    assert api.patch("flowRuns", f"/flow-runs/{run['id']}", {"state": {"x": 1}}).status_code == 422
    response = api.patch("flowRuns", f"/flow-runs/{run['id']}", {"status": "cancelled"})
    assert response.status_code == 200 and response.json()["data"]["attributes"]["status"] == "cancelled"
    reply(api, thread["id"], "Hello?")
    assert api.patch("flowRuns", f"/flow-runs/{run['id']}", {"status": "finished"}).status_code == 422
    erased = api.patch("flowRuns", f"/flow-runs/{run['id']}", {"state": {}})
    assert erased.status_code == 200 and status_of(api, run) == "cancelled"
    assert thread_texts(api, thread["id"], "outbound") == []


def test_silent_candidate_times_the_run_out(api):
    flow, thread = build_licence_flow(api, session_timeout=1), new_thread(api, simulated=False)
    run = start_run(api, flow, thread)
    wait_until(lambda: status_of(api, run) == "timeout", 15, "the run timed out")


def test_reminder_follows_silence_after_the_first_answer(api):
    flow, thread = build_licence_flow(api, session_timeout=600, reminder_interval=1), new_thread(api, simulated=False)
    run = start_run(api, flow, thread)
    wait_until(lambda: status_of(api, run) == "running", 10, "the run is running")
    reply(api, thread["id"], "Hi")
    wait_for_bot(api, thread, "What is your name?")
    reply(api, thread["id"], "Lena")
    wait_for_bot(api, thread, "Still there?")
    assert thread_texts(api, thread["id"], "outbound").count("Still there?") == 1


def test_second_active_run_on_a_thread_is_refused(api):
    flow, thread = build_licence_flow(api), new_thread(api, simulated=False)
    start_run(api, flow, thread)
    response = api.request("POST", "/flow-runs", json={"data": {"type": "flowRuns", "attributes": {
        "flowId": flow["id"], "messageThreadId": thread["id"]}}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/messageThreadId"


def test_whatsapp_free_text_outside_the_window_ends_in_exception(api):
    flow, thread = build_licence_flow(api), new_thread(api, simulated=False, channel="whatsapp")
    run = start_run(api, flow, thread, initialMessage={"type": "text", "text": {"value": "Hi!"}})
    wait_until(lambda: status_of(api, run) == "exception", 10, "the run ended in an exception")


def test_busy_flow_cannot_be_deleted_until_its_run_ends(api):
    flow, thread = build_licence_flow(api), new_thread(api, simulated=False)
    run = start_run(api, flow, thread)
    assert api.request("DELETE", f"/flows/{flow['id']}").status_code == 422
    api.patch("flowRuns", f"/flow-runs/{run['id']}", {"status": "cancelled"})
    assert api.request("DELETE", f"/flows/{flow['id']}").status_code == 204
    assert api.all(f"/nodes?filter[flowId]={flow['id']}") == []


def test_paused_thread_keeps_the_run_queued_until_resumed(api):
    flow, thread = build_licence_flow(api), new_thread(api, simulated=False)
    api.patch("messageThreads", f"/message-threads/{thread['id']}", {"chatbotPaused": True})
    run = start_run(api, flow, thread)
    reply(api, thread["id"], "Hello, anyone?")  # stored, but no run takes it while the bot is paused
    wait_until(lambda: api.pending_jobs() >= 1, 10, "a job is pending")
    assert status_of(api, run) == "queued"
    api.patch("messageThreads", f"/message-threads/{thread['id']}", {"chatbotPaused": False})
    wait_until(lambda: status_of(api, run) == "running", 10, "the run is running")
    reply(api, thread["id"], "Hi")
    wait_for_bot(api, thread, "What is your name?")


def test_reset_end_node_restarts_with_the_initial_state(api):
    flow = api.create("flows", "/flows", {"name": "Reset loop", "reminderInterval": 0, "reminderMessage": "",
                                          "sessionTimeout": 60})
    start = api.create("nodes", "/nodes", {"flowId": flow["id"], "isStartFlow": True})
    api.create("nodeActions", "/node-actions", {"nodeId": start["id"], "actionType": "ask", "variableName": "again",
                                                "value": {"text": "Again?"}})
    reset = api.create("nodes", "/nodes", {"flowId": flow["id"], "isEndFlow": True, "endFlowType": "reset"})
    done = api.create("nodes", "/nodes", {"flowId": flow["id"], "isEndFlow": True, "endFlowType": "accepted"})
    api.create("nodeTransitions", "/node-transitions", {"nodeId": start["id"], "exitNodeId": reset["id"],
                                                        "condition": "session.again === yes"})
    api.create("nodeTransitions", "/node-transitions", {"nodeId": start["id"], "exitNodeId": done["id"]})
    thread = new_thread(api, simulated=False)
    run = start_run(api, flow, thread, state={"source": "test"})
    wait_until(lambda: status_of(api, run) == "running", 10, "the run is running")
    reply(api, thread["id"], "Hi")
    wait_for_bot(api, thread, "Again?")
    reply(api, thread["id"], "yes")
    wait_until(lambda: thread_texts(api, thread["id"], "outbound").count("Again?") == 2,
               10, "the question was asked again")
    reply(api, thread["id"], "no")
    wait_until(lambda: status_of(api, run) == "finished", 10, "the run finished")
    assert api.attrs(f"/flow-runs/{run['id']}")["state"] == {"source": "test", "again": "no"}


def test_deleted_thread_cancels_its_run(api):
    flow, thread = build_licence_flow(api), new_thread(api, simulated=False)
    run = start_run(api, flow, thread)
    assert api.request("DELETE", f"/message-threads/{thread['id']}").status_code == 204
    assert status_of(api, run) == "cancelled"
    assert api.all(f"/conversations?filter[messageThreadId]={thread['id']}") == []


def test_dead_end_without_a_question_ends_in_exception(api):
    flow = api.create("flows", "/flows", {"name": "Dead end", "reminderInterval": 0, "reminderMessage": "",
                                          "sessionTimeout": 60})
    start = api.create("nodes", "/nodes", {"flowId": flow["id"], "isStartFlow": True})
    api.create("nodeActions", "/node-actions", {"nodeId": start["id"], "actionType": "say", "value": {"text": "Hi"}})
    end = api.create("nodes", "/nodes", {"flowId": flow["id"], "isEndFlow": True, "endFlowType": "accepted"})
    api.create("nodeTransitions", "/node-transitions", {"nodeId": start["id"], "exitNodeId": end["id"],
                                                        "condition": "session.never === true"})
    run = start_run(api, flow, new_thread(api))
    wait_until(lambda: status_of(api, run) == "exception", 10, "the run ended in an exception")
