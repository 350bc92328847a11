"""Generating a flow from a vacancy: read and check the form, create the vacancy if pasted, undo on refusal."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from dashboard.recrubo.client import RecruboClient, RecruboError, Resource
from dashboard.recrubo.ids import is_id

log = logging.getLogger(__name__)
FLOW_TYPE = "vacancy_application_flow"
LANGUAGES = {"en": "English", "nl": "Dutch", "de": "German", "fr": "French", "es": "Spanish"}
REQUIRED_FIELDS = {"name": "Full name", "email": "E-mail address", "phone": "Phone number",
                   "postal_code": "Postal code", "date_of_birth": "Date of birth"}
MIN_VACANCY_TEXT = 40
MAX_REQUIREMENTS = 20
# API attributes named in a 422's `source.pointer`, as the form fields that hold them.
FORM_FIELDS = {"title": "vacancyTitle", "description": "vacancyText", "knockoutRequirements": "knockoutRequirements",
               "preferredRequirements": "preferredRequirements", "language": "language", "flowName": "flowName"}


class Rejected(Exception):
    """The generation cannot go ahead; `errors` maps form field names (or `form`) to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class Generation:
    """The generate form: where the vacancy comes from, requirements and the flow's parameters."""

    source: str = "text"  # text | existing
    vacancy_id: str = ""
    vacancy_title: str = ""
    vacancy_text: str = ""
    knockout: list[str] = field(default_factory=list)
    preferred: list[str] = field(default_factory=list)
    required_fields: list[str] = field(default_factory=lambda: ["name", "email"])
    language: str = "en"
    use_emojis: bool = False
    flow_name: str = ""


def lines(text: str) -> list[str]:
    """Non-empty trimmed lines of a textarea."""
    # People paste lists with bullets; the bullet is not part of the requirement.
    cleaned = (line.strip().lstrip("-•* ").strip() for line in text.splitlines())
    return [line for line in cleaned if line]


def read(form: MultiDict) -> Generation:
    """The generate form's values, trimmed."""
    return Generation(form.get("source", "text"), form.get("vacancyId", "").strip(),
                      form.get("vacancyTitle", "").strip()[:200], form.get("vacancyText", "").strip()[:20000],
                      lines(form.get("knockoutRequirements", "")), lines(form.get("preferredRequirements", "")),
                      [name for name in form.getlist("requiredFields") if name in REQUIRED_FIELDS],
                      form.get("language", "en"), form.get("useEmojis") == "on", form.get("flowName", "").strip())


def check(generation: Generation, api: RecruboClient) -> None:
    """Raise Rejected with a message per field when the form cannot produce a flow; writes nothing."""
    errors: dict[str, str] = {}
    if generation.source == "existing":
        if not generation.vacancy_id:
            errors["vacancyId"] = "Pick the vacancy to build the flow from."
        elif not is_id(generation.vacancy_id) or api.find("vacancies", generation.vacancy_id) is None:
            errors["vacancyId"] = "That vacancy no longer exists; pick another."
    elif generation.source == "text":
        if not generation.vacancy_title:
            errors["vacancyTitle"] = "Give the vacancy a title (candidates see it)."
        if len(generation.vacancy_text) < MIN_VACANCY_TEXT:
            errors["vacancyText"] = (f"Paste the vacancy text: at least {MIN_VACANCY_TEXT} characters, so the "
                                     "flow can answer candidates' questions from it.")
    else:
        errors["source"] = "Choose where the vacancy comes from."
    for name, items in (("knockoutRequirements", generation.knockout), ("preferredRequirements", generation.preferred)):
        if len(items) > MAX_REQUIREMENTS:
            errors[name] = f"At most {MAX_REQUIREMENTS} requirements, one per line."
        elif any(len(item) > 200 for item in items):
            errors[name] = "Keep each requirement under 200 characters."
    if generation.language not in LANGUAGES:
        errors["language"] = "Pick the language the flow speaks."
    if len(generation.flow_name) > 100:
        errors["flowName"] = "Keep the flow name under 100 characters."
    if errors:
        raise Rejected(errors)


def parameters(generation: Generation, vacancy_id: str) -> dict:
    """The FlowGeneration `parameters` of a vacancy application flow."""
    def items(values: list[str]) -> list[dict]:
        return [{"value": value, "sessionField": ""} for value in values]
    result = {"vacancyId": vacancy_id, "knockoutRequirements": items(generation.knockout),
              "preferredRequirements": items(generation.preferred),
              "requiredFields": [{"value": name, "sessionField": name} for name in generation.required_fields],
              "language": generation.language, "useEmojis": generation.use_emojis}
    if generation.flow_name:
        result["flowName"] = generation.flow_name
    return result


def start(generation: Generation, api: RecruboClient) -> Resource:
    """Create the vacancy when pasted, then the FlowGeneration; a refused generation removes the new vacancy."""
    check(generation, api)
    vacancy_id, created = generation.vacancy_id, None
    try:
        if generation.source == "text":
            created = api.create("vacancy", "vacancies", {"title": generation.vacancy_title,
                                                          "description": generation.vacancy_text})
            vacancy_id = created.id
        return api.create("flow-generations", "flowGenerations",
                          {"flowType": FLOW_TYPE, "parameters": parameters(generation, vacancy_id)})
    except RecruboError as error:
        if created is not None:
            try:
                api.delete("vacancy", created.id)
            except RecruboError as undo_error:
                log.error("could not remove vacancy %r after a refused generation: %s", created.id,
                          undo_error.message)
        fields = {FORM_FIELDS.get(name, "form"): message for name, message in error.field_errors().items()}
        raise Rejected(fields or {"form": error.message}) from error
