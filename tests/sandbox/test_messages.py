"""Messages move through delivery statuses; inbound messages mark conversations unread."""

from __future__ import annotations

from tests.support.flows import new_thread, reply
from tests.support.waiting import wait_until

TEXT = {"type": "text", "text": {"value": "Can you come in on Monday?"}}


def test_outbound_message_is_accepted_then_read(api):
    thread = new_thread(api, simulated=False)
    message = api.create("messages", "/messages", {"sendBy": "Sam", "messageThreadId": thread["id"], "payload": TEXT})
    assert message["attributes"]["deliveryStatus"] == "accepted" and message["attributes"]["origin"] == "outbound"
    wait_until(lambda: api.attrs(f"/messages/{message['id']}")["deliveryStatus"] == "read", 10, "the message was read")


def test_whatsapp_text_outside_the_window_fails_with_an_error(api):
    thread = new_thread(api, simulated=False, channel="whatsapp")
    message = api.create("messages", "/messages", {"sendBy": "Sam", "messageThreadId": thread["id"], "payload": TEXT})
    failed = wait_until(lambda: (a := api.attrs(f"/messages/{message['id']}"))["deliveryStatus"] == "failed" and a,
                        10, "the message failed")
    assert failed["errorMessages"]
    reply(api, thread["id"], "Hi there")
    again = api.create("messages", "/messages", {"sendBy": "Sam", "messageThreadId": thread["id"], "payload": TEXT})
    wait_until(lambda: api.attrs(f"/messages/{again['id']}")["deliveryStatus"] == "read", 10, "the message was read")


def test_inbound_message_marks_the_conversation_unread_until_patched(api):
    thread = new_thread(api, simulated=False)
    conversation = api.all(f"/conversations?filter[messageThreadId]={thread['id']}")[0]
    api.patch("conversations", f"/conversations/{conversation['id']}", {"status": "closed"})
    reply(api, thread["id"], "Hello?")
    reply(api, thread["id"], "Anyone?")
    attributes = api.attrs(f"/conversations/{conversation['id']}")
    assert attributes["status"] == "open" and attributes["unreadMessages"] is True
    assert attributes["unreadMessagesCount"] == 2
    response = api.patch("conversations", f"/conversations/{conversation['id']}", {"unreadMessages": False})
    assert response.json()["data"]["attributes"]["unreadMessagesCount"] == 0
    refused = api.patch("conversations", f"/conversations/{conversation['id']}", {"unreadMessages": True})
    assert refused.status_code == 422


def test_template_message_is_sent_outside_the_window(api):
    template = api.create("messageTemplates", "/message-templates", {
        "name": "interview_invite_test", "language": "nl", "category": "marketing",
        "components": [{"type": "body", "text": "Hoi {{1}}, kom je op gesprek?", "example": {"body_text": [["Jan"]]}}]})
    assert template["attributes"]["status"] == "APPROVED" and template["attributes"]["category"] == "MARKETING"
    thread = new_thread(api, simulated=False, channel="whatsapp")
    payload = {"type": "template", "template": {"id": template["id"], "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "Noor"}]}]}}
    message = api.create("messages", "/messages", {"sendBy": "Sam", "messageThreadId": thread["id"],
                                                   "payload": payload})
    wait_until(lambda: api.attrs(f"/messages/{message['id']}")["deliveryStatus"] == "read", 10, "the message was read")
