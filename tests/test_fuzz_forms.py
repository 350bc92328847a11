"""Property-based fuzzing of the dashboard's forms: any input gets a clear answer and stores nothing bad."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.config import ConfigError, parse_frame_ancestors
from dashboard.core import security
from dashboard.db import users
from tests.support.accounts import csrf_token, sign_in

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Text as browsers send it: any unicode but NUL and lone surrogates, sometimes long.
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=400)


def admin_client(app):
    """One signed-in admin per app, reused by every example (signing in costs a password hash)."""
    if "fuzz_admin" not in app.extensions:
        with app.app_context():
            users.create_user("fuzz@example.com", "a long password", admin=True)
        client = app.test_client()
        sign_in(client, "fuzz@example.com", "a long password")
        app.extensions["fuzz_admin"] = client
    return app.extensions["fuzz_admin"]


@FUZZ
@given(email=text, password=text)
def test_sign_in_with_any_input_is_refused_readably(offline_app, email, password):
    client = offline_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code in (400, 401, 429)  # 429 once the sign-in limiter has seen enough guesses
    with client.session_transaction() as session:
        assert "user_id" not in session


@FUZZ
@given(value=text)
def test_framing_form_stores_only_valid_origin_lists(offline_app, value):
    client = admin_client(offline_app)
    token = csrf_token(client.get("/settings").get_data(as_text=True))
    response = client.post("/settings/framing", data={"frame_ancestors": value, "csrf_token": token})
    assert response.status_code in (302, 422)
    policy = client.get("/settings").headers["Content-Security-Policy"]
    ancestors = policy.split("frame-ancestors ", 1)[1].split(";", 1)[0]
    assert parse_frame_ancestors(ancestors) == ancestors  # whatever is stored is a valid, normalized list
    with offline_app.app_context():
        assert security.frame_ancestors() == ancestors
    if response.status_code == 422:
        try:
            parse_frame_ancestors(value)
            raise AssertionError(f"{value!r} is valid but was refused")
        except ConfigError:
            pass


@FUZZ
@given(email=text, password=text, recrubo_user_id=text)
def test_account_form_with_any_input_creates_only_valid_accounts(offline_app, email, password, recrubo_user_id):
    client = admin_client(offline_app)
    token = csrf_token(client.get("/settings/users").get_data(as_text=True))
    response = client.post("/settings/users", data={"email": email, "password": password,
                                                    "recrubo_user_id": recrubo_user_id, "csrf_token": token})
    assert response.status_code in (302, 422)
    with offline_app.app_context():
        for account in users.all_users():
            assert "@" in account.email and account.email == account.email.strip().lower()
            assert account.recrubo_user_id is None or len(account.recrubo_user_id) == 36
