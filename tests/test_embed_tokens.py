"""Embed tokens on the dashboard: minted for the linked Recrubo user, cached, and never reused once refused."""

from __future__ import annotations

import requests

from dashboard.db import users
from tests.support.accounts import csrf_token, sign_in
from tests.support.servers import API_KEY


def recrubo_user_id(sandbox_server) -> str:
    response = requests.get(f"{sandbox_server.url}/public/v2/users?sort=createdAt&page[size]=1", timeout=10,
                            headers={"Authorization": f"Bearer {API_KEY}"})
    return response.json()["data"][0]["id"]


def signed_in(app, sandbox_server, linked: bool = True):
    with app.app_context():
        users.create_user("tokens@example.com", "a long password",
                          recrubo_user_id=recrubo_user_id(sandbox_server) if linked else None)
    client = app.test_client()
    sign_in(client, "tokens@example.com", "a long password")
    return client


def fresh_token(client, **body) -> tuple[int, dict]:
    token = csrf_token(client.get("/settings").get_data(as_text=True))
    response = client.post("/embeds/inbox/token", json=body, headers={"X-CSRFToken": token})
    return response.status_code, response.get_json()


def test_token_is_cached_until_the_component_refuses_it(app, sandbox_server):
    client = signed_in(app, sandbox_server)
    status, first = fresh_token(client)
    assert status == 200 and first["token"] and first["expiresAt"]
    assert fresh_token(client)[1]["token"] == first["token"]
    assert fresh_token(client, stale="some older token")[1]["token"] == first["token"]
    renewed = fresh_token(client, stale=first["token"])[1]
    assert renewed["token"] != first["token"]
    assert fresh_token(client)[1]["token"] == renewed["token"]


def test_embed_page_renders_the_cached_token_for_the_pages_origin(app, sandbox_server):
    client = signed_in(app, sandbox_server)
    html = client.get("/embeds/inbox").get_data(as_text=True)
    assert f'data-token="{fresh_token(client)[1]["token"]}"' in html
    assert f'data-origin="{app.config["RECRUBO"].app_origin}"' in html
    assert "sandbox-demo-key" not in html


def test_unlinked_account_gets_a_clear_refusal_instead_of_a_token(app, sandbox_server):
    client = signed_in(app, sandbox_server, linked=False)
    status, body = fresh_token(client)
    assert status == 409 and "not linked to a Recrubo user" in body["errors"][0]["detail"]
    assert 'id="embed-not-linked"' in client.get("/embeds/inbox").get_data(as_text=True)
