"""Accounts and signing in through the real form, CSRF token included, in a test client or over HTTP."""

from __future__ import annotations

import re

import requests
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.servers import Server, remote_api


def csrf_token(html: str) -> str:
    """The CSRF token a page embeds in its forms."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str) -> TestResponse:
    """Sign in a Flask test client through the real form; return the response."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def create_account(server: Server, email: str, password: str, admin: bool = False) -> None:
    """Add an account to a started dashboard's own database (the same instance folder it runs on)."""
    from dashboard import create_app
    from dashboard.db import users

    environment = {"INSTANCE_PATH": str(server.instance),
                   **remote_api("http://127.0.0.1:9/public/v2")}  # never called: accounts only
    with create_app(environment).app_context():
        users.create_user(email, password, admin=admin)


def signed_in_session(server: Server, email: str, password: str) -> requests.Session:
    """A requests session signed in to `server` through the real form."""
    session = requests.Session()
    token = csrf_token(session.get(f"{server.url}/login", timeout=10).text)
    response = session.post(f"{server.url}/login", data={"email": email, "password": password,
                                                          "csrf_token": token},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return session
