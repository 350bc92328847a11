"""The review gate in a real browser on the embedded default: a flow the sandbox's generation engine made is
missing from the launch picker (which says why and links to the review) until it is approved, and open flows lists
lose its badge when it is."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from scripts.screenshots import sign_in
from tests.support.pages import api_for, unique
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser
VACANCY = ("Kitchen help in a hotel in Delft, evening shifts. You prepare vegetables, keep the kitchen clean and help "
           "the cooks. You need a food hygiene certificate. Experience in a kitchen is a plus.")


def analysed(api, name: str) -> str:
    """The id of a finished analysis of the vacancy text `generated_flow` uses for `name`."""
    analysis = api.create("vacancy-analyses", "vacancyAnalyses", {"inputText": f"{VACANCY} ({name})"})
    wait_until(lambda: api.get("vacancy-analyses", analysis.id).get("analyzeResult"), 45, "the analysis finished",
               every=0.3)
    return analysis.id


def generated_flow(api, name: str) -> tuple[str, str]:
    """A vacancy and a flow generated from it by the sandbox's engine: (generation id, flow id)."""
    vacancy = api.create("vacancy", "vacancies", {"title": name, "description": f"{VACANCY} ({name})"})
    generation = api.create("flow-generations", "flowGenerations", {
        "flowType": "vacancy_application_flow",
        "parameters": {"vacancyId": vacancy.id, "flowName": name, "language": "en", "useEmojis": False,
                       "knockoutRequirements": [{"value": "Food hygiene certificate", "sessionField": ""}],
                       "preferredRequirements": [], "requiredFields": [{"value": "name", "sessionField": "name"}]}})
    finished = wait_until(lambda: (g := api.get("flow-generations", generation.id)).status == "finished" and g,
                          45, "the generation finished", every=0.3)
    return generation.id, finished.flowId


def test_an_unapproved_generated_flow_is_missing_from_the_launch_picker_until_approved(page: Page, live_server):
    api = api_for(f"{live_server.url}/sandbox")
    sign_in(page, live_server.url)
    name = unique("Kitchen help")
    analysis_id = analysed(api, name)
    generation_id, flow_id = generated_flow(api, name)

    # An open flows list, which the approval updates in place (once the flow's webhook has brought its row).
    flows = page.context.new_page()
    row = flows.locator(f"#flow-{flow_id}")

    def listed() -> bool:
        flows.goto(f"{live_server.url}/flows?q={name}")
        return row.count() == 1

    wait_until(listed, 30, "the flows list shows the generated flow", every=0.5)
    expect(row.locator(".awaiting-review")).to_have_text("Awaiting review")

    page.goto(f"{live_server.url}/flow-runs/new")
    expect(page.locator("#flows-awaiting-review")).to_contain_text(name)
    expect(page.locator("#flowId option", has_text=name)).to_have_count(0)
    page.locator("#flows-awaiting-review").get_by_role("link", name=name).click()
    expect(page).to_have_url(f"{live_server.url}/flow-generations/{generation_id}")
    expect(page.locator("#generation-shaped")).to_contain_text("Food hygiene certificate")
    expect(page.locator(f"#generation-shaped #vacancy-analysis-{analysis_id}")).to_contain_text("Hard skills")
    expect(page.locator("#generation-review")).to_contain_text("holds them back from launching until reviewed")
    page.click("#approve-flow")
    expect(page.locator("#flow-approved-by")).to_contain_text("@")
    expect(page.locator("#flow-approved-at time")).to_be_visible()

    expect(row.locator(".awaiting-review")).to_have_count(0)  # pushed: the list was not reloaded
    page.goto(f"{live_server.url}/flow-runs/new")
    page.select_option("#flowId", label=name)
    expect(page.locator("#flowId option:checked")).to_have_text(name)
    expect(page.locator("body")).not_to_contain_text(f"{name} —")
