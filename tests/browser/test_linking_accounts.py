"""Linking an account to its Recrubo user in a real browser on the embedded default: type part of a name, then of
an e-mail, into the search box; the matches appear as you type; one click links the account."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from scripts.screenshots import sign_in
from tests.support.accounts import create_account
from tests.support.pages import api_for

pytestmark = pytest.mark.browser


def test_an_admin_links_an_account_by_searching_a_name_then_an_e_mail(page: Page, live_server):
    api = api_for(f"{live_server.url}/sandbox")
    tag = uuid.uuid4().hex[:6]
    user = api.create("users", "users", {"firstName": "Hendrika", "lastName": f"Zuiderveld{tag}",
                                         "email": f"h.{tag}@planners.example"})
    email = f"planner-{tag}@example.com"
    create_account(live_server, email, "a long password")
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/settings/users")
    row = page.locator("tr", has_text=email)
    search = row.locator("input[type=search]")

    search.fill(f"zuiderveld{tag}")
    expect(row.locator(".user-match-list li")).to_have_count(1)
    expect(row.locator(".user-match-list")).to_contain_text(user.email)
    search.fill(f"h.{tag}@PLANNERS")
    expect(row.locator(".user-match-list li")).to_have_count(1)
    expect(row.locator(".user-match-list")).to_contain_text(f"Hendrika Zuiderveld{tag}")
    row.get_by_role("button", name=f"Link {email} to Hendrika Zuiderveld{tag}").click()

    expect(row.locator(".linked-user")).to_contain_text(f"Linked to Hendrika Zuiderveld{tag}")
    expect(row.locator(".linked-user")).to_contain_text(user.email)
    expect(row.locator("input[name=recrubo_user_id]")).to_have_value(user.id)
