"""Fixtures of the page tests: the sandbox's API as tests see it, and a signed-in recruiter."""

from __future__ import annotations

import uuid

import pytest

from dashboard import users
from tests.conftest import sign_in
from tests.pages_helpers import api_for

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture()
def api(sandbox_server):
    """A client on the standalone sandbox's API, to arrange data and to check what pages did."""
    return api_for(sandbox_server.url)


@pytest.fixture()
def recruiter(app):
    """A test client signed in as a fresh recruiter account."""
    email = f"recruiter-{uuid.uuid4().hex[:8]}@example.com"
    with app.app_context():
        users.create_user(email, "a long password")
    client = app.test_client()
    sign_in(client, email, "a long password")
    return client
