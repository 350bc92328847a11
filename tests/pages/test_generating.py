"""Generating a flow from a pasted or existing vacancy, with an optional analysis first: what is created in the
sandbox, and how bad input is answered without creating anything."""

from __future__ import annotations

import pytest

from tests.support.accounts import csrf_token
from tests.support.pages import PARTIAL
from tests.support.waiting import wait_until

VACANCY = ("Warehouse order picker, night shift, Tilburg. You pick and pack web shop orders with a hand scanner. "
           "You need a forklift certificate and speak Dutch or English. Experience with a WMS is a plus.")


def post(recruiter, path: str, **fields):
    """POST a form of the generate page as htmx does, with its CSRF token."""
    token = csrf_token(recruiter.get("/flow-generations/new").get_data(as_text=True))
    return recruiter.post(path, data={"csrf_token": token, **fields}, headers=PARTIAL)


def totals(api) -> dict[str, int]:
    """How many vacancies, generations and analyses the sandbox holds."""
    return {path: api.list(path, size=1).total for path in ("vacancy", "flow-generations", "vacancy-analyses")}


def test_generating_from_a_pasted_vacancy_creates_the_vacancy_then_the_generation(recruiter, api):
    response = post(recruiter, "/flow-generations", source="text", vacancyTitle="Order picker Tilburg",
                    vacancyText=VACANCY, knockoutRequirements="Forklift certificate\n- Speaks Dutch or English",
                    preferredRequirements="Experience with a WMS", requiredFields=["name", "phone"], language="nl",
                    useEmojis="on", flowName="Order picker night")
    assert response.status_code == 201
    generation_id = response.headers["HX-Redirect"].rsplit("/", 1)[-1]
    generation = api.get("flow-generations", generation_id)
    parameters = generation.parameters
    vacancy = api.get("vacancy", parameters["vacancyId"])
    assert (vacancy.title, vacancy.description) == ("Order picker Tilburg", VACANCY)
    assert [item["value"] for item in parameters["knockoutRequirements"]] == ["Forklift certificate",
                                                                              "Speaks Dutch or English"]
    assert [item["value"] for item in parameters["requiredFields"]] == ["name", "phone"]
    assert (parameters["language"], parameters["useEmojis"], parameters["flowName"]) == ("nl", True,
                                                                                         "Order picker night")
    finished = wait_until(lambda: (g := api.get("flow-generations", generation_id)).status == "finished" and g,
                          40, "the generation finished", every=0.3)
    page = recruiter.get(f"/flow-generations/{generation_id}").get_data(as_text=True)
    assert f'/flows/{finished.flowId}/graph' in page and "The flow is ready" in page


def test_generating_from_an_existing_vacancy_passes_its_id(recruiter, api):
    vacancy = api.list("vacancy", size=1).items[0]
    before = api.list("vacancy", size=1).total
    response = post(recruiter, "/flow-generations", source="existing", vacancyId=vacancy.id, language="en")
    assert response.status_code == 201
    generation = api.get("flow-generations", response.headers["HX-Redirect"].rsplit("/", 1)[-1])
    assert generation.parameters["vacancyId"] == vacancy.id
    assert api.list("vacancy", size=1).total == before


@pytest.mark.parametrize("fields, field", [
    ({"source": "text", "vacancyTitle": "Picker", "vacancyText": "Too short."}, "vacancyText"),
    ({"source": "text", "vacancyTitle": "", "vacancyText": VACANCY}, "vacancyTitle"),
    ({"source": "existing", "vacancyId": ""}, "vacancyId"),
    ({"source": "existing", "vacancyId": "00000000-0000-7000-8000-000000000000"}, "vacancyId"),
    ({"source": "text", "vacancyTitle": "Picker", "vacancyText": VACANCY, "language": "xx"}, "language"),
    ({"source": "text", "vacancyTitle": "Picker", "vacancyText": VACANCY, "flowName": "x" * 101}, "flowName"),
    ({"source": "text", "vacancyTitle": "Picker", "vacancyText": VACANCY,
      "knockoutRequirements": "\n".join(f"Skill {n}" for n in range(21))}, "knockoutRequirements"),
], ids=["short text", "no title", "no vacancy picked", "vacancy gone", "unknown language", "long name",
        "too many must-haves"])
def test_each_bad_generate_input_is_answered_at_its_field_and_creates_nothing(recruiter, api, fields, field):
    before = totals(api)
    response = post(recruiter, "/flow-generations", **{"language": "en", **fields})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in html and '<form id="generate"' in html
    assert totals(api) == before


def test_analysing_a_vacancy_suggests_requirements(recruiter, api):
    response = post(recruiter, "/vacancy-analyses", source="text", vacancyText=VACANCY)
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    analysis_id = html.split('id="vacancy-analysis-', 1)[1].split('"', 1)[0]
    assert api.get("vacancy-analyses", analysis_id).inputText == VACANCY
    wait_until(lambda: api.get("vacancy-analyses", analysis_id).get("analyzeResult"), 40, "the analysis has a result",
               every=0.3)
    block = recruiter.get(f"/vacancy-analyses/{analysis_id}", headers=PARTIAL).get_data(as_text=True)
    assert 'id="use-analysis"' in block and "Hard skills" in block
    filled = recruiter.get(f"/vacancy-analyses/{analysis_id}/requirements", headers=PARTIAL).get_data(as_text=True)
    assert filled.lstrip().startswith('<fieldset id="requirements"')
    assert "forklift" in filled.lower()


def test_analysing_without_a_text_creates_nothing(recruiter, api):
    before = totals(api)
    response = post(recruiter, "/vacancy-analyses", source="text", vacancyText="short")
    assert response.status_code == 422 and 'id="analysis-error"' in response.get_data(as_text=True)
    assert totals(api) == before
