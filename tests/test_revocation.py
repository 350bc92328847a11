"""Sessions end for real: sign-out, a new password, a new role or a deleted account ends every session of the
account, a copied cookie included, and the hub closes its open sockets within seconds, in every instance."""

from __future__ import annotations

import uuid

import pytest
import requests
import simple_websocket

from tests.support.accounts import account_id, create_account, post_form, signed_in_session
from tests.support.servers import run_flask, start_dashboard, stop
from tests.support.sockets import DEAD_API, close_code, nothing_more, socket

ADMIN, PASSWORD = "admin@example.com", "a long password"
SESSION_ENDED = 1008  # policy violation: hx-ws does not reconnect, the page shows Offline


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    server = start_dashboard(tmp_path_factory.mktemp("revocation"), RECRUBO_API_URL=DEAD_API)
    create_account(server, ADMIN, PASSWORD, admin=True)
    yield server
    stop(server.process)


@pytest.fixture()
def admin(dashboard):
    session = signed_in_session(dashboard, ADMIN, PASSWORD)
    yield session
    session.close()


def recruiter(server) -> tuple[str, requests.Session]:
    """A fresh account, signed in."""
    email = f"recruiter-{uuid.uuid4().hex[:8]}@example.com"
    create_account(server, email, PASSWORD)
    return email, signed_in_session(server, email, PASSWORD)


def copy_of(session: requests.Session) -> requests.Session:
    """Another client holding the same cookie (copied off a shared computer, say)."""
    copy = requests.Session()
    copy.cookies.update(session.cookies)
    return copy


def is_signed_out(server, session: requests.Session) -> bool:
    """True when the session's cookie opens nothing any more: /settings sends it to the sign-in page."""
    response = session.get(f"{server.url}/settings", allow_redirects=False, timeout=10)
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_copied_before_sign_out_opens_nothing_afterwards(dashboard):
    email, session = recruiter(dashboard)
    copied = copy_of(session)
    assert copied.get(f"{dashboard.url}/settings", allow_redirects=False, timeout=10).status_code == 200
    ws = socket(dashboard, copied, "flowRuns")  # the copy's open page
    assert post_form(session, dashboard, "/settings", "/logout").status_code == 302
    assert close_code(ws) == SESSION_ENDED
    assert is_signed_out(dashboard, copied)
    with pytest.raises(simple_websocket.ConnectionError) as refused:
        socket(dashboard, copied, "flowRuns")
    assert refused.value.status_code == 401
    again = signed_in_session(dashboard, email, PASSWORD)  # signing in again works as before
    assert again.get(f"{dashboard.url}/settings", allow_redirects=False, timeout=10).status_code == 200


def test_deleting_an_account_closes_its_socket_and_kills_its_cookie(dashboard, admin):
    email, session = recruiter(dashboard)
    ws = socket(dashboard, session, "flowRuns")
    own = socket(dashboard, admin, "flowRuns")
    try:
        user_id = account_id(admin, dashboard, email)
        response = post_form(admin, dashboard, "/settings/users", f"/settings/users/{user_id}/delete")
        assert response.status_code == 302
        assert close_code(ws) == SESSION_ENDED
        nothing_more(own, 0.5)  # the admin's own socket stays open
        assert is_signed_out(dashboard, session)
    finally:
        own.close()


@pytest.mark.parametrize("promote", [True, False])
def test_a_role_change_ends_the_accounts_sessions(dashboard, admin, promote):
    email, session = recruiter(dashboard)
    user_id = account_id(admin, dashboard, email)
    if not promote:  # first made an admin (which ends that session), then signed in again and demoted
        post_form(admin, dashboard, "/settings/users", f"/settings/users/{user_id}/role", {"admin": "1"})
        session = signed_in_session(dashboard, email, PASSWORD)
    ws = socket(dashboard, session, "flowRuns")
    response = post_form(admin, dashboard, "/settings/users", f"/settings/users/{user_id}/role",
                         {"admin": "1" if promote else "0"})
    assert response.status_code == 302
    assert close_code(ws) == SESSION_ENDED
    assert is_signed_out(dashboard, session)


def test_a_new_password_ends_the_accounts_sessions(dashboard):
    email, session = recruiter(dashboard)
    ws = socket(dashboard, session, "flowRuns")
    result = run_flask(dashboard, "users", "set-password", email, "--password", "another long password")
    assert result.returncode == 0, result.stderr
    assert close_code(ws) == SESSION_ENDED
    assert is_signed_out(dashboard, session)
    signed_in_session(dashboard, email, "another long password")
    old = requests.Session()
    old.get(f"{dashboard.url}/login", timeout=10)
    refused = post_form(old, dashboard, "/login", "/login", {"email": email, "password": PASSWORD})
    assert refused.status_code == 401


def test_set_password_refuses_an_unknown_account_or_a_short_password(dashboard):
    assert run_flask(dashboard, "users", "set-password", "nobody@example.com", "--password", "long enough!")\
        .returncode != 0
    email, _ = recruiter(dashboard)
    short = run_flask(dashboard, "users", "set-password", email, "--password", "short")
    assert short.returncode != 0 and "8 characters" in short.stderr


def test_a_socket_on_another_instance_is_closed_too(tmp_path):
    """Two instances on one database (no Redis): each checks the sessions of its own sockets there."""
    shared = {"DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}", "SECRET_KEY": uuid.uuid4().hex,
              "RECRUBO_API_URL": DEAD_API}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start_dashboard(tmp_path / "a", **shared)
    try:
        second = start_dashboard(tmp_path / "b", **shared)
        try:
            create_account(first, ADMIN, PASSWORD, admin=True)
            email, session = recruiter(first)
            ws = socket(second, session, "flowRuns")  # the same cookie, on the other instance
            admin = signed_in_session(first, ADMIN, PASSWORD)
            user_id = account_id(admin, first, email)
            assert post_form(admin, first, "/settings/users", f"/settings/users/{user_id}/delete").status_code == 302
            assert close_code(ws) == SESSION_ENDED
            assert is_signed_out(second, session)
        finally:
            stop(second.process)
    finally:
        stop(first.process)
