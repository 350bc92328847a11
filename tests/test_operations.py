"""What operators rely on: request ids in logs, proxy headers only when configured, trusted SSO."""

from __future__ import annotations

from dashboard import create_app
from dashboard.db import users
from tests.support.servers import remote_api

SSO = {"SSO_HEADER": "X-Forwarded-Email", "SSO_TRUSTED_PROXIES": "10.1.2.0/24"}


def make_app(tmp_path, **env):
    return create_app({"INSTANCE_PATH": str(tmp_path), **remote_api("http://127.0.0.1:9/public/v2"), **env})


def test_a_request_id_that_is_not_an_id_is_replaced(offline_app):
    response = offline_app.test_client().get("/login", headers={"X-Request-Id": "bad id <script>"})
    assert response.headers["X-Request-Id"] != "bad id <script>"
    assert len(response.headers["X-Request-Id"]) == 32


def test_forwarded_proto_is_ignored_without_a_trusted_proxy(offline_app):
    response = offline_app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in response.headers["Set-Cookie"]


def test_forwarded_proto_counts_behind_a_configured_proxy(tmp_path):
    app = make_app(tmp_path, TRUSTED_PROXY_COUNT="1")
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_sso_header_from_the_trusted_proxy_signs_in_as_a_recruiter(tmp_path):
    app = make_app(tmp_path, **SSO)
    client = app.test_client()
    response = client.get("/settings", headers={"X-Forwarded-Email": "Jane.Doe@Corp.example"},
                          environ_base={"REMOTE_ADDR": "10.1.2.7"})
    assert response.status_code == 200 and "jane.doe@corp.example" in response.get_data(as_text=True)
    with app.app_context():
        user = users.get_user(1)
    assert user.email == "jane.doe@corp.example" and not user.is_admin


def test_sso_header_from_anyone_else_is_ignored(tmp_path):
    app = make_app(tmp_path, **SSO)
    response = app.test_client().get("/settings", headers={"X-Forwarded-Email": "boss@corp.example"},
                                     environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_sso_peer_is_the_connection_not_a_forwarded_address(tmp_path):
    app = make_app(tmp_path, TRUSTED_PROXY_COUNT="1", **SSO)
    response = app.test_client().get("/settings", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                                     headers={"X-Forwarded-Email": "boss@corp.example",
                                              "X-Forwarded-For": "10.1.2.7"})
    assert response.status_code == 302
