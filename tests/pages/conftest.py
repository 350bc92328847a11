"""Fixtures of the page tests: the sandbox's API as tests see it, a signed-in recruiter, and a dashboard whose read
model was filled by a sync (on SQLite, then on Postgres) with a recruiter signed in to it."""

from __future__ import annotations

import pytest

from dashboard import create_app
from dashboard.db import users
from tests.support.accounts import sign_in
from tests.support.apps import dispose
from tests.support.model_lists import synced_app
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


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def model_app(request, tmp_path_factory, sandbox_server, api):
    """An in-process dashboard on the standalone sandbox whose read model (on SQLite, then on Postgres) was filled
    by one sync, with the API's candidates and threads as they were then."""
    app = synced_app(request, tmp_path_factory, sandbox_server, "model-lists", "lister@example.com")
    app.snapshot = {"candidates": list(api.iterate("candidates", sort="createdAt")),
                    "threads": list(api.iterate("message-threads", sort="createdAt"))}
    yield app
    dispose(app)


@pytest.fixture(scope="module")
def lister(model_app):
    """A test client signed in as a recruiter on `model_app`."""
    client = model_app.test_client()
    sign_in(client, "lister@example.com", "a long password")
    return client
