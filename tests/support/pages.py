"""Building test data through the sandbox's API (never its database), and the headers of an htmx swap."""

from __future__ import annotations

import itertools
import re
import time
import uuid

from dashboard.recrubo.client import RecruboClient, Resource
from tests.support.servers import API_KEY

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}  # what htmx sends for a partial swap
_numbers = itertools.count(int(time.time()) % 10_000_000)


def api_for(base_url: str) -> RecruboClient:
    """A client on a sandbox's API: `base_url` is the server (standalone) or the dashboard (embedded)."""
    return RecruboClient(f"{base_url.rstrip('/')}/public/v2", API_KEY)


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def phone_number() -> str:
    """A fresh international WhatsApp number (Dutch mobile range)."""
    return f"3161{next(_numbers):07d}"


def make_flow(api: RecruboClient, name: str, questions: int = 2) -> Resource:
    """A small published-style flow: start, `questions` asks with links, an accepted and a declined end."""
    flow = api.create("flows", "flows", {"name": name, "reminderInterval": 0, "reminderMessage": "Still there?",
                                         "sessionTimeout": 60})
    start = _node(api, flow.id, "Welcome", 0, start=True)
    _action(api, start.id, "say", 0, "Hi! A few questions about the job.")
    previous = start
    asks = []
    for number in range(questions):
        node = _node(api, flow.id, f"Question {number + 1}", number + 1)
        _action(api, node.id, "ask", 0, f"Question {number + 1}: are you available?", f"answer_{number + 1}")
        _link(api, previous.id, node.id, 0, None)
        asks.append(node)
        previous = node
    accepted = _node(api, flow.id, "Thank you", questions + 1, end="accepted")
    _action(api, accepted.id, "say", 0, "Thanks, we will be in touch!")
    declined = _node(api, flow.id, "Not a match", questions + 2, end="declined")
    _action(api, declined.id, "say", 0, "Sorry, this job is not a match.")
    _link(api, previous.id, declined.id, 0, f"session.answer_{questions} === 'no'")
    _link(api, previous.id, accepted.id, 1, None)
    return flow


def _node(api: RecruboClient, flow_id: str, name: str, index: int, start: bool = False,
          end: str | None = None) -> Resource:
    return api.create("nodes", "nodes", {"flowId": flow_id, "name": name, "index": index, "isStartFlow": start,
                                         "isEndFlow": bool(end), "endFlowType": end})


def _action(api: RecruboClient, node_id: str, kind: str, index: int, text: str,
            variable: str | None = None) -> Resource:
    return api.create("node-actions", "nodeActions", {"nodeId": node_id, "actionType": kind, "subType": "text",
                                                      "value": {"text": text}, "variableName": variable,
                                                      "index": index})


def _link(api: RecruboClient, source: str, target: str, index: int, condition: str | None) -> Resource:
    return api.create("node-transitions", "nodeTransitions", {"nodeId": source, "exitNodeId": target,
                                                              "condition": condition, "index": index})


def make_thread(api: RecruboClient, first_name: str, last_name: str = "Tester", channel: str = "whatsapp",
                identifier: str | None = None) -> Resource:
    """A candidate with a thread on `channel`."""
    identifier = identifier or phone_number()
    phone = identifier if channel == "whatsapp" else "31600000000"
    candidate = api.create("candidates", "candidates", {"firstName": first_name, "lastName": last_name,
                                                        "phone": phone})
    return api.create("message-threads", "messageThreads", {"channel": channel, "identifier": identifier},
                      {"candidate": {"data": {"type": "candidates", "id": candidate.id}}})


def make_template(api: RecruboClient, body: str = "Hi {{1}}, are you still looking for a job?") -> Resource:
    """An approved WhatsApp template with `body`."""
    return api.create("message-templates", "messageTemplates", {
        "name": re.sub(r"\W", "_", unique("intro").lower()), "language": "en", "category": "MARKETING",
        "components": [{"type": "BODY", "text": body}]})

