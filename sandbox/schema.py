"""The resource catalogue (reference §4–5): types, paths, attributes, relationships and methods."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attr:
    """One attribute: its JSON kind, who may write it, whether POST needs it, its default."""

    name: str
    kind: str = "str"  # str, int, bool, object, array, any, time
    mode: str = "rw"  # rw = POST and PATCH, create = POST only, ro = never written by clients
    required: bool = False
    default: object = None


@dataclass(frozen=True)
class Rel:
    """A relationship: to-one through an attribute of this record, or to-many through one of the target's."""

    name: str
    target: str
    attr: str | None = None  # to-one: this record's foreign key
    inverse: str | None = None  # to-many: the target's foreign key
    writable: bool = False


@dataclass(frozen=True)
class Resource:
    """A resource type with its URL path and the methods it offers (L S C U D)."""

    type: str
    path: str
    attrs: tuple[Attr, ...]
    rels: tuple[Rel, ...] = ()
    methods: str = "LSCUD"
    soft_delete: bool = False
    aliases: tuple[str, ...] = ()
    attr_map: dict = field(default_factory=dict, compare=False)
    rel_map: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        stamps = (Attr("createdAt", "time", "ro"), Attr("updatedAt", "time", "ro"))
        object.__setattr__(self, "attrs", self.attrs + stamps)
        self.attr_map.update({a.name: a for a in self.attrs})
        self.rel_map.update({r.name: r for r in self.rels})


def _r(rtype, path, attrs, rels=(), **options) -> Resource:
    return Resource(rtype, path, tuple(attrs), tuple(rels), **options)


A = Attr
RESOURCES: dict[str, Resource] = {r.type: r for r in (
    _r("organizations", "organizations",
       [A("name"), A("webhookUrl"), A("webhookSecret"), A("token", mode="ro")],
       [Rel("users", "users", inverse="organizationId")], methods="LSU"),
    _r("users", "users",
       [A("firstName", required=True), A("lastName", required=True), A("fullName", mode="ro"),
        A("email", required=True), A("phone"), A("timeZone", default="Europe/Amsterdam"), A("externalId"),
        A("organizationId", mode="ro")],
       [Rel("candidates", "candidates", inverse="userId", writable=True),
        Rel("organization", "organizations", attr="organizationId")]),
    _r("candidates", "candidates",
       [A("firstName"), A("lastName"), A("email"), A("phone", required=True), A("postalCode"),
        A("candidateStatusId"), A("userId"), A("organizationId", mode="ro"), A("deletedAt", "time", "ro")],
       [Rel("candidateStatus", "candidateStatuses", attr="candidateStatusId", writable=True),
        Rel("user", "users", attr="userId", writable=True),
        Rel("organization", "organizations", attr="organizationId"),
        Rel("messageThreads", "messageThreads", inverse="candidateId")], soft_delete=True),
    _r("candidateStatuses", "candidate-statuses", [A("name", mode="ro")], methods="LS"),
    _r("messageThreads", "message-threads",
       [A("channel", mode="create", required=True), A("identifier", mode="create", required=True),
        A("chatbotPaused", "bool", default=False), A("candidateId"),
        A("simulatedCandidate", "bool", default=True)],
       [Rel("candidate", "candidates", attr="candidateId", writable=True),
        Rel("messages", "messages", inverse="messageThreadId"),
        Rel("flowRuns", "flowRuns", inverse="messageThreadId")]),
    _r("conversations", "conversations",
       [A("status"), A("unreadMessages", "bool"), A("unreadMessagesCount", "int", "ro"),
        A("messageThreadId", mode="ro"), A("candidateId", mode="ro")],
       [Rel("messageThread", "messageThreads", attr="messageThreadId"),
        Rel("candidate", "candidates", attr="candidateId")], methods="LSU"),
    _r("messages", "messages",
       [A("sendBy", required=True), A("origin", mode="create", default="outbound"),
        A("messageThreadId", mode="create", required=True), A("payload", "object", required=True),
        A("deliveryStatus", mode="ro"), A("errorMessages", "array", "ro")],
       [Rel("messageThread", "messageThreads", attr="messageThreadId", writable=True)]),
    _r("messageTemplates", "message-templates",
       [A("name", required=True), A("language", required=True), A("category", required=True),
        A("status", mode="ro"), A("preview", mode="ro"), A("components", "array", required=True)],
       methods="LSCD"),
    _r("flows", "flows",
       [A("name", required=True), A("reminderInterval", "int", required=True),
        A("reminderMessage", required=True), A("sessionTimeout", "int", required=True), A("vacancyId"),
        A("flowGenerationId", mode="ro"), A("publishedAt", "time", "ro"), A("unpublishedChanges", "bool", "ro")],
       [Rel("nodes", "nodes", inverse="flowId"), Rel("vacancy", "vacancies", attr="vacancyId", writable=True),
        Rel("flowGeneration", "flowGenerations", attr="flowGenerationId"),
        Rel("flowRuns", "flowRuns", inverse="flowId")]),
    _r("nodes", "nodes",
       [A("name"), A("index", "int"), A("flowId", mode="create", required=True),
        A("isStartFlow", "bool"), A("isEndFlow", "bool"), A("endFlowType")],
       [Rel("flow", "flows", attr="flowId", writable=True), Rel("nodeActions", "nodeActions", inverse="nodeId"),
        Rel("nodeTransitions", "nodeTransitions", inverse="nodeId")]),
    _r("nodeActions", "node-actions",
       [A("nodeId", mode="create", required=True), A("actionType", required=True), A("subType", default="text"),
        A("value", "object", default={}), A("variableName"), A("index", "int"), A("attachmentData", "any", "ro")],
       [Rel("node", "nodes", attr="nodeId", writable=True)]),
    _r("nodeTransitions", "node-transitions",
       [A("nodeId", mode="create", required=True), A("exitNodeId", required=True), A("condition"),
        A("index", "int")],
       [Rel("node", "nodes", attr="nodeId", writable=True),
        Rel("exitNode", "nodes", attr="exitNodeId", writable=True)]),
    _r("flowRuns", "flow-runs",
       [A("flowId", mode="create", required=True), A("messageThreadId", mode="create", required=True),
        A("state", "object", default={}), A("initialMessage", "object", "create", default={}),
        A("status"), A("cost", "int", "ro", default=0)],
       [Rel("flow", "flows", attr="flowId", writable=True),
        Rel("messageThread", "messageThreads", attr="messageThreadId", writable=True)]),
    _r("flowGenerations", "flow-generations",
       [A("flowType", mode="create", required=True), A("parameters", "object", "create", required=True),
        A("context", "any", "create"), A("flowId", mode="ro"), A("status", mode="ro"),
        A("cost", "int", "ro", default=0), A("error", mode="ro")],
       [Rel("flow", "flows", attr="flowId")], methods="LSCD"),
    _r("vacancies", "vacancy",
       [A("title", required=True), A("description", required=True), A("url"), A("externalId"),
        A("deletedAt", "time", "ro")],
       [Rel("locations", "locations", inverse="vacancyId"), Rel("flows", "flows", inverse="vacancyId")],
       soft_delete=True, aliases=("vacancies",)),
    _r("locations", "locations", [A("name", mode="ro"), A("vacancyId", mode="ro")],
       [Rel("vacancy", "vacancies", attr="vacancyId")], methods="LS"),
    _r("vacancyAnalyses", "vacancy-analyses",
       [A("inputText", mode="create", required=True), A("analyzeResult", "object", "ro"), A("status", mode="ro"),
        A("error", mode="ro")], methods="LSCD"),
    _r("webhooks", "webhooks",
       [A("resource", required=True), A("event", required=True), A("fields", "array"), A("webhookUrl")],
       [Rel("webhookLogs", "webhookLogs", inverse="webhookId")]),
    _r("webhookLogs", "webhook-logs",
       [A("webhookId", mode="ro"), A("event", mode="ro"), A("resourceType", mode="ro"),
        A("resourceId", mode="ro"), A("status", mode="ro"), A("attempts", "array", "ro"),
        A("nextAttemptAt", "time", "ro")],
       [Rel("webhook", "webhooks", attr="webhookId")], methods="LS"),
)}

# Terminal and active statuses shared by the API checks and the engine.
ACTIVE_RUN = ("queued", "running")
