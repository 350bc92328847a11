"""The review gate for generated flows: a flow a generation made is held back from launching until someone
approves it on its generation page (who and when shown), which also shows the vacancy analysis that shaped it."""

from __future__ import annotations

import html as markup

import pytest

from tests.support.accounts import csrf_token
from tests.support.pages import PARTIAL, make_flow, make_thread, unique
from tests.support.waiting import wait_until

VACANCY = ("Night porter at a hotel in Maastricht. You welcome late guests, check them in and keep the lobby safe. "
           "You need a security certificate and speak German or French. Hotel experience is a plus. {tag}")


def post(recruiter, path: str, page: str, **fields):
    """POST a form as htmx does, with the CSRF token of `page`."""
    token = csrf_token(recruiter.get(page).get_data(as_text=True))
    return recruiter.post(path, data={"csrf_token": token, **fields}, headers=PARTIAL)


def generate(recruiter, api, name: str, text: str) -> tuple[str, str]:
    """Generate a flow through the dashboard's form from a pasted vacancy; the generation's id and its flow's."""
    response = post(recruiter, "/flow-generations", "/flow-generations/new", source="text", vacancyTitle=name,
                    vacancyText=text, knockoutRequirements="Security certificate", preferredRequirements="Hotel work",
                    language="en", flowName=name)
    assert response.status_code == 201
    generation_id = response.headers["HX-Redirect"].rsplit("/", 1)[-1]
    finished = wait_until(lambda: (g := api.get("flow-generations", generation_id)).status == "finished" and g,
                          40, "the generation finished", every=0.3)
    return generation_id, finished.flowId


@pytest.fixture(scope="module")
def analysed(recruiter, api):
    """A generated flow whose vacancy text was analysed first: (generation id, flow id, analysis id, name)."""
    name = unique("Night porter")
    text = VACANCY.format(tag=name)
    response = post(recruiter, "/vacancy-analyses", "/flow-generations/new", source="text", vacancyText=text)
    assert response.status_code == 201
    analysis_id = response.get_data(as_text=True).split('id="vacancy-analysis-', 1)[1].split('"', 1)[0]
    wait_until(lambda: api.get("vacancy-analyses", analysis_id).get("analyzeResult"), 40, "the analysis finished",
               every=0.3)
    generation_id, flow_id = generate(recruiter, api, name, text)
    return generation_id, flow_id, analysis_id, name


def test_an_unapproved_generated_flow_is_held_back_and_offered_once_approved(recruiter, api, analysed):
    generation_id, flow_id, _, name = analysed
    form = recruiter.get("/flow-runs/new").get_data(as_text=True)
    assert f'value="{flow_id}"' not in form
    notice = form.split('id="flows-awaiting-review"', 1)[1].split("</p>", 1)[0]
    assert markup.escape(name) in notice and f"/flow-generations/{generation_id}" in notice
    assert "holds them back from launching until reviewed" in notice
    listed = recruiter.get(f"/flows?q={name}").get_data(as_text=True)
    assert "Awaiting review" in listed.split(f'id="flow-{flow_id}"', 1)[1].split("</tr>", 1)[0]
    page = recruiter.get(f"/flows/{flow_id}").get_data(as_text=True)
    assert 'id="review-flow"' in page and 'id="start-run"' not in page

    review = recruiter.get(f"/flow-generations/{generation_id}/review", headers=PARTIAL).get_data(as_text=True)
    assert 'id="approve-flow"' in review and "Recrubo publishes generated flows itself" in review
    refused = recruiter.post(f"/flow-generations/{generation_id}/approve", data={}, headers=PARTIAL)
    assert refused.status_code == 400 and 'id="approve-flow"' in recruiter.get(
        f"/flow-generations/{generation_id}/review", headers=PARTIAL).get_data(as_text=True)

    approved = post(recruiter, f"/flow-generations/{generation_id}/approve", f"/flow-generations/{generation_id}")
    html = approved.get_data(as_text=True)
    assert approved.status_code == 200 and 'id="approve-flow"' not in html
    assert "recruiter@example.com" in html.split('id="flow-approved-by"', 1)[1].split("</strong>", 1)[0]
    assert "<time" in html.split('id="flow-approved-at"', 1)[1].split("</span>", 1)[0]
    assert f'value="{flow_id}"' in recruiter.get("/flow-runs/new").get_data(as_text=True)
    assert "Awaiting review" not in recruiter.get(f"/flows?q={name}").get_data(as_text=True)
    page = recruiter.get(f"/flows/{flow_id}").get_data(as_text=True)
    assert 'id="start-run"' in page and "recruiter@example.com" in page


def test_launching_an_unapproved_generated_flow_by_a_crafted_post_is_refused(recruiter, api):
    _, flow_id = generate(recruiter, api, unique("Crafted"), VACANCY.format(tag=unique("crafted")))
    thread = make_thread(api, unique("Gate").replace(" ", ""))
    response = post(recruiter, "/flow-runs", "/flow-runs/new", flowId=flow_id, messageThreadId=thread.id)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "awaits review" in html.split('id="flowId-error"', 1)[1].split("</p>", 1)[0]
    assert api.list("flow-runs", filters={"messageThreadId": thread.id}).items == []


def test_a_hand_built_flow_is_never_held_back(recruiter, api):
    flow = make_flow(api, unique("By hand"), questions=1)
    form = recruiter.get("/flow-runs/new").get_data(as_text=True)
    assert f'value="{flow.id}"' in form
    assert "Awaiting review" not in recruiter.get(f"/flows/{flow.id}").get_data(as_text=True)


def test_the_generation_page_shows_the_analysis_that_shaped_it_and_the_requirements_taken(recruiter, analysed):
    generation_id, _, analysis_id, _ = analysed
    page = recruiter.get(f"/flow-generations/{generation_id}").get_data(as_text=True)
    shaped = page.split('id="generation-shaped"', 1)[1].split("</aside>", 1)[0]
    assert f'id="vacancy-analysis-{analysis_id}"' in shaped and "Hard skills" in shaped
    assert "Security certificate" in shaped.split('id="generation-requirements"', 1)[1]
    assert 'id="generation-review"' in page


def test_a_generation_without_an_analysis_says_so(recruiter, api):
    generation_id, _ = generate(recruiter, api, unique("Unanalysed"), VACANCY.format(tag=unique("alone")))
    page = recruiter.get(f"/flow-generations/{generation_id}").get_data(as_text=True)
    assert 'id="no-vacancy-analysis"' in page and "There was no vacancy analysis" in page
