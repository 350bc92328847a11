"""Being framed by an intranet: the admin's allowlist drives CSP frame-ancestors and the cookies."""

from __future__ import annotations

import pytest

from dashboard.db import users
from tests.support.accounts import csrf_token, sign_in

INTRANET = "https://intranet.example.com"


def signed_in(app, admin: bool):
    email = f"{'admin' if admin else 'recruiter'}@example.com"
    with app.app_context():
        users.create_user(email, "a long password", admin=admin)
    client = app.test_client()
    sign_in(client, email, "a long password")
    return client


def save_framing(client, value: str, **headers):
    token = csrf_token(client.get("/settings").get_data(as_text=True))
    return client.post("/settings/framing", data={"frame_ancestors": value, "csrf_token": token}, headers=headers)


def test_only_self_may_frame_by_default_with_lax_cookies(offline_app):
    client = signed_in(offline_app, admin=False)
    response = client.get("/settings")
    assert "frame-ancestors 'self';" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_admin_allows_an_intranet_origin_applied_without_restart(offline_app):
    client = signed_in(offline_app, admin=True)
    response = save_framing(client, f"'self' {INTRANET}/")
    assert response.status_code == 302
    page = client.get("/settings")
    assert f"frame-ancestors 'self' {INTRANET};" in page.headers["Content-Security-Policy"]
    assert f'data-frame-ancestors="&#39;self&#39; {INTRANET}"' in page.get_data(as_text=True)
    cookie = page.headers["Set-Cookie"] if "Set-Cookie" in page.headers else \
        client.get("/settings").headers.get("Set-Cookie", "")
    anonymous = offline_app.test_client().get("/login")
    third_party = anonymous.headers["Set-Cookie"]
    assert "SameSite=None" in third_party and "Secure" in third_party and "Partitioned" in third_party
    assert cookie == "" or "SameSite=None" in cookie


def test_recruiter_cannot_change_framing(offline_app):
    client = signed_in(offline_app, admin=False)
    response = save_framing(client, INTRANET)
    assert response.status_code == 403 and "Only an administrator" in response.get_data(as_text=True)
    assert "frame-ancestors 'self';" in client.get("/settings").headers["Content-Security-Policy"]


@pytest.mark.parametrize("value", ["javascript:alert(1)", "https://a.example;script-src *", "",
                                   "'none' https://a.example", "ftp://files.example"])
def test_bad_framing_list_shows_its_error_and_stores_nothing(offline_app, value):
    client = signed_in(offline_app, admin=True)
    response = save_framing(client, value, **{"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="field-error"' in html and 'id="framing"' in html and "<html" not in html
    assert "frame-ancestors 'self';" in client.get("/settings").headers["Content-Security-Policy"]


def test_no_page_is_handed_the_settings_or_shows_a_secret(app):
    # The whole Config holds the API key, the webhook secret and SECRET_KEY: a template gets the fields it shows.
    from flask import template_rendered

    from dashboard.config import Config

    config = app.config["RECRUBO"]
    client = signed_in(app, admin=True)
    contexts = []

    def record(sender, template, context, **extra) -> None:
        contexts.append(context)

    pages = ["/", "/flows", "/flow-runs", "/message-threads", "/flow-generations", "/settings", "/settings/events",
             "/settings/users", "/embeds"]
    with template_rendered.connected_to(record, app):
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            html = response.get_data(as_text=True)
            assert config.api_key not in html and config.webhook_secret not in html and config.secret_key not in html
    assert len(contexts) >= len(pages)
    assert not [name for context in contexts for name, value in context.items() if isinstance(value, Config)]
