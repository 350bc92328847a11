"""Admins manage accounts; recruiters cannot; bad input shows its field error and stores nothing."""

from __future__ import annotations

import pytest

from dashboard.db import users
from tests.support.accounts import csrf_token, sign_in, signed_in_client
from tests.support.pages import PARTIAL


@pytest.fixture()
def admin(offline_app):
    return signed_in_client(offline_app, "admin@example.com", admin=True)


def emails(app) -> list[str]:
    with app.app_context():
        return [user.email for user in users.all_users()]


def post(client, path: str, **data):
    token = csrf_token(client.get("/settings/users").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, headers=PARTIAL)


def test_admin_creates_a_recruiter_linked_to_a_recrubo_user(admin, offline_app):
    response = post(admin, "/settings/users", email="New@Example.com", password="another long one",
                    recrubo_user_id="3c1f9a0e-8b2d-4f6a-9c1e-5d7b2a4e6f80")
    assert response.status_code == 200 and "new@example.com" in response.get_data(as_text=True)
    with offline_app.app_context():
        created = [user for user in users.all_users() if user.email == "new@example.com"][0]
    assert not created.is_admin and created.recrubo_user_id == "3c1f9a0e-8b2d-4f6a-9c1e-5d7b2a4e6f80"
    newcomer = offline_app.test_client()
    assert sign_in(newcomer, "new@example.com", "another long one").status_code == 302


@pytest.mark.parametrize("data, field", [
    ({"email": "not-an-address", "password": "long enough pw"}, "email"),
    ({"email": "short@example.com", "password": "short"}, "password"),
    ({"email": "x@example.com", "password": "long enough pw", "recrubo_user_id": "42"}, "recrubo_user_id"),
    ({"email": "admin@example.com", "password": "long enough pw"}, "email"),
])
def test_bad_account_input_shows_its_field_error_and_stores_nothing(admin, offline_app, data, field):
    before = emails(offline_app)
    response = post(admin, "/settings/users", **data)
    assert response.status_code == 422
    assert f'id="account-{field}-error"' in response.get_data(as_text=True)
    assert emails(offline_app) == before


def test_admin_promotes_and_removes_others_but_not_themself(admin, offline_app):
    with offline_app.app_context():
        other = users.create_user("other@example.com", "a long password")
    assert post(admin, f"/settings/users/{other.id}/role", admin="1").status_code == 200
    with offline_app.app_context():
        assert users.get_user(other.id).is_admin
    assert post(admin, "/settings/users/1/role", admin="0").status_code == 409
    assert post(admin, "/settings/users/1/delete").status_code == 409
    assert post(admin, f"/settings/users/{other.id}/delete").status_code == 200
    assert emails(offline_app) == ["admin@example.com"]
    assert post(admin, "/settings/users/999/delete").status_code == 404


def test_recruiter_cannot_see_or_change_accounts(offline_app):
    with offline_app.app_context():
        users.create_user("recruiter@example.com", "a long password")
    client = offline_app.test_client()
    sign_in(client, "recruiter@example.com", "a long password")
    assert client.get("/settings/users").status_code == 403
    token = csrf_token(client.get("/settings").get_data(as_text=True))
    response = client.post("/settings/users", data={"csrf_token": token, "email": "sneaky@example.com",
                                                    "password": "long enough pw", "admin": "y"})
    assert response.status_code == 403 and "sneaky@example.com" not in emails(offline_app)


def test_removed_account_loses_its_session(admin, offline_app):
    with offline_app.app_context():
        users.create_user("leaver@example.com", "a long password")
    leaver = offline_app.test_client()
    sign_in(leaver, "leaver@example.com", "a long password")
    assert leaver.get("/settings").status_code == 200
    post(admin, "/settings/users/2/delete")
    assert leaver.get("/settings").status_code == 302


def test_admin_links_and_unlinks_an_account_to_a_recrubo_user(admin, offline_app):
    recrubo_user = "3c1f9a0e-8b2d-4f6a-9c1e-5d7b2a4e6f80"
    assert post(admin, "/settings/users/1/recrubo-user", recrubo_user_id=recrubo_user).status_code == 200
    with offline_app.app_context():
        assert users.get_user(1).recrubo_user_id == recrubo_user
    assert post(admin, "/settings/users/1/recrubo-user", recrubo_user_id="not-a-uuid").status_code == 422
    with offline_app.app_context():
        assert users.get_user(1).recrubo_user_id == recrubo_user
    assert post(admin, "/settings/users/1/recrubo-user", recrubo_user_id="").status_code == 200
    with offline_app.app_context():
        assert users.get_user(1).recrubo_user_id is None
