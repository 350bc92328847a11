"""Rules of message threads, conversations, messages and templates (S13–S16), and delivery steps (S24)."""

from __future__ import annotations

import re
import secrets

from sandbox import changes, hooks, jobs
from sandbox.hooks import hook
from sandbox.jsonapi import ApiError, invalid
from sandbox.store import Tx, epoch

CHANNELS = ("whatsapp", "facebook-messenger", "sms")
MEDIA = ("image", "video", "audio", "document")
CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION", "AUTHORIZATION")
DELIVERY_STEPS = {"accepted": "sent", "sent": "delivered", "delivered": "read"}
DELIVERY_STEP_SECONDS = 2.0
WINDOW_SECONDS = 24 * 3600
BOT_NAME = "Recrubo Bot"


@hook("prepare", "messageThreads")
def prepare_thread(tx: Tx, old: dict | None, attrs: dict) -> None:
    """A known channel, a digits-only phone identifier, a candidate linked once (S13)."""
    if old is None:
        if attrs["channel"] not in CHANNELS:
            raise invalid("channel", f"channel must be one of {', '.join(CHANNELS)}")
        identifier = attrs["identifier"].strip()
        if attrs["channel"] != "facebook-messenger":
            identifier = identifier.lstrip("+")
            if not re.fullmatch(r"[0-9]{6,15}", identifier):
                raise invalid("identifier", "a WhatsApp or SMS identifier is a phone number in digits only")
        elif not identifier:
            raise invalid("identifier", "identifier cannot be blank")
        attrs["identifier"] = identifier
    if "candidateId" in attrs:
        linked = (old or {}).get("candidateId")
        if linked and attrs["candidateId"] != linked:
            raise invalid("candidateId", "this thread is linked to another candidate for good")
        if attrs["candidateId"] is not None and not changes.visible(tx.get("candidates", attrs["candidateId"])):
            raise invalid("candidateId", f"no candidates with id {attrs['candidateId']}")


@hook("after", "messageThreads")
def link_conversation(tx: Tx, old: dict | None, thread: dict) -> None:
    """Linking a candidate opens the thread's conversation."""
    if thread.get("candidateId") and not tx.all("conversations", messageThreadId=thread["id"]):
        changes.create(tx, "conversations", {"status": "open", "unreadMessages": False, "unreadMessagesCount": 0,
                                             "messageThreadId": thread["id"], "candidateId": thread["candidateId"]})


@hook("prepare", "conversations")
def prepare_conversation(tx: Tx, old: dict, attrs: dict) -> None:
    """Open or close it, or mark it read (S14)."""
    if "status" in attrs and attrs["status"] not in ("open", "closed"):
        raise invalid("status", "status must be open or closed")
    if "unreadMessages" in attrs:
        if attrs["unreadMessages"] is not False:
            raise invalid("unreadMessages", "unreadMessages can only be set to false")
        attrs["unreadMessagesCount"] = 0


def text_payload(text: str) -> dict:
    """A text message payload in the guide's shape."""
    return {"type": "text", "text": {"value": text}}


def normalize_payload(tx: Tx, payload: dict, name: str = "payload") -> dict:
    """A text or template payload in its stored shape; 422 for media or anything else (S15)."""
    kind = payload.get("type")
    if kind == "text":
        body = payload.get("text", payload.get("attributes"))
        value = body.get("value") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise invalid(name, f"{name}.text.value must be a non-empty string")
        return text_payload(value)
    if kind == "template":
        template = payload.get("template")
        if not isinstance(template, dict) or tx.get("messageTemplates", template.get("id")) is None:
            raise invalid(name, f"{name}.template.id must name a message template")
        if not isinstance(template.get("components", []), list):
            raise invalid(name, f"{name}.template.components must be an array")
        return {"type": "template", "template": template}
    if kind in MEDIA:
        raise invalid(name, f"{kind} messages cannot be sent through the API; send text or a template")
    raise invalid(name, f"{name}.type must be text or template")


@hook("prepare", "messages")
def prepare_message(tx: Tx, old: dict | None, attrs: dict) -> None:
    """A thread, a sender name and a sendable payload; inbound messages arrive delivered."""
    if "sendBy" in attrs and not attrs["sendBy"].strip():
        raise invalid("sendBy", "sendBy cannot be blank")
    if "payload" in attrs:
        attrs["payload"] = normalize_payload(tx, attrs["payload"])
    if old is None:
        if tx.get("messageThreads", attrs["messageThreadId"]) is None:
            raise invalid("messageThreadId", f"no messageThreads with id {attrs['messageThreadId']}")
        origin = attrs.setdefault("origin", "outbound") or "outbound"
        if origin not in ("outbound", "inbound"):
            raise invalid("origin", "origin must be outbound or inbound")
        attrs.update(origin=origin, deliveryStatus="delivered" if origin == "inbound" else "accepted",
                     errorMessages=[])


@hook("after", "messages")
def after_message(tx: Tx, old: dict | None, message: dict) -> None:
    """Outbound messages start their delivery steps; inbound ones mark the conversation and feed the run."""
    if old is not None:
        return
    if message["origin"] == "outbound":
        jobs.schedule(tx, "message.step", message["id"], DELIVERY_STEP_SECONDS)
        return
    for conversation in tx.all("conversations", messageThreadId=message["messageThreadId"]):
        changes.update(tx, "conversations", conversation, {
            "status": "open", "unreadMessages": True,
            "unreadMessagesCount": (conversation.get("unreadMessagesCount") or 0) + 1})
    hooks.run("received", "messages", tx, message)  # the thread's run (sandbox.runs) takes it from here


def window_open(tx: Tx, thread: dict) -> bool:
    """Whether the candidate wrote in the last 24 hours (the WhatsApp free-text window)."""
    inbound = [m for m in tx.all("messages", messageThreadId=thread["id"]) if m["origin"] == "inbound"]
    return any(tx.now - epoch(m["createdAt"]) < WINDOW_SECONDS for m in inbound)


def send(tx: Tx, thread: dict, payload: dict, send_by: str = BOT_NAME, origin: str = "outbound") -> dict:
    """Post a message to a thread as the bot (or, for the simulator, as the candidate)."""
    attrs = {"sendBy": send_by, "messageThreadId": thread["id"], "payload": payload, "origin": origin}
    prepare_message(tx, None, attrs)
    message = changes.create(tx, "messages", attrs)
    after_message(tx, None, message)
    return message


def step_delivery(tx: Tx, message: dict) -> None:
    """Move an outbound message one delivery step on; free WhatsApp text outside the window fails (S24)."""
    status = message["deliveryStatus"]
    if status not in DELIVERY_STEPS:
        return
    thread = tx.get("messageThreads", message["messageThreadId"])
    if (status == "accepted" and thread and thread["channel"] == "whatsapp"
            and message["payload"].get("type") == "text" and not window_open(tx, thread)):
        changes.update(tx, "messages", message, {"deliveryStatus": "failed", "errorMessages": [
            "Re-engagement message: more than 24 hours have passed since the candidate last replied; "
            "send a message template instead."]})
        return
    changes.update(tx, "messages", message, {"deliveryStatus": DELIVERY_STEPS[status]})
    if DELIVERY_STEPS[status] in DELIVERY_STEPS:
        jobs.schedule(tx, "message.step", message["id"], DELIVERY_STEP_SECONDS)


@hook("prepare", "messageTemplates")
def prepare_template(tx: Tx, old: dict | None, attrs: dict) -> None:
    """A category, a BODY and a unique name per language; approved at once (S16)."""
    for name in ("name", "language"):
        if not attrs[name].strip():
            raise invalid(name, f"{name} cannot be blank")
    category = attrs["category"].upper()
    if category not in CATEGORIES:
        raise invalid("category", f"category must be one of {', '.join(CATEGORIES)}")
    components = []
    for index, component in enumerate(attrs["components"]):
        kind = component.get("type") if isinstance(component, dict) else None
        if not isinstance(kind, str) or kind.upper() not in ("HEADER", "BODY", "FOOTER"):
            raise ApiError(422, "a component's type is HEADER, BODY or FOOTER",
                           pointer=f"/data/attributes/components/{index}/type")
        if not isinstance(component.get("text"), str) or not component["text"].strip():
            raise ApiError(422, "a component needs a text", pointer=f"/data/attributes/components/{index}/text")
        components.append({**component, "type": kind.upper()})
    bodies = [c for c in components if c["type"] == "BODY"]
    if len(bodies) != 1:
        raise invalid("components", "a template needs exactly one BODY component")
    if any(t["name"] == attrs["name"] and t["language"] == attrs["language"] for t in tx.all("messageTemplates")):
        # The one documented error: Meta's refusal passed through as an object (§3.7).
        raise ApiError(400, {"message": "Invalid parameter", "type": "OAuthException", "code": 100,
                             "error_subcode": 2388024,
                             "error_user_msg": f"Content in {attrs['language']} already exists for {attrs['name']}",
                             "fbtrace_id": secrets.token_urlsafe(18)})
    attrs.update(category=category, components=components, status="APPROVED", preview=bodies[0]["text"])
