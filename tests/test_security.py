"""The security baseline: CSRF on POSTs, hardened cookies and headers on every response."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from dashboard.db import users
from tests.support.accounts import sign_in


@pytest.fixture()
def signed_in(client, app):
    with app.app_context():
        users.create_user("guard@example.com", "a long password")
    sign_in(client, "guard@example.com", "a long password")
    return client


def post_routes(app):
    """A URL for every route that accepts POST, from the URL map, so a new route cannot forget CSRF."""
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()) and not rule.websocket and not rule.rule.startswith("/webhooks/"):
            values = {name: 1 if isinstance(converter, IntegerConverter) else "inbox"
                      for name, converter in rule._converters.items()}
            routes.append(adapter.build(rule.endpoint, values, method="POST"))
    return sorted(routes)


def test_every_post_route_without_a_token_is_refused_readably(signed_in, app):
    routes = post_routes(app)
    assert "/login" in routes and "/logout" in routes
    for route in routes:
        response = signed_in.post(route, data={"email": "guard@example.com", "password": "a long password"})
        assert response.status_code == 400, route
        assert "This form has expired" in response.get_data(as_text=True), route


def test_post_with_a_forged_token_is_refused(signed_in):
    response = signed_in.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert signed_in.get("/settings").status_code == 200


def test_htmx_post_carries_the_token_in_its_header(signed_in):
    page = signed_in.get("/settings").get_data(as_text=True)
    assert 'hx-headers:inherited=\'{"X-CSRFToken": "' in page
    token = page.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    response = signed_in.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/login", "/healthz", "/nowhere", "/static/css/dashboard.css"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'self'" in policy and "object-src 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_session_cookie_is_http_only_and_secure_over_https(app):
    with app.app_context():
        users.create_user("https@example.com", "a long password")
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        response = sign_in_at(client, base)
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure, cookie


def sign_in_at(client, base: str):
    from tests.support.accounts import csrf_token

    page = client.get("/login", base_url=base).get_data(as_text=True)
    return client.post("/login", base_url=base, headers={"Referer": f"{base}/login"},
                       data={"email": "https@example.com", "password": "a long password",
                             "csrf_token": csrf_token(page)})


def test_oversized_body_is_refused_readably(client):
    response = client.post("/login", data={"email": "x" * (1024 * 1024 + 10)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_pushed_forms_carry_no_token_of_their_own_so_each_page_sends_its_own(signed_in, app):
    import json
    import re
    import uuid

    from dashboard.db.events import get as get_event
    from dashboard.live import render
    from tests.support.payloads import payload
    from tests.support.servers import WEBHOOK_SECRET

    page = signed_in.get("/flow-runs").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)  # what htmx sends with every request
    run = str(uuid.uuid4())
    document = payload(run, status="running")
    assert signed_in.post("/webhooks/recrubo", data=json.dumps(document), headers={
        "Content-Type": "application/vnd.api+json", "X-Recrubo-Webhook-Secret": WEBHOOK_SECRET}).status_code == 200
    with app.app_context(), app.test_request_context("/"):
        bodies = dict(render.render(get_event(document["data"]["id"])))
    detail = bodies[f"flowRuns:{run}"]["content"]
    # A token made for the push would belong to no session and, as a form field, win over the page's header.
    assert 'id="cancel-run"' in detail and 'name="csrf_token" value=""' in detail
    headers = {"HX-Request": "true", "HX-Request-Type": "partial"}
    sent = signed_in.post(f"/flow-runs/{run}/cancel", data={"csrf_token": ""},
                          headers={**headers, "X-CSRFToken": token})
    assert "This form has expired" not in sent.get_data(as_text=True)  # the page's token was taken
    forged = signed_in.post(f"/flow-runs/{run}/cancel", data={"csrf_token": ""},
                            headers={**headers, "X-CSRFToken": "forged"})
    assert forged.status_code == 400 and "This form has expired" in forged.get_data(as_text=True)
