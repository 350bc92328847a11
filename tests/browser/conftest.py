"""Fixtures of the browser tests: a sandbox and a dashboard on different sites, an intranet on a third."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.support.embeds import SNIPPET, Hosting, Intranet, sign_in_page, start_hosting


@pytest.fixture(scope="package")
def hosting(tmp_path_factory):
    """One sandbox and one dashboard on different sites, shared by the embedding tests."""
    hosting = start_hosting(tmp_path_factory.mktemp("embeds"))
    yield hosting
    hosting.stop()


@pytest.fixture(scope="package")
def intranet(tmp_path_factory, hosting: Hosting):
    """The README's snippet on a page of a third origin (http://localhost:R), plus a forging page."""
    folder = tmp_path_factory.mktemp("intranet")
    (folder / "portal.html").write_text(SNIPPET.format(url=hosting.dashboard.url))
    (folder / "elsewhere.html").write_text("<!doctype html><title>Somewhere else</title><p>Not the component.</p>")
    site = Intranet(folder)
    yield site
    site.close()


@pytest.fixture()
def signed_in(page: Page, hosting: Hosting) -> Page:
    """The page, signed in to the hosting dashboard as its admin."""
    sign_in_page(page, hosting.dashboard.url, hosting.email)
    return page
