"""The demo seed is realistic and consistent: the dashboard's recruiter first, runs matching their flows."""

from __future__ import annotations

from collections import Counter

from tests.support.waiting import wait_until


def test_demo_seed_starts_with_the_recruiter_and_varied_data(api):
    users = api.all("/users?sort=createdAt")
    assert users[0]["attributes"]["email"] == "recruiter@acme.example"
    assert len(api.all("/candidates?filter[lastName][prefix]=")) >= 50
    channels = Counter(t["attributes"]["channel"] for t in api.all("/message-threads"))
    assert channels["whatsapp"] >= 20 and channels["facebook-messenger"] >= 10
    statuses = Counter(r["attributes"]["status"] for r in api.all("/flow-runs"))
    assert {"finished", "timeout", "cancelled", "exception"} <= set(statuses)
    generations = Counter(g["attributes"]["status"] for g in api.all("/flow-generations"))
    assert generations["finished"] >= 2 and generations["exception"] >= 1
    assert any(a["attributes"]["analyzeResult"] for a in api.all("/vacancy-analyses"))
    subscriptions = {(w["attributes"]["resource"], w["attributes"]["event"]) for w in api.all("/webhooks")}
    assert {("flowRuns", "update"), ("flowGenerations", "update"), ("messages", "create")} <= subscriptions


def test_demo_runs_hold_answers_to_their_flows_questions(api):
    questions: dict = {}
    for action in api.all("/node-actions?filter[actionType]=ask"):
        questions.setdefault(action["attributes"]["nodeId"], set()).add(action["attributes"]["variableName"])
    flow_variables: dict = {}
    for node in api.all("/nodes"):
        flow_variables.setdefault(node["attributes"]["flowId"], set()).update(questions.get(node["id"], set()))
    threads = {t["id"] for t in api.all("/message-threads")}
    # The seed's runs (another test's run may start with a state of its own, reference §5.8).
    finished = [r for r in api.all("/flow-runs?filter[status]=finished")
                if r["attributes"]["flowId"] in api.demo_flow_ids]
    assert finished
    for run in finished:
        attributes = run["attributes"]
        assert set(attributes["state"]) - {"screened"} <= flow_variables[attributes["flowId"]]
        assert attributes["messageThreadId"] in threads
        bot = api.all(f"/messages?filter[messageThreadId]={attributes['messageThreadId']}&filter[origin]=outbound"
                      f"&filter[sendBy]=Recrubo Bot")
        assert len(bot) == attributes["cost"]


def test_demo_generated_flow_has_more_than_ten_steps(api):
    warehouse = next(f for f in api.all("/flows") if f["attributes"]["name"].startswith("Warehouse"))
    assert warehouse["attributes"]["flowGenerationId"]
    assert len(api.all(f"/nodes?filter[flowId]={warehouse['id']}")) > 10


def test_demo_queued_runs_play_out_once_the_engine_runs(api):
    newest = api.all("/candidates?filter[email][suffix]=@example.com&sort=-createdAt")[:2]
    threads = [api.all(f"/message-threads?filter[candidateId]={c['id']}")[0] for c in newest]
    live = [api.all(f"/flow-runs?filter[messageThreadId]={t['id']}")[0] for t in threads]
    wait_until(lambda: all(api.attrs(f"/flow-runs/{r['id']}")["status"] == "finished" for r in live),
               20, "every live demo run finished")
