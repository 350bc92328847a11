"""Flow generations build real graphs; vacancy analyses read skills; both fail on the test marker."""

from __future__ import annotations

from tests.support.flows import new_thread, reply, thread_texts
from tests.support.waiting import wait_until

PARAMETERS = {"knockoutRequirements": [{"value": "Fluent in Dutch", "sessionField": "dutch_fluency"}],
              "preferredRequirements": [{"value": "Forklift certificate"}],
              "requiredFields": [{"value": "name", "sessionField": "name"}]}


def generate(api, **attributes) -> dict:
    return api.create("flowGenerations", "/flow-generations",
                      {"flowType": "vacancy_application_flow", "parameters": PARAMETERS, **attributes})


def test_generation_finishes_with_a_real_graph(api):
    vacancy = api.create("vacancies", "/vacancy", {"title": "Warehouse operator",
                                                   "description": "Order picking; Dutch is required."})
    generation = generate(api, parameters={**PARAMETERS, "vacancyId": vacancy["id"]})
    assert generation["attributes"]["status"] == "queued"
    done = wait_until(lambda: (a := api.attrs(f"/flow-generations/{generation['id']}"))["status"] == "finished" and a,
                      10, "the generation finished")
    assert done["cost"] == 10 and done["error"] is None
    flow = api.attrs(f"/flows/{done['flowId']}")
    assert flow["flowGenerationId"] == generation["id"] and flow["vacancyId"] == vacancy["id"]
    assert flow["publishedAt"] and flow["unpublishedChanges"] is False
    nodes = api.all(f"/nodes?filter[flowId]={done['flowId']}&include=nodeActions")
    assert sum(1 for n in nodes if n["attributes"]["isStartFlow"]) == 1
    ends = sorted(n["attributes"]["endFlowType"] for n in nodes if n["attributes"]["isEndFlow"])
    assert ends == ["accepted", "declined"]
    for node in nodes:
        assert len(api.all(f"/node-actions?filter[nodeId]={node['id']}")) == 1
    actions = [a["attributes"] for n in nodes for a in api.all(f"/node-actions?filter[nodeId]={n['id']}")]
    assert {a["variableName"] for a in actions if a["actionType"] == "ask"} == {"name", "dutch_fluency",
                                                                                "forklift_certificate"}
    conditions = [t["attributes"]["condition"] for t in api.all("/node-transitions?page[size]=200")
                  if t["attributes"]["condition"] == 'session.dutch_fluency === "no"']
    assert conditions


def test_generated_flow_declines_a_candidate_lacking_a_knockout(api):
    generation = generate(api, context={"text": "Forklift driver\nYou are fluent in Dutch."})
    done = wait_until(lambda: (a := api.attrs(f"/flow-generations/{generation['id']}"))["status"] == "finished" and a,
                      10, "the generation finished")
    thread = new_thread(api, simulated=False)
    run = api.create("flowRuns", "/flow-runs", {"flowId": done["flowId"], "messageThreadId": thread["id"]})
    wait_until(lambda: api.attrs(f"/flow-runs/{run['id']}")["status"] == "running", 10, "the run is running")
    for answer in ("Hi", "Noor Hendriks", "no"):
        count = len(thread_texts(api, thread["id"], "outbound"))
        reply(api, thread["id"], answer)
        wait_until(lambda count=count: len(thread_texts(api, thread["id"], "outbound")) > count
                   or api.attrs(f"/flow-runs/{run['id']}")["status"] == "finished",
                   10, "the bot answered or the run finished")
    wait_until(lambda: api.attrs(f"/flow-runs/{run['id']}")["status"] == "finished", 10, "the run finished")
    assert api.attrs(f"/flow-runs/{run['id']}")["state"] == {"name": "Noor Hendriks", "dutch_fluency": "no"}
    assert "cannot continue your application" in thread_texts(api, thread["id"], "outbound")[-1]


def test_generation_with_the_fail_marker_ends_in_exception(api):
    generation = generate(api, context="Night shift picker SANDBOX_FAIL")
    failed = wait_until(
        lambda: (a := api.attrs(f"/flow-generations/{generation['id']}"))["status"] == "exception" and a,
        10, "the generation failed")
    assert failed["error"] and failed["flowId"] is None and failed["cost"] == 0


def test_sync_generation_answers_with_the_finished_resource(api):
    response = api.request("POST", "/flow-generations?sync=true", json={"data": {
        "type": "flowGenerations", "attributes": {"flowType": "vacancy_application_flow", "parameters": PARAMETERS,
                                                  "context": "Chef\nHACCP is a must."}}})
    assert response.status_code == 201
    assert response.json()["data"]["attributes"]["status"] == "finished"


def test_vacancy_analysis_reads_skills_and_certifications(api):
    text = ("Warehouse operator in Tilburg.\n- You must have a VCA certificate.\n- Forklift experience is a plus.\n"
            "- You are a team player and communicate clearly.\n- Fluent in Dutch is required.")
    response = api.request("POST", "/vacancy-analyses?sync=true", json={"data": {
        "type": "vacancyAnalyses", "attributes": {"inputText": text}}})
    assert response.status_code == 201
    attributes = response.json()["data"]["attributes"]
    assert attributes["status"] == "finished" and attributes["error"] is None
    result = attributes["analyzeResult"]
    hard = {s["skill"]: s for s in result["hardSkills"]}
    assert hard["Dutch"]["rating"] == 5 and hard["forklift driving"]["rating"] == 2
    assert {s["skill"] for s in result["softSkills"]} >= {"teamwork", "communication"}
    certification = result["certifications"][0]
    assert certification["certification"] == "VCA safety certificate" and certification["required"] is True
    assert all(1 <= s["rating"] <= 5 and s["writtenAsRequirement"] for s in result["hardSkills"])


def test_vacancy_analysis_with_the_fail_marker_ends_in_exception(api):
    analysis = api.create("vacancyAnalyses", "/vacancy-analyses", {"inputText": "SANDBOX_FAIL please"})
    assert analysis["attributes"]["analyzeResult"] is None
    failed = wait_until(lambda: (a := api.attrs(f"/vacancy-analyses/{analysis['id']}"))["status"] == "exception" and a,
                        10, "the analysis failed")
    assert failed["error"] and failed["analyzeResult"] is None
