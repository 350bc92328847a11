"""Launching flow runs: read the form, check every input before writing, and make a new candidate's thread (undone
when the API refuses it halfway); the runs themselves are made by `bulk`."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from dashboard.db import approvals
from dashboard.recrubo.client import RecruboClient, RecruboError, Resource
from dashboard.recrubo.ids import is_id
from dashboard.recrubo.rows import keep

log = logging.getLogger(__name__)
MAX_THREADS = 50
CHANNELS = {"whatsapp": "WhatsApp", "facebook-messenger": "Facebook Messenger"}
# WhatsApp numbers: international format, country code first, no leading zero, 8 to 15 digits (E.164).
WHATSAPP_NUMBER = re.compile(r"[1-9][0-9]{7,14}")
MESSENGER_ID = re.compile(r"[0-9]{5,20}")
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


@dataclass
class Launch:
    """What the recruiter asked for: a flow, threads and/or a new candidate, an optional opening template."""

    flow_id: str = ""
    thread_ids: list[str] = field(default_factory=list)
    new_channel: str = ""
    new_identifier: str = ""
    new_first_name: str = ""
    new_last_name: str = ""
    template_id: str = ""
    template_parameters: list[str] = field(default_factory=list)

    @property
    def wants_new_thread(self) -> bool:
        """True when the form names a new candidate's channel, number or name."""
        return bool(self.new_channel or self.new_identifier or self.new_first_name or self.new_last_name)


class LaunchRejected(Exception):
    """The launch cannot go ahead; `errors` maps form field names (or `form`) to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


def read(form: MultiDict) -> Launch:
    """The launch form's values, trimmed; identifiers lose the spaces, dashes and `+` people type."""
    identifier = re.sub(r"[\s().-]", "", form.get("newIdentifier", ""))
    parameters = [line.strip() for line in form.get("templateParameters", "").splitlines() if line.strip()]
    threads = list(dict.fromkeys(value for value in form.getlist("messageThreadId") if value.strip()))
    return Launch(form.get("flowId", "").strip(), threads, form.get("newChannel", "").strip(),
                  identifier.removeprefix("+"), form.get("newFirstName", "").strip()[:100],
                  form.get("newLastName", "").strip()[:100], form.get("templateId", "").strip(), parameters)


def identifier_error(channel: str, identifier: str) -> str | None:
    """Why an identifier does not fit its channel, or None when it does."""
    if not identifier:
        return "Enter the candidate's number or profile id."
    if channel == "whatsapp" and not WHATSAPP_NUMBER.fullmatch(identifier):
        return ("Enter the WhatsApp number in international format: country code first, digits only "
                "(e.g. 31612345678).")
    if channel == "facebook-messenger" and not MESSENGER_ID.fullmatch(identifier):
        return "A Messenger profile id is 5 to 20 digits."
    return None


def flow_and_template_errors(launch: Launch, api: RecruboClient) -> dict[str, str]:
    """What is wrong with the launch's flow and opening template, keyed by field (reading the API)."""
    errors: dict[str, str] = {}
    flow = api.find("flows", launch.flow_id) if is_id(launch.flow_id) else None
    if not launch.flow_id:
        errors["flowId"] = "Pick the flow to run."
    elif flow is None:
        errors["flowId"] = "That flow no longer exists; pick another."
    elif approvals.awaiting_review(flow):
        errors["flowId"] = (f"“{flow.get('name') or 'This flow'}” was generated and awaits review: approve it on "
                            "its generation page before launching it.")
    if launch.template_id:
        problem = _template_error(launch, api)
        if problem:
            errors[problem[0]] = problem[1]
    elif launch.template_parameters:
        errors["templateParameters"] = "Pick a template first; these values fill its placeholders."
    return errors


def _new_thread_errors(launch: Launch, api: RecruboClient) -> dict[str, str]:
    if launch.new_channel not in CHANNELS:
        return {"newChannel": "Pick the new candidate's channel."}
    problem = identifier_error(launch.new_channel, launch.new_identifier)
    if problem:
        return {"newIdentifier": problem}
    existing = api.list("message-threads", filters={"channel": launch.new_channel,
                                                    "identifier": launch.new_identifier}, size=1).items
    if existing:
        return {"newIdentifier": f"There already is a {CHANNELS[launch.new_channel]} thread for "
                                 f"{launch.new_identifier}: pick it in the thread list instead."}
    return {}


def _template_error(launch: Launch, api: RecruboClient) -> tuple[str, str] | None:
    template = api.find("messageTemplates", launch.template_id) if is_id(launch.template_id) else None
    if template is None:
        return "templateId", "That template no longer exists; pick another."
    wanted = placeholders(template)
    if len(launch.template_parameters) != wanted:
        return ("templateParameters",
                          f"This template has {wanted} placeholder{'s' if wanted != 1 else ''}: enter "
                          f"{wanted} value{'s' if wanted != 1 else ''}, one per line "
                          f"(you entered {len(launch.template_parameters)}).")
    return None


def placeholders(template: Mapping) -> int:
    """How many `{{n}}` values a template's body needs."""
    numbers = [int(number) for component in template.get("components") or [] if isinstance(component, Mapping)
               for number in PLACEHOLDER.findall(str(component.get("text") or ""))]
    return max(numbers, default=0)


def initial_message(launch: Launch) -> dict:
    """The run's `initialMessage`: the picked template with its values, or `{}` to send nothing first."""
    if not launch.template_id:
        return {}
    components = []
    if launch.template_parameters:
        components.append({"type": "body", "parameters": [{"type": "text", "text": value}
                                                          for value in launch.template_parameters]})
    return {"type": "template", "template": {"id": launch.template_id, "components": components}}


def new_thread_errors(launch: Launch, api: RecruboClient) -> dict[str, str]:
    """What is wrong with the new candidate's fields, keyed by field (reading the API); nothing without one."""
    return _new_thread_errors(launch, api) if launch.wants_new_thread else {}


def create_new_thread(launch: Launch, api: RecruboClient) -> str:
    """Create the new candidate (on WhatsApp) and their thread, kept in the read model at once; the thread's id.
    When the API refuses either, what was made is undone and LaunchRejected says why."""
    made: list[tuple[str, str]] = []  # (path, id) of everything created, to undo in reverse
    answers: list[Resource] = []
    try:
        thread_id = _create_thread(launch, api, made, answers)
    except RecruboError as error:
        undo(made, api)
        fields = {_form_field(name): message for name, message in error.field_errors().items()}
        raise LaunchRejected(fields or {"form": error.message}) from error
    keep(*answers)
    return thread_id


def _create_thread(launch: Launch, api: RecruboClient, made: list[tuple[str, str]], answers: list[Resource]) -> str:
    relationships = None
    if launch.new_channel == "whatsapp":
        candidate = api.create("candidates", "candidates", {"firstName": launch.new_first_name or None,
                                                            "lastName": launch.new_last_name or None,
                                                            "phone": launch.new_identifier})
        made.append(("candidates", candidate.id))
        answers.append(candidate)
        relationships = {"candidate": {"data": {"type": "candidates", "id": candidate.id}}}
    thread = api.create("message-threads", "messageThreads",
                        {"channel": launch.new_channel, "identifier": launch.new_identifier}, relationships)
    made.append(("message-threads", thread.id))
    answers.append(thread)
    return thread.id


def undo(made: list[tuple[str, str]], api: RecruboClient) -> None:
    """Delete what a failed launch created, newest first; a failed delete is logged, not raised."""
    for path, resource_id in reversed(made):
        try:
            api.delete(path, resource_id)
        except RecruboError as error:
            log.error("could not undo %s/%r after a failed launch: %s", path, resource_id, error.message)


def _form_field(attribute: str) -> str:
    return {"channel": "newChannel", "identifier": "newIdentifier", "phone": "newIdentifier",
            "flowId": "flowId", "messageThreadId": "messageThreadId",
            "initialMessage": "templateId"}.get(attribute, "form")
