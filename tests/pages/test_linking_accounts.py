"""Linking a dashboard account to its Recrubo user by searching the organization's users (`GET /users`) by name or
e-mail; the id field stays as the fallback, and an unreachable API is said plainly."""

from __future__ import annotations

import html
import re
import uuid

import pytest

from dashboard.db import users
from tests.support.accounts import csrf_token, sign_in
from tests.support.pages import PARTIAL


@pytest.fixture(scope="module")
def admin(pages_app):
    """A test client signed in as an admin of the pages dashboard, and the recruiter account to link."""
    with pages_app.app_context():
        users.create_user("linker@example.com", "a long password", admin=True)
        account = users.create_user(f"to-link-{uuid.uuid4().hex[:6]}@example.com", "a long password")
    client = pages_app.test_client()
    sign_in(client, "linker@example.com", "a long password")
    client.account_id = account.id
    return client


@pytest.fixture()
def recrubo_user(api):
    """A user of the sandbox's organization that no other test knows: a rare name, an e-mail of its own."""
    tag = uuid.uuid4().hex[:6]
    return api.create("users", "users", {"firstName": "Wilhelmina", "lastName": f"Ångström{tag}",
                                         "email": f"w.{tag}@recruiters.example"})


def matches(admin, text: str) -> str:
    return admin.get(f"/settings/users/{admin.account_id}/recrubo-users", query_string={"q": text},
                     headers=PARTIAL).get_data(as_text=True)


def test_a_search_finds_the_user_by_name_and_by_e_mail_and_links_it(admin, recrubo_user):
    by_name = matches(admin, recrubo_user.lastName.replace("Å", "a").lower())  # case and accents ignored
    assert f'value="{recrubo_user.id}"' in by_name and "Wilhelmina" in by_name
    by_email = matches(admin, recrubo_user.email.split("@")[0].upper())
    assert f'value="{recrubo_user.id}"' in by_email and by_email.count('name="recrubo_user_id"') == 1
    assert "No Recrubo user" in matches(admin, "nobody-is-called-this-zq")
    assert "at least 2 characters" in matches(admin, "w")
    assert f'value="{recrubo_user.id}"' in matches(admin, recrubo_user.id)  # a pasted id finds its user too

    page = admin.get("/settings/users").get_data(as_text=True)
    assert f'id="recrubo-user-search-{admin.account_id}"' in page and 'hx-trigger="input changed delay:300ms' in page
    response = admin.post(f"/settings/users/{admin.account_id}/recrubo-user", headers=PARTIAL,
                          data={"csrf_token": csrf_token(page), "recrubo_user_id": recrubo_user.id})
    assert response.status_code == 200
    with admin.application.app_context():
        assert users.get_user(admin.account_id).recrubo_user_id == recrubo_user.id
    label = admin.get(f"/settings/users/{admin.account_id}/recrubo-user", headers=PARTIAL).get_data(as_text=True)
    assert f"Wilhelmina {recrubo_user.lastName}" in label and recrubo_user.email in label


def test_without_recrubo_the_search_says_so_and_the_id_field_remains(offline_app):
    with offline_app.app_context():
        users.create_user("offline-admin@example.com", "a long password", admin=True)
    client = offline_app.test_client()
    sign_in(client, "offline-admin@example.com", "a long password")
    page = client.get("/settings/users").get_data(as_text=True)
    assert 'name="recrubo_user_id"' in page and "Paste an id instead" in page
    answer = client.get("/settings/users/1/recrubo-users", query_string={"q": "sanne"}, headers=PARTIAL)
    text = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 200 and "can't be reached" in text and "Paste an id instead" in text
    assert not re.search(r"Traceback|Internal Server Error", text)
