"""Fixtures of the page tests: the sandbox's API as tests see it, and a signed-in recruiter."""

from __future__ import annotations

import pytest

from dashboard import create_app
from dashboard.db import users
from tests.support.accounts import sign_in
from tests.support.pages import api_for
from tests.support.servers import remote_api


@pytest.fixture(scope="module")
def api(sandbox_server):
    """A client on the standalone sandbox's API, to arrange data and to check what pages did."""
    return api_for(sandbox_server.url)


@pytest.fixture(scope="module")
def pages_app(tmp_path_factory, sandbox_server):
    """One in-process dashboard per module on the standalone sandbox (an app and a sign-in per test cost seconds)."""
    instance = tmp_path_factory.mktemp("pages") / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), **remote_api(f"{sandbox_server.url}/public/v2")})
    with app.app_context():
        users.create_user("recruiter@example.com", "a long password")
    return app


@pytest.fixture(scope="module")
def recruiter(pages_app):
    """A test client signed in as a recruiter."""
    client = pages_app.test_client()
    sign_in(client, "recruiter@example.com", "a long password")
    return client
