"""The Inbox component's JSON endpoints: the organization's conversations, their messages, and replying."""

from __future__ import annotations

from flask import Response, jsonify

from sandbox.api import unit
from sandbox.embeddables import EmbedRefused, api_write, bp, current_user, existing, json_body
from sandbox.messaging import text_payload, window_open
from sandbox.store import Tx

API = "/embeddables/api/inbox"


def message_text(tx: Tx, payload: dict) -> str:
    """What a message says: its text in either documented shape, or the template's body."""
    if payload.get("type") == "template":
        template = tx.get("messageTemplates", (payload.get("template") or {}).get("id"))
        return f"[template] {template['preview']}" if template else "[template]"
    body = payload.get("text") or payload.get("attributes") or {}
    return body.get("value", "") if isinstance(body, dict) else ""


CANDIDATE_FIELDS = ("firstName", "lastName", "email", "postalCode")


def candidate_view(candidate: dict | None) -> dict | None:
    """What the Inbox shows of a candidate: a display name, contact details and the assigned user."""
    if candidate is None:
        return None
    name = " ".join(part for part in (candidate.get("firstName"), candidate.get("lastName")) if part)
    return {"id": candidate["id"], "name": name or f"+{candidate['phone']}", "phone": candidate.get("phone"),
            "userId": candidate.get("userId"), **{field: candidate.get(field) for field in CANDIDATE_FIELDS}}


def conversation_view(tx: Tx, conversation: dict, with_messages: bool = False) -> dict:
    """A conversation with its thread, candidate and last message (all messages when asked)."""
    thread = tx.get("messageThreads", conversation["messageThreadId"]) or {}
    messages = tx.all("messages", messageThreadId=conversation["messageThreadId"])
    last = messages[-1] if messages else None
    view = {"id": conversation["id"], "status": conversation.get("status"),
            "unreadMessagesCount": conversation.get("unreadMessagesCount") or 0,
            "candidate": candidate_view(tx.get("candidates", conversation.get("candidateId"))),
            "channel": thread.get("channel"), "identifier": thread.get("identifier"),
            "chatbotPaused": bool(thread.get("chatbotPaused")),
            "lastMessage": last and {"text": message_text(tx, last["payload"]), "origin": last["origin"],
                                     "createdAt": last["createdAt"]},
            "lastActivity": last["createdAt"] if last else conversation["createdAt"]}
    if with_messages:
        view["messages"] = [{"id": m["id"], "text": message_text(tx, m["payload"]), "origin": m["origin"],
                             "sendBy": m["sendBy"], "deliveryStatus": m.get("deliveryStatus"),
                             "createdAt": m["createdAt"]} for m in messages]
        # Free WhatsApp text needs the 24-hour window; elsewhere chat is always open (reference §5.6).
        view["windowOpen"] = thread.get("channel") != "whatsapp" or window_open(tx, thread)
        view["templates"] = [{"id": t["id"], "name": t["name"], "preview": t.get("preview")}
                             for t in tx.all("messageTemplates") if t.get("status") == "APPROVED"]
        view["users"] = [{"id": u["id"], "fullName": u.get("fullName")} for u in tx.all("users")]
    return view


@bp.get(f"{API}/conversations")
def conversations() -> Response:
    """Every conversation of the organization, the most recently active first (S38)."""
    with unit(write=False) as tx:
        current_user(tx)
        views = [conversation_view(tx, c) for c in tx.all("conversations")]
    views.sort(key=lambda view: view["lastActivity"], reverse=True)
    return jsonify(conversations=views)


@bp.get(f"{API}/conversations/<conversation_id>")
def conversation(conversation_id: str) -> Response:
    """One conversation with its messages, the WhatsApp window and the templates to send."""
    with unit(write=False) as tx:
        current_user(tx)
        record = existing(tx, "conversations", conversation_id, "conversation")
        return jsonify(conversation=conversation_view(tx, record, True))


@bp.post(f"{API}/conversations/<conversation_id>/messages")
def send_message(conversation_id: str) -> Response:
    """Send text or a template as the token's user: an outbound Message, delivered like any other."""
    body = json_body()
    with unit() as tx:
        user = current_user(tx)
        thread_id = existing(tx, "conversations", conversation_id, "conversation")["messageThreadId"]
        if body.get("templateId"):
            payload = {"type": "template", "template": {"id": body["templateId"], "components": []}}
        elif isinstance(body.get("text"), str) and body["text"].strip():
            payload = text_payload(body["text"].strip())
        else:
            raise EmbedRefused(400, "bad_request", "Write a message first.")
        message = api_write(tx, "messages", None, {"sendBy": user.get("fullName") or user["email"],
                                                   "messageThreadId": thread_id, "payload": payload,
                                                   "origin": "outbound"})
    return jsonify(message={"id": message["id"]}), 201


@bp.post(f"{API}/conversations/<conversation_id>")
def change_conversation(conversation_id: str) -> Response:
    """Mark read, open or close a conversation, or pause its chatbot."""
    body = json_body()
    with unit() as tx:
        current_user(tx)
        record = existing(tx, "conversations", conversation_id, "conversation")
        attrs = {key: body[key] for key in ("status", "unreadMessages") if key in body}
        if attrs:
            record = api_write(tx, "conversations", record, attrs)
        if isinstance(body.get("chatbotPaused"), bool):
            thread = tx.get("messageThreads", record["messageThreadId"])
            api_write(tx, "messageThreads", thread, {"chatbotPaused": body["chatbotPaused"]})
        return jsonify(conversation=conversation_view(tx, record, True))


@bp.post(f"{API}/candidates/<candidate_id>")
def edit_candidate(candidate_id: str) -> Response:
    """Change a candidate's details or assignee (showCandidateDetailsEdit, showCandidateAssigneeEdit)."""
    body = json_body()
    attrs = {field: (body[field].strip() or None) if isinstance(body[field], str) else body[field]
             for field in (*CANDIDATE_FIELDS, "userId") if field in body}
    with unit() as tx:
        current_user(tx)
        candidate = tx.get("candidates", candidate_id)
        if candidate is None or candidate.get("deletedAt"):
            raise EmbedRefused(404, "not_found", "This candidate does not exist (any more).")
        return jsonify(candidate=candidate_view(api_write(tx, "candidates", candidate, attrs)))
