"""The pages render what the API holds, and a readable message when it cannot be reached."""

from __future__ import annotations

import pytest

from dashboard import create_app
from dashboard.db import users
from dashboard.recrubo.client import RecruboClient
from tests.support.accounts import sign_in
from tests.support.servers import API_KEY, free_port, remote_api

LISTS = [("/flows", "flows", "flow-"), ("/flow-runs", "flow-runs", "flow-run-"),
         ("/message-threads", "message-threads", "message-thread-"),
         ("/flow-generations", "flow-generations", "flow-generation-")]


def signed_in_client(app):
    with app.app_context():
        users.create_user("pages@example.com", "a long password")
    client = app.test_client()
    sign_in(client, "pages@example.com", "a long password")
    return client


@pytest.mark.parametrize("url, path, prefix", LISTS)
def test_list_pages_show_the_newest_resources_of_the_api(app, sandbox_server, url, path, prefix):
    client = signed_in_client(app)
    expected = RecruboClient(f"{sandbox_server.url}/public/v2", API_KEY).list(path, size=25).items
    html = client.get(url).get_data(as_text=True)
    assert expected, f"the demo seed has no {path}"
    for resource in expected:
        assert f'id="{prefix}{resource.id}"' in html
    fragment = client.get(url, headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert f'id="{prefix}{expected[0].id}"' in fragment.get_data(as_text=True)


def test_home_shows_the_organization_and_real_counts(app, sandbox_server):
    client = signed_in_client(app)
    api = RecruboClient(f"{sandbox_server.url}/public/v2", API_KEY)
    organization = api.list("organizations", size=1).items[0]
    html = client.get("/").get_data(as_text=True)
    assert organization.name in html
    assert f'<span class="card-count">{api.list("flows", size=1).total}</span>' in html


def test_unreachable_api_gives_a_readable_page_not_a_crash(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), **remote_api(f"http://127.0.0.1:{free_port()}/v2")})
    client = signed_in_client(app)
    response = client.get("/flows")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Recrubo is unreachable" in html and "Traceback" not in html
    partial = client.get("/flows", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert partial.status_code == 503 and 'id="error"' in partial.get_data(as_text=True)
    assert "<html" not in partial.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["recrubo_api"].startswith("failing")


def test_unknown_page_is_a_readable_404(app):
    client = signed_in_client(app)
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "There is nothing at this address" in response.get_data(as_text=True)
