"""What the receiver accepts (reference §8.2): a webhookPayload as strict UTF-8 JSON of bounded size and depth,
with ids, types, events and dates of the reference's shapes. Anything else is a Refusal, raised before anything
is stored; nothing here can fail in another way on any body (no recursion, no encoding guesses, no overflow)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from dashboard.db import events
from dashboard.recrubo.ids import RESOURCE_TYPES, is_id

EVENTS = ("create", "update", "delete")
MAX_DEPTH = 32  # a webhookPayload nests about 6 deep; resources' own attributes a few more
MAX_STRING = 65_536  # characters in one string (a vacancy text, a message); the body itself is at most 1 MiB
MAX_KEY = 128
MAX_MEMBERS = 2_000  # members of one object or items of one array
MAX_VALUES = 50_000  # values in the whole document
MAX_FIELDS = 100
YEARS = range(2000, 2101)  # updatedAt outside these years is an error of the sender, not news
FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
# A JSON string, closed or running to the end; linear (each character matches one way), never backtracks.
STRING = re.compile(r'"(?:[^"\\]|\\[\s\S])*"?')
BRACKET = re.compile(r"[\[\]{}]")
FORBIDDEN = re.compile("[\x00\ud800-\udfff]")  # NUL, and lone surrogates (a `\ud800` escape decodes to one)


class Refusal(Exception):
    """A delivery the receiver refuses: the HTTP status and a sentence for the sender."""

    def __init__(self, status: int, code: str, detail: str, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.pointer = status, code, detail, pointer


def decode(body: bytes) -> object:
    """The body as a JSON value: strict UTF-8 without a byte order mark, nested at most MAX_DEPTH, bounded."""
    try:
        text = body.decode("utf-8")  # strict: other encodings and encoded surrogates fail here
    except UnicodeDecodeError:
        raise Refusal(400, "bad_encoding", "The body is not UTF-8; send the JSON as UTF-8.") from None
    if text.startswith("\ufeff"):
        raise Refusal(400, "bad_encoding", "The body starts with a byte order mark; send UTF-8 without one.")
    if _too_deep(text):
        raise Refusal(400, "too_deep", f"The JSON is nested deeper than {MAX_DEPTH} levels.")
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise Refusal(400, "bad_request", "The body is not valid JSON.") from None
    _check_values(document)
    return document


def _too_deep(text: str) -> bool:
    """Bracket depth outside strings, counted in one pass before parsing (the parser itself would recurse)."""
    depth = 0
    for bracket in BRACKET.findall(STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _check_values(document: object) -> None:
    """Walk the parsed document without recursion: sizes bounded, no NUL and no lone surrogate in any string."""
    stack: list[tuple[object, str]] = [(document, "")]
    seen = 0
    while stack:
        value, pointer = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise Refusal(400, "too_large", f"The JSON holds more than {MAX_VALUES} values.")
        if isinstance(value, str):
            _check_string(value, pointer or "/", MAX_STRING)
        elif isinstance(value, (dict, list)):
            if len(value) > MAX_MEMBERS:
                raise Refusal(400, "too_large", f"An object or array holds more than {MAX_MEMBERS} entries.",
                              pointer or "/")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_string(key, pointer or "/", MAX_KEY)
                    key = key.replace("~", "~0").replace("/", "~1")
                stack.append((item, f"{pointer}/{key}"))


def _check_string(value: str, pointer: str, limit: int) -> None:
    if len(value) > limit:
        raise Refusal(400, "too_large", f"A string or name is longer than {limit} characters.", pointer[:200])
    if FORBIDDEN.search(value):
        raise Refusal(400, "bad_request", "A string holds a NUL character or a lone surrogate (\\ud800-\\udfff).",
                      pointer[:200])


def parse_payload(document: object, raw: str) -> events.Delivery:
    """Validate a webhookPayload document (reference §8.2) and return it as a Delivery, or raise Refusal."""
    data = _object(document.get("data") if isinstance(document, dict) else None, "/data")
    if data.get("type") != "webhookPayload":
        raise Refusal(400, "bad_request", "data.type must be webhookPayload.", "/data/type")
    delivery_id = _identifier(data.get("id"), "/data/id")
    attributes = _object(data.get("attributes"), "/data/attributes")
    event = attributes.get("event")
    if event not in EVENTS:
        raise Refusal(400, "bad_request", "event must be create, update or delete.", "/data/attributes/event")
    fields = attributes.get("fields") or []
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS \
            or not all(isinstance(name, str) and FIELD_NAME.fullmatch(name) for name in fields):
        raise Refusal(400, "bad_request", f"fields must be a list of at most {MAX_FIELDS} attribute names.",
                      "/data/attributes/fields")
    resource = _object(attributes.get("resource"), "/data/attributes/resource")
    resource_type = resource.get("type")
    if not isinstance(resource_type, str) or resource_type not in RESOURCE_TYPES:
        raise Refusal(400, "bad_request", "The resource's type must be one of the API's resource types "
                      "(e.g. flowRuns).", "/data/attributes/resource/type")
    resource_id = _identifier(resource.get("id"), "/data/attributes/resource/id")
    resource_attributes = resource.get("attributes") or {}
    if not isinstance(resource_attributes, dict):
        raise Refusal(400, "bad_request", "The resource's attributes must be an object.",
                      "/data/attributes/resource/attributes")
    return events.Delivery(id=delivery_id, resource_type=resource_type, resource_id=resource_id, event=event,
                           fields=fields, updated_at=_timestamp(resource_attributes.get("updatedAt")),
                           attributes=resource_attributes, payload=raw)


def _object(value: object, pointer: str) -> dict:
    if not isinstance(value, dict):
        raise Refusal(400, "bad_request", f"{pointer} must be an object.", pointer)
    return value


def _identifier(value: object, pointer: str) -> str:
    if not is_id(value):
        raise Refusal(400, "bad_request", f"{pointer} must be an id: 1 to 64 letters, digits or dashes.", pointer)
    return value  # type: ignore[return-value]


def _timestamp(value: object) -> datetime | None:
    """updatedAt as naive UTC; refused unless an ISO-8601 string of a year the dashboard can believe."""
    if value is None:
        return None
    pointer = "/data/attributes/resource/attributes/updatedAt"
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise Refusal(400, "bad_request", "updatedAt must be an ISO-8601 timestamp.", pointer) from None
    if moment.year not in YEARS:
        raise Refusal(400, "bad_request", f"updatedAt must fall in the years {YEARS[0]} to {YEARS[-1]}.", pointer)
    return moment
