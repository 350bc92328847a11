"""Sign-in, sign-out, the session guard and the `flask users` command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dashboard.db import users
from tests.support.accounts import csrf_token, sign_in
from tests.support.servers import PYTHON, ROOT, server_environment


@pytest.fixture()
def account(app):
    with app.app_context():
        users.create_user("Recruiter@Example.com", "correct horse battery", recrubo_user_id=None)
    return "recruiter@example.com", "correct horse battery"


@pytest.mark.parametrize("path", ["/", "/flows", "/flow-runs", "/message-threads", "/flow-generations",
                                  "/embeds", "/settings"])
def test_every_page_but_sign_in_needs_a_session(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_htmx_request_without_session_is_told_to_redirect(client):
    response = client.get("/flows", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def test_sign_in_with_right_password_starts_a_session(client, account):
    response = sign_in(client, account[0].upper(), account[1])
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/settings").status_code == 200


def test_wrong_password_shows_an_error_and_no_session(client, account):
    response = sign_in(client, account[0], "wrong password")
    assert response.status_code == 401
    assert "do not match an account" in response.get_data(as_text=True)
    assert client.get("/settings").status_code == 302


def test_unknown_email_is_refused_like_a_wrong_password(client, account):
    response = sign_in(client, "nobody@example.com", account[1])
    assert response.status_code == 401
    assert "do not match an account" in response.get_data(as_text=True)


def test_sign_in_returns_to_the_page_asked_for(client, account):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=/flow-runs?page=2", data={"email": account[0], "password": account[1],
                                                                  "csrf_token": token})
    assert response.headers["Location"] == "/flow-runs?page=2"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "/%0d%0aSet-Cookie:x=y"])
def test_next_never_leaves_the_dashboard(client, account, target):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", query_string={"next": target},
                           data={"email": account[0], "password": account[1], "csrf_token": token})
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "evil" not in location or location.startswith("/%")


def test_session_planted_before_sign_in_does_not_survive(client, account):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, *account)
    with client.session_transaction() as session:
        assert "planted" not in session and "user_id" in session


def test_sign_out_ends_the_session(client, account):
    sign_in(client, *account)
    page = client.get("/settings").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/settings").status_code == 302


def test_users_create_command_stores_a_hashed_password(tmp_path: Path):
    env = server_environment(INSTANCE_PATH=str(tmp_path), RECRUBO_API_URL="http://127.0.0.1:9/public/v2")
    command = [str(Path(PYTHON).with_name("flask")), "--app", "wsgi", "users", "create", "Admin@Example.com",
               "--password", "s3cret-pass", "--admin", "--recrubo-user-id", "3c1f9a0e-8b2d-4f6a-9c1e-5d7b2a4e6f80"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Created admin account admin@example.com" in result.stdout
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode != 0 and "exists already" in again.stderr
    import sqlite3

    row = sqlite3.connect(tmp_path / "dashboard.db").execute(
        "SELECT password_hash, is_admin, recrubo_user_id FROM users WHERE email = 'admin@example.com'").fetchone()
    assert row[0] != "s3cret-pass" and row[0].startswith(("scrypt:", "pbkdf2:"))
    assert row[1] == 1 and row[2] == "3c1f9a0e-8b2d-4f6a-9c1e-5d7b2a4e6f80"


def test_sandbox_reset_command_erases_and_reseeds_the_embedded_sandbox(tmp_path: Path):
    import sqlite3

    env = server_environment(INSTANCE_PATH=str(tmp_path))
    flask = str(Path(PYTHON).with_name("flask"))
    built = subprocess.run([flask, "--app", "wsgi", "routes"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60)
    assert built.returncode == 0 and "/webhooks/recrubo" in built.stdout  # building the app seeds its sandbox
    database = tmp_path / "sandbox.db"
    seeded = sqlite3.connect(database).execute("SELECT COUNT(*) FROM resources").fetchone()[0]
    sqlite3.connect(database).execute("DELETE FROM resources WHERE type = 'flows'").connection.commit()
    refused = subprocess.run([flask, "--app", "wsgi", "sandbox", "reset"], cwd=ROOT, env=env, input="n\n",
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    reset = subprocess.run([flask, "--app", "wsgi", "sandbox", "reset", "--yes"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert reset.returncode == 0 and "was reset" in reset.stdout, reset.stderr
    assert sqlite3.connect(database).execute("SELECT COUNT(*) FROM resources").fetchone()[0] == seeded
