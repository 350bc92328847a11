"""Embeds: the Recrubo embeddable components the dashboard hosts."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("embeds", __name__, url_prefix="/embeds")
COMPONENTS = {
    "inbox": ("Inbox", "Candidate conversations, answered from the dashboard."),
    "bot-studio": ("BotStudio", "The flow editor."),
    "generate-flow": ("GenerateFlow", "Write a flow from a vacancy."),
    "whatsapp-connect": ("WhatsApp connect", "Connect the organization's WhatsApp number."),
    "schedule-form": ("Schedule form", "Create or edit an appointment with a candidate."),
    "schedule-table": ("Schedule table", "Upcoming appointments."),
}


@bp.get("")
def index():
    return render_template("embeds/index.html", components=COMPONENTS)
