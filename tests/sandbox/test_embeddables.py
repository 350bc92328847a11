"""The sandbox's embeddable components over HTTP: redirects, pages, sessions and token checks (S34–S43)."""

from __future__ import annotations

import pytest
import requests

from tests.support.sandboxes import as_org, new_organization, serve
from tests.support.waiting import wait_until

ORIGIN = "http://127.0.0.1:8000"
COMPONENTS = ("inbox", "bot-studio", "generate-flow", "whatsapp-connect", "schedule-form", "schedule-table")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A demo sandbox whose embed tokens live five seconds, so expiry can be seen."""
    api, stop = serve(tmp_path_factory.mktemp("embeddables"), SANDBOX_EMBED_TOKEN_SECONDS="5")
    api.root = api.base.removesuffix("/public/v2")
    yield api
    stop()


def mint(api, origin: str = ORIGIN) -> str:
    user = api.all("/users?sort=createdAt")[0]
    response = api.request("POST", "/embed/authenticate", json={"userId": user["id"], "originUrl": origin})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def call(api, method: str, path: str, token: str | None, **kwargs) -> requests.Response:
    headers = {"X-Recrubo-Embed-Token": token} if token else {}
    return requests.request(method, f"{api.root}/embeddables/api{path}", headers=headers, timeout=10, **kwargs)


@pytest.mark.parametrize("name", COMPONENTS)
def test_component_url_redirects_without_a_key_to_a_page_with_a_strict_policy(sandbox, name):
    response = requests.get(f"{sandbox.base}/embed/component/{name}", allow_redirects=False, timeout=10)
    assert response.status_code == 302 and response.headers["Location"] == f"/embeddables/{name}"
    page = requests.get(f"{sandbox.root}{response.headers['Location']}", timeout=10)
    assert page.status_code == 200 and f'data-component="{name}"' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "<script>" not in page.text
    script = requests.get(f"{sandbox.root}/embeddables/static/{name}.js", timeout=10)
    assert script.status_code == 200 and "RecruboComponent.define" in script.text
    assert "postMessage" not in script.text  # only component.js posts, always to the checked origin


def test_unknown_component_is_404(sandbox):
    assert requests.get(f"{sandbox.base}/embed/component/payroll", allow_redirects=False, timeout=10).status_code == 404
    assert requests.get(f"{sandbox.root}/embeddables/payroll", timeout=10).status_code == 404


def test_redirect_and_page_assets_follow_the_mount_point(sandbox):
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.test import Client
    from werkzeug.wrappers import Response
    client = Client(DispatcherMiddleware(Response("outer"), {"/sandbox": sandbox.app}))
    response = client.get("/sandbox/public/v2/embed/component/inbox")
    assert response.status_code == 302 and response.headers["Location"] == "/sandbox/embeddables/inbox"
    page = client.get("/sandbox/embeddables/inbox").get_data(as_text=True)
    assert 'data-api="/sandbox/embeddables/api"' in page and 'src="/sandbox/embeddables/static/inbox.js"' in page


def test_session_accepts_the_token_only_from_its_origin(sandbox):
    token = mint(sandbox)
    good = call(sandbox, "POST", "/session", None, json={"token": token, "origin": ORIGIN})
    assert good.status_code == 200 and good.json()["user"]["fullName"] == "Sanne de Vries"
    wrong = call(sandbox, "POST", "/session", None, json={"token": token, "origin": "https://evil.example"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "origin_mismatch"
    unknown = call(sandbox, "POST", "/session", None, json={"token": "made-up", "origin": ORIGIN})
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "invalid_token"


ENDPOINTS = [
    ("GET", "/inbox/conversations", None), ("GET", "/flows", None), ("GET", "/generations", None),
    ("GET", "/schedules", None), ("GET", "/candidates", None), ("GET", "/vacancies", None),
    ("POST", "/schedules", {"title": "Intake", "startsAt": "2030-01-01T10:00:00Z", "endsAt": "2030-01-01T10:30:00Z"}),
    ("POST", "/generations", {"title": "Picker", "text": "Order picking in Tilburg."}),
]


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_component_endpoints_refuse_a_missing_or_unknown_token(sandbox, method, path, body):
    assert call(sandbox, method, path, None, json=body).json()["error"]["code"] == "invalid_token"
    assert call(sandbox, method, path, "made-up", json=body).status_code == 401


def test_component_endpoints_refuse_an_expired_token(sandbox):
    token = mint(sandbox)
    assert call(sandbox, "GET", "/flows", token).status_code == 200
    wait_until(lambda: call(sandbox, "GET", "/flows", token).status_code == 401,
               8, "the revoked token is refused", every=0.2)
    for method, path, body in ENDPOINTS:
        refused = call(sandbox, method, path, token, json=body)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_expired", path
    session = call(sandbox, "POST", "/session", None, json={"token": token, "origin": ORIGIN})
    assert session.status_code == 401 and session.json()["error"]["code"] == "token_expired"


def test_inbox_lists_conversations_and_sends_an_outbound_message(sandbox):
    token = mint(sandbox)
    conversations = call(sandbox, "GET", "/inbox/conversations", token).json()["conversations"]
    assert len(conversations) >= 10 and conversations[0]["candidate"]["name"]
    first = conversations[0]["id"]
    sent = call(sandbox, "POST", f"/inbox/conversations/{first}/messages", token, json={"text": "See you at ten"})
    assert sent.status_code == 201
    stored = sandbox.attrs(f"/messages/{sent.json()['message']['id']}")
    assert stored["origin"] == "outbound" and stored["payload"] == {"type": "text", "text": {"value": "See you at ten"}}
    # The engine moves delivery on (accepted → sent → …) a scaled two seconds later, which a loaded machine can pass
    # between the POST and this read: it starts accepted and may already be further on.
    assert stored["sendBy"] == "Sanne de Vries"
    assert stored["deliveryStatus"] in ("accepted", "sent", "delivered", "read")
    empty = call(sandbox, "POST", f"/inbox/conversations/{first}/messages", token, json={"text": "  "})
    assert empty.status_code == 400


def test_inbox_edits_a_candidates_details_and_assignee_under_the_api_rules(sandbox):
    token = mint(sandbox)
    conversation = call(sandbox, "GET", "/inbox/conversations", token).json()["conversations"][1]
    candidate_id = conversation["candidate"]["id"]
    user_id = sandbox.all("/users?sort=-createdAt")[0]["id"]
    edited = call(sandbox, "POST", f"/inbox/candidates/{candidate_id}", token,
                  json={"postalCode": " 5038 AB ", "email": "new.address@example.com", "userId": user_id})
    assert edited.status_code == 200 and edited.json()["candidate"]["postalCode"] == "5038 AB"
    stored = sandbox.attrs(f"/candidates/{candidate_id}")
    assert (stored["postalCode"], stored["email"], stored["userId"]) == ("5038 AB", "new.address@example.com", user_id)
    refused = call(sandbox, "POST", f"/inbox/candidates/{candidate_id}", token, json={"email": "not an address"})
    assert refused.status_code == 422
    assert sandbox.attrs(f"/candidates/{candidate_id}")["email"] == "new.address@example.com"


def test_bot_studio_edits_a_step_like_the_api(sandbox):
    token = mint(sandbox)
    flow = call(sandbox, "GET", "/flows", token).json()["flows"][0]
    steps = call(sandbox, "GET", f"/flows/{flow['id']}", token).json()["flow"]["steps"]
    assert steps[0]["isStartFlow"] and steps[0]["actions"]
    action = steps[0]["actions"][0]
    edited = call(sandbox, "POST", f"/node-actions/{action['id']}", token, json={"text": "Welcome to Acme!"})
    assert edited.json() == {"flowId": flow["id"]}
    assert sandbox.attrs(f"/node-actions/{action['id']}")["value"]["text"] == "Welcome to Acme!"
    assert sandbox.attrs(f"/flows/{flow['id']}")["unpublishedChanges"] is True


def test_generate_flow_runs_a_real_generation(sandbox):
    token = mint(sandbox)
    started = call(sandbox, "POST", "/generations", token, json={
        "title": "Order picker", "text": "Order picking in Tilburg, day shifts.", "knockout": "Work permit\n\n"})
    assert started.status_code == 201
    generation_id = started.json()["generation"]["id"]
    done = wait_until(lambda: sandbox.attrs(f"/flow-generations/{generation_id}")["status"] == "finished",
                      15, "the generation finished")
    assert done
    stored = sandbox.attrs(f"/flow-generations/{generation_id}")
    assert stored["parameters"]["knockoutRequirements"][0]["value"] == "Work permit" and stored["flowId"]


def test_schedules_are_the_token_users_own_and_validated(sandbox):
    token = mint(sandbox)
    candidate = call(sandbox, "GET", "/candidates", token).json()["candidates"][0]
    created = call(sandbox, "POST", "/schedules", token, json={
        "title": "Intake call", "candidateId": candidate["id"],
        "startsAt": "2031-03-02T09:00:00+01:00", "endsAt": "2031-03-02T09:30:00+01:00"})
    assert created.status_code == 201
    schedule = created.json()["schedule"]
    assert schedule["startsAt"] == "2031-03-02T08:00:00+00:00" and schedule["candidateName"] == candidate["name"]
    listed = call(sandbox, "GET", "/schedules", token).json()
    assert schedule["id"] in [s["id"] for s in listed["upcoming"]]
    backwards = call(sandbox, "POST", f"/schedules/{schedule['id']}", token, json={
        "title": "Intake", "startsAt": "2031-03-02T10:00:00Z", "endsAt": "2031-03-02T09:00:00Z"})
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "validation_error"
    assert call(sandbox, "DELETE", f"/schedules/{schedule['id']}", token).status_code == 200
    assert call(sandbox, "GET", f"/schedules/{schedule['id']}", token).status_code == 404
    assert not any(row[0] == "schedules" and row[1] == schedule["id"] for row in sandbox.stored())


def test_a_token_sees_only_its_users_organization(sandbox):
    org = new_organization(sandbox)
    key = org["attributes"]["token"]

    def create(rtype: str, path: str, attributes: dict) -> dict:
        response = as_org(sandbox, key, "POST", path, json={"data": {"type": rtype, "attributes": attributes}})
        assert response.status_code == 201, response.text
        return response.json()["data"]
    user = create("users", "/users", {"firstName": "Lotte", "lastName": "Bakker", "email": "lotte@partner.example"})
    candidate = create("candidates", "/candidates", {"firstName": "Sem", "lastName": "Jansen", "phone": "31699999999"})
    create("messageThreads", "/message-threads", {"channel": "sms", "identifier": "31699999999",
                                                  "candidateId": candidate["id"]})
    minted = as_org(sandbox, key, "POST", "/embed/authenticate", json={"userId": user["id"], "originUrl": ORIGIN})
    theirs = minted.json()["token"]
    session = call(sandbox, "POST", "/session", None, json={"token": theirs, "origin": ORIGIN}).json()
    assert session["organization"]["name"] == org["attributes"]["name"]
    conversations = call(sandbox, "GET", "/inbox/conversations", theirs).json()["conversations"]
    names = [c["candidate"]["name"] for c in conversations]
    assert names == ["Sem Jansen"]
    acme = call(sandbox, "GET", "/inbox/conversations", mint(sandbox)).json()["conversations"]
    assert "Sem Jansen" not in [c["candidate"]["name"] for c in acme]
    assert call(sandbox, "GET", f"/inbox/conversations/{acme[0]['id']}", theirs).status_code == 404
    assert call(sandbox, "POST", f"/inbox/candidates/{acme[0]['candidate']['id']}", theirs,
                json={"postalCode": "1000 AA"}).status_code == 404
    schedule = call(sandbox, "POST", "/schedules", theirs, json={
        "title": "Partner intake", "startsAt": "2031-01-01T10:00:00Z", "endsAt": "2031-01-01T11:00:00Z"}).json()
    assert "_org" not in schedule["schedule"]
    assert call(sandbox, "GET", f"/schedules/{schedule['schedule']['id']}", mint(sandbox)).status_code == 404
