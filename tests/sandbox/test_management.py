"""The partner's management routes: organizations with their own keys, data and webhooks (S2, S10)."""

from __future__ import annotations

import requests

from sandbox.defaults import DEMO_PARTNER_KEY
from tests.support.sandboxes import as_org, new_organization, partner
from tests.support.waiting import wait_until


def test_partner_creates_an_organization_with_its_own_key_and_empty_data(api):
    org = new_organization(api)
    token = org["attributes"]["token"]
    assert token and token != api.session.headers["Authorization"].split()[1]
    own = as_org(api, token, "GET", "/organizations").json()["data"]
    assert [o["id"] for o in own] == [org["id"]] and own[0]["attributes"]["token"] is None
    assert as_org(api, token, "GET", "/candidates").json()["meta"]["total"] == 0
    assert as_org(api, token, "GET", "/candidate-statuses").json()["meta"]["total"] == 7
    listed = partner(api, "GET", "/organizations").json()["data"]
    assert {org["id"], api.all("/organizations")[0]["id"]} <= {o["id"] for o in listed}


def test_organizations_never_see_each_others_records(api):
    org = new_organization(api)
    token = org["attributes"]["token"]
    theirs = as_org(api, token, "POST", "/candidates", json={"data": {"type": "candidates", "attributes": {
        "phone": "31699999999", "firstName": "Tenant"}}}).json()["data"]
    ours = api.all("/candidates")[0]
    assert api.get(f"/candidates/{theirs['id']}").status_code == 404
    assert as_org(api, token, "GET", f"/candidates/{ours['id']}").status_code == 404
    assert as_org(api, token, "PATCH", f"/candidates/{ours['id']}", json={"data": {"type": "candidates",
                                                                                  "attributes": {}}}).status_code == 404
    refused = as_org(api, token, "POST", "/message-threads", json={"data": {"type": "messageThreads", "attributes": {
        "channel": "sms", "identifier": "31699999999", "candidateId": ours["id"]}}})
    assert refused.status_code == 422
    assert theirs["id"] not in [c["id"] for c in api.all("/candidates")]


def test_refreshed_key_voids_the_old_one(api):
    org = new_organization(api)
    old = org["attributes"]["token"]
    response = partner(api, "POST", f"/refresh-token/{org['id']}")
    assert response.status_code == 200
    new = response.json()["data"]["attributes"]["token"]
    assert new != old
    assert as_org(api, old, "GET", "/organizations").status_code == 401
    assert as_org(api, new, "GET", "/organizations").status_code == 200


def test_keys_of_the_wrong_kind_are_refused(api):
    org = new_organization(api)
    assert as_org(api, org["attributes"]["token"], "GET", "/management/organizations").status_code == 401
    assert api.get("/management/organizations").status_code == 401
    response = requests.get(api.base + "/candidates", headers={"Authorization": f"Bearer {DEMO_PARTNER_KEY}"},
                            timeout=10)
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "unauthorized"


def test_organization_webhooks_go_to_its_own_url_with_its_own_secret(api, receiver):
    org = new_organization(api, receiver)
    token = org["attributes"]["token"]
    as_org(api, token, "POST", "/webhooks", json={"data": {"type": "webhooks", "attributes": {
        "resource": "vacancies", "event": "create"}}})
    vacancy = as_org(api, token, "POST", "/vacancy", json={"data": {"type": "vacancies", "attributes": {
        "title": "Tenant job", "description": "Somewhere else."}}}).json()["data"]
    delivery = wait_until(lambda: [d for d in receiver.received("/tenant")
                                   if d.body["data"]["attributes"]["resource"]["id"] == vacancy["id"]],
                          10, "the tenant's webhook arrived")[0]
    assert delivery.headers["X-Recrubo-Webhook-Secret"] == "tenant-secret"
    assert all(d.body["data"]["attributes"]["resource"]["id"] != vacancy["id"] for d in receiver.received("/hooks"))


def test_deleted_organization_takes_its_data_but_the_own_one_stays(api):
    org = new_organization(api)
    token = org["attributes"]["token"]
    assert partner(api, "DELETE", f"/organizations/{org['id']}").status_code == 204
    assert as_org(api, token, "GET", "/candidates").status_code == 401
    assert partner(api, "GET", f"/organizations/{org['id']}").status_code == 404
    own = api.all("/organizations")[0]
    assert partner(api, "DELETE", f"/organizations/{own['id']}").status_code == 422
    renamed = partner(api, "PATCH", f"/organizations/{own['id']}", json={"data": {
        "type": "organizations", "id": own["id"], "attributes": {"name": "Acme Recruiting"}}})
    assert renamed.status_code == 200 and renamed.json()["data"]["attributes"]["token"]
