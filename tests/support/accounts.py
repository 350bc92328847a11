"""Accounts and signing in through the real form, CSRF token included, in a test client or over HTTP."""

from __future__ import annotations

import re

import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from dashboard.db import users
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


def signed_in_client(app: Flask, email: str, password: str = "a long password", admin: bool = False) -> FlaskClient:
    """A test client of an in-process dashboard, signed in as a new account (an admin when `admin`)."""
    with app.app_context():
        users.create_user(email, password, admin=admin)
    client = app.test_client()
    sign_in(client, email, password)
    return client


def create_account(server: Server, email: str, password: str, admin: bool = False,
                   recrubo_user_id: str | None = None) -> None:
    """Add an account to a started dashboard's own database (the same instance folder it runs on), linked to
    `recrubo_user_id` when given."""
    from dashboard import create_app
    from dashboard.db import users

    environment = {"INSTANCE_PATH": str(server.instance),
                   **{name: server.env[name] for name in ("DATABASE_URL",) if server.env.get(name)},
                   **remote_api("http://127.0.0.1:9/public/v2")}  # never called: accounts only
    with create_app(environment).app_context():
        users.create_user(email, password, admin=admin, recrubo_user_id=recrubo_user_id)


def signed_in_session(server: Server, email: str, password: str) -> requests.Session:
    """A requests session signed in to `server` through the real form."""
    session = requests.Session()
    token = csrf_token(session.get(f"{server.url}/login", timeout=10).text)
    response = session.post(f"{server.url}/login", data={"email": email, "password": password,
                                                          "csrf_token": token},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return session


def post_form(session: requests.Session, server: Server, page: str, action: str,
              data: dict[str, str] | None = None) -> requests.Response:
    """Post a form as a browser does: the CSRF token read from `page`, the form posted to `action`."""
    token = csrf_token(session.get(f"{server.url}{page}", timeout=10).text)
    return session.post(f"{server.url}{action}", data={**(data or {}), "csrf_token": token},
                        allow_redirects=False, timeout=10)


def account_id(admin: requests.Session, server: Server, email: str) -> int:
    """The id of the account with `email`, as the admin's accounts page shows it."""
    page = admin.get(f"{server.url}/settings/users", timeout=10).text
    match = re.search(rf'<tr id="account-(\d+)">\s*<td[^>]*>{re.escape(email)}', page)
    assert match, f"no account {email} on the accounts page"
    return int(match.group(1))
