"""Bad input gets the documented error document and leaves every stored record as it was."""

from __future__ import annotations

import json

import pytest

from sandbox.defaults import DEMO_API_KEY

MEDIA = "application/vnd.api+json"


def doc(rtype: str, **attributes) -> dict:
    return {"data": {"type": rtype, "attributes": attributes}}


TEXT = {"type": "text", "text": {"value": "hi"}}
DEEP: list = []
for _ in range(80):
    DEEP = [DEEP]
BAD_REQUESTS = [
    # (case, method, path, body, extra headers, status, code, pointer)
    ("malformed_json", "POST", "/candidates", b'{"data": {', {}, 400, "bad_request", ""),
    ("body_not_object", "POST", "/candidates", b"[1, 2]", {}, 400, "bad_request", ""),
    ("not_a_number_in_json", "POST", "/flow-runs",
     b'{"data": {"type": "flowRuns", "attributes": {"flowId": "{flow}", "messageThreadId": "{thread}", '
     b'"state": {"score": NaN}}}}', {}, 400, "bad_request", ""),
    ("body_nested_too_deep", "POST", "/flow-runs",
     doc("flowRuns", flowId="{flow}", messageThreadId="{thread}", state={"deep": DEEP}), {}, 400, "bad_request", ""),
    ("data_missing", "POST", "/candidates", {"meta": {}}, {}, 400, "bad_request", "/data"),
    ("attributes_not_object", "POST", "/candidates", {"data": {"type": "candidates", "attributes": [1]}}, {},
     400, "bad_request", "/data/attributes"),
    ("type_missing", "POST", "/candidates", {"data": {"attributes": {"phone": "31612345678"}}}, {},
     400, "bad_request", "/data/type"),
    ("wrong_type", "POST", "/candidates", doc("users", phone="31612345678"), {}, 409, "conflict", "/data/type"),
    ("id_differs_from_url", "PATCH", "/candidates/{candidate}",
     {"data": {"type": "candidates", "id": "00000000-0000-4000-8000-000000000000", "attributes": {}}}, {},
     409, "conflict", "/data/id"),
    ("attribute_wrong_json_type", "POST", "/candidates", doc("candidates", phone=31612345678), {},
     422, "validation_error", "/data/attributes/phone"),
    ("required_attribute_missing", "POST", "/candidates", doc("candidates", firstName="X"), {},
     422, "validation_error", "/data/attributes/phone"),
    ("required_attribute_nulled", "PATCH", "/candidates/{candidate}", doc("candidates", phone=None), {},
     422, "validation_error", "/data/attributes/phone"),
    ("phone_in_other_digits", "POST", "/candidates", doc("candidates", phone="٣١٦١٢٣٤٥٦٧٨"), {},
     422, "validation_error", "/data/attributes/phone"),
    ("phone_not_digits", "POST", "/candidates", doc("candidates", phone="call me"), {},
     422, "validation_error", "/data/attributes/phone"),
    ("unknown_filter_field", "GET", "/candidates?filter[shoeSize]=42", None, {}, 400, "bad_request", None),
    ("unknown_filter_operator", "GET", "/candidates?filter[firstName][like]=B", None, {}, 400, "bad_request", None),
    ("unreadable_filter_date", "GET", "/candidates?filter[createdAt][gt]=yesterday", None, {},
     400, "bad_request", None),
    ("page_number_zero", "GET", "/candidates?page[number]=0", None, {}, 400, "bad_request", None),
    ("page_size_not_a_number", "GET", "/candidates?page[size]=many", None, {}, 400, "bad_request", None),
    ("unknown_page_parameter", "GET", "/candidates?page[offset]=3", None, {}, 400, "bad_request", None),
    ("unknown_sort_field", "GET", "/candidates?sort=-shoeSize", None, {}, 400, "bad_request", None),
    ("unknown_include", "GET", "/candidates?include=pets", None, {}, 400, "bad_request", None),
    ("nested_include", "GET", "/message-threads/{thread}?include=candidate.candidateStatus", None, {},
     400, "bad_request", None),
    ("body_over_one_mebibyte", "POST", "/candidates",
     doc("candidates", phone="31612345678", postalCode="x" * (1024 * 1024)), {}, 413, "payload_too_large", None),
    ("wrong_content_type", "POST", "/candidates", b"phone=31612345678",
     {"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", None),
    ("unknown_id_show", "GET", "/candidates/00000000-0000-4000-8000-000000000000", None, {}, 404, "not_found", None),
    ("unknown_id_patch", "PATCH", "/flows/00000000-0000-4000-8000-000000000000", doc("flows", name="x"), {},
     404, "not_found", None),
    ("unknown_id_delete", "DELETE", "/vacancy/00000000-0000-4000-8000-000000000000", None, {}, 404, "not_found", None),
    ("unknown_endpoint", "GET", "/pets", None, {}, 404, "not_found", None),
    ("wrong_key", "GET", "/candidates", None, {"Authorization": "Bearer not-the-key"}, 401, "unauthorized", None),
    ("missing_key", "GET", "/candidates", None, {"Authorization": ""}, 401, "unauthorized", None),
    ("key_without_bearer", "GET", "/candidates", None, {"Authorization": DEMO_API_KEY}, 401, "unauthorized", None),
    ("write_with_wrong_key", "POST", "/candidates", doc("candidates", phone="31612345678"),
     {"Authorization": "Bearer nope"}, 401, "unauthorized", None),
    ("patch_template", "PATCH", "/message-templates/{candidate}", doc("messageTemplates", name="x"), {},
     405, "method_not_allowed", None),
    ("create_candidate_status", "POST", "/candidate-statuses", doc("candidateStatuses", name="x"), {},
     405, "method_not_allowed", None),
    ("delete_organization", "DELETE", "/organizations/{candidate}", None, {}, 405, "method_not_allowed", None),
    ("duplicate_template", "POST", "/message-templates",
     doc("messageTemplates", name="welcome", language="en", category="UTILITY",
         components=[{"type": "BODY", "text": "Again"}]), {}, 400, "bad_request", None),
    ("template_without_body", "POST", "/message-templates",
     doc("messageTemplates", name="nobody", language="en", category="UTILITY",
         components=[{"type": "HEADER", "text": "Hi"}]), {}, 422, "validation_error", "/data/attributes/components"),
    ("unknown_channel", "POST", "/message-threads", doc("messageThreads", channel="telegram", identifier="123456"),
     {}, 422, "validation_error", "/data/attributes/channel"),
    ("whatsapp_identifier_with_letters", "POST", "/message-threads",
     doc("messageThreads", channel="whatsapp", identifier="31-six-one"), {}, 422, "validation_error",
     "/data/attributes/identifier"),
    ("thread_relinked_to_other_candidate", "PATCH", "/message-threads/{thread}",
     doc("messageThreads", candidateId="{user}"), {}, 422, "validation_error", "/data/attributes/candidateId"),
    ("media_message", "POST", "/messages",
     doc("messages", sendBy="Ada", messageThreadId="{thread}", payload={"type": "image", "image": {"url": "x"}}),
     {}, 422, "validation_error", "/data/attributes/payload"),
    ("message_to_unknown_thread", "POST", "/messages",
     doc("messages", sendBy="Ada", messageThreadId="{candidate}", payload=TEXT), {}, 422, "validation_error",
     "/data/attributes/messageThreadId"),
    ("run_of_unknown_flow", "POST", "/flow-runs", doc("flowRuns", flowId="{candidate}", messageThreadId="{thread}"),
     {}, 422, "validation_error", "/data/attributes/flowId"),
    ("end_node_without_type", "POST", "/nodes", doc("nodes", flowId="{flow}", isEndFlow=True), {},
     422, "validation_error", "/data/attributes/endFlowType"),
    ("ask_without_variable", "POST", "/node-actions",
     doc("nodeActions", nodeId="{node}", actionType="ask", value={"text": "Name?"}), {}, 422, "validation_error",
     "/data/attributes/variableName"),
    ("condition_nested_too_deep", "POST", "/node-transitions",
     doc("nodeTransitions", nodeId="{node}", exitNodeId="{node}", condition="(" * 900 + "yes" + ")" * 900), {},
     422, "validation_error", "/data/attributes/condition"),
    ("unparsable_condition", "POST", "/node-transitions",
     doc("nodeTransitions", nodeId="{node}", exitNodeId="{node}", condition="session.age >"), {},
     422, "validation_error", "/data/attributes/condition"),
    ("webhook_url_without_secret", "PATCH", "/organizations", doc("organizations", webhookUrl="https://hooks.example.com/x"),
     {}, 422, "validation_error", "/data/attributes/webhookSecret"),
    ("webhook_for_unknown_resource", "POST", "/webhooks", doc("webhooks", resource="pets", event="create"), {},
     422, "validation_error", "/data/attributes/resource"),
    ("other_flow_type", "POST", "/flow-generations",
     doc("flowGenerations", flowType="faq_flow", parameters={}, context="x"), {}, 422, "validation_error",
     "/data/attributes/flowType"),
    ("knockouts_not_an_array", "POST", "/flow-generations",
     doc("flowGenerations", flowType="vacancy_application_flow", context="Picker",
         parameters={"knockoutRequirements": "VCA", "preferredRequirements": []}), {}, 422, "validation_error",
     "/data/attributes/parameters/knockoutRequirements"),
    ("generation_without_vacancy_or_context", "POST", "/flow-generations",
     doc("flowGenerations", flowType="vacancy_application_flow",
         parameters={"knockoutRequirements": [], "preferredRequirements": []}), {}, 422, "validation_error",
     "/data/attributes/context"),
    ("embed_token_for_unknown_user", "POST", "/embed/authenticate",
     {"userId": "00000000-0000-4000-8000-000000000000", "originUrl": "https://intranet.example"}, {},
     404, "not_found", None),
    ("embed_token_for_a_path", "POST", "/embed/authenticate",
     {"userId": "{user}", "originUrl": "https://intranet.example/portal"}, {}, 422, "validation_error", "/originUrl"),
]


def fill(value, ids: dict):
    """The request body or path with {name} placeholders replaced by the quiet sandbox's ids."""
    if isinstance(value, bytes) or value is None:
        return value
    text = json.dumps(value) if not isinstance(value, str) else value
    for name, rid in ids.items():
        text = text.replace("{" + name + "}", rid)
    return text if isinstance(value, str) else json.loads(text)


@pytest.mark.parametrize("case,method,path,body,headers,status,code,pointer", BAD_REQUESTS,
                         ids=[row[0] for row in BAD_REQUESTS])
def test_bad_request_is_refused_and_changes_nothing(quiet, case, method, path, body, headers, status, code, pointer):
    before = quiet.stored()
    body = fill(body, quiet.ids)
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    response = quiet.request(method, fill(path, quiet.ids), data=data, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(MEDIA)
    error = response.json()["errors"][0]
    assert error["status"] == status and error["code"] == code and error["title"] and error["detail"]
    if pointer is not None:
        assert error["source"]["pointer"] == pointer
    assert quiet.stored() == before
    assert quiet.pending_jobs() == 0


def test_duplicate_template_refusal_carries_the_provider_error_object(quiet):
    response = quiet.request("POST", "/message-templates", json=doc(
        "messageTemplates", name="welcome", language="en", category="UTILITY",
        components=[{"type": "BODY", "text": "Again"}]))
    detail = response.json()["errors"][0]["detail"]
    assert detail["type"] == "OAuthException" and detail["error_subcode"] == 2388024


def test_read_only_and_unknown_attributes_are_ignored(quiet):
    created = quiet.create("candidates", "/candidates", {"phone": "+31 6 22222222", "deletedAt": "2020-01-01",
                                                         "shoeSize": 44, "organizationId": "x"})
    attributes = created["attributes"]
    assert attributes["phone"] == "31622222222" and attributes["deletedAt"] is None
    assert "shoeSize" not in attributes and attributes["organizationId"] != "x"
    assert quiet.request("DELETE", f"/candidates/{created['id']}").status_code == 204
