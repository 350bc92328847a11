"""The embeddable components Recrubo offers, with the settings and actions each one documents."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Setting:
    """One documented setting: its key, kind (`bool`, `text` or `color`), default and label."""

    key: str
    kind: str
    default: object
    label: str


@dataclass(frozen=True)
class Component:
    """One embeddable component as the host page knows it."""

    name: str
    purpose: str
    settings: tuple[Setting, ...] = ()
    # A documented action taking one id argument, e.g. ("setConversation", "Conversation id").
    action: tuple[str, str] | None = None
    events: tuple[str, ...] = field(default_factory=tuple)


def _flags(*specs: tuple[str, bool, str]) -> tuple[Setting, ...]:
    return tuple(Setting(key, "bool", default, label) for key, default, label in specs)


PRIMARY = Setting("theme.primary", "color", "#0b5cad", "Primary colour")

COMPONENTS: dict[str, Component] = {
    "inbox": Component(
        "Inbox", "Candidate conversations, answered from the dashboard.",
        _flags(("showCandidateDetails", False, "Candidate details"),
               ("showCandidateDetailsEdit", False, "Edit candidate details"),
               ("showCandidateOpenExternal", False, "Open candidate button"),
               ("showConversationSearch", True, "Conversation search"),
               ("showConversationFilter", True, "Conversation filter"),
               ("showSendMessage", True, "Send messages"),
               ("showTopBar", True, "Top bar"),
               ("showTabPanel", True, "Tab panel"),
               ("showPauseChatbot", False, "Pause chatbot button"),
               ("showAddTemplateButton", True, "Template button")) + (PRIMARY,),
        ("setConversation", "Conversation id"),
        ("conversationSelected", "candidateOpenExternal")),
    "bot-studio": Component(
        "BotStudio", "The flow editor.",
        _flags(("readOnlyMode", False, "Read only"), ("showPreview", True, "Chat preview")) + (
            Setting("theme.builderStepBackground", "color", "#D6E6F5", "Step background"),
            Setting("theme.builderStepSelectedBorder", "color", "#0267c1", "Selected step border")),
        ("setFlow", "Flow id"), ("flowSelected", "flowChanged")),
    "generate-flow": Component("GenerateFlow", "Write a flow from a vacancy.", (PRIMARY,), None,
                               ("flowGenerationCreated", "flowGenerated")),
    "whatsapp-connect": Component("WhatsApp connect", "Connect the organization's WhatsApp number.", (PRIMARY,),
                                  None, ("whatsappConnected", "whatsappConnectCancelled")),
    "schedule-form": Component("Schedule form", "Create or edit an appointment with a candidate.", (PRIMARY,),
                               None, ("scheduleCreated", "scheduleUpdated", "scheduleDeleted")),
    "schedule-table": Component("Schedule table", "Upcoming appointments.", (PRIMARY,), None,
                                ("scheduleSelected",)),
}


def default_settings(component: Component) -> dict:
    """The settings object sent with `initialize`: flags flat, colours nested under `theme`."""
    settings: dict = {}
    for setting in component.settings:
        if setting.key.startswith("theme."):
            settings.setdefault("theme", {})[setting.key.split(".", 1)[1]] = setting.default
        else:
            settings[setting.key] = setting.default
    return settings
