"""The read model: the dashboard's own copy of what recruiters list, count and search (DESIGN §9).

One table per resource type. Every row keeps the resource's attributes (canonical JSON), its relationships
reduced to related ids (JSON `{name: id}`), `updated_at` (newest wins), a `deleted` tombstone and the id of the
event that last wrote it (an incremental sync's own event when it recorded one, NULL when the backfill wrote it);
beside them, the columns the pages filter, sort and join on, each indexed for what the pages offer. Rows are
written only by `dashboard.db.upsert`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.db.base import Base

ID = 64  # UUIDs (36) with room to spare


class Row:
    """The columns every read-model table has."""

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    attributes: Mapped[str] = mapped_column(Text, default="{}")
    relations: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    event_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    written_at: Mapped[datetime] = mapped_column(DateTime)


class Flow(Row, Base):
    """A flow: name (sort) and `search_name` (the name lower-cased without accents, for search), generated or
    hand-built, published state."""

    __tablename__ = "model_flows"
    name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    search_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    flow_generation_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    vacancy_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    unpublished_changes: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    __table_args__ = (Index("ix_model_flows_name", "name"), Index("ix_model_flows_created_at", "created_at"),
                      Index("ix_model_flows_updated_at", "updated_at"),
                      Index("ix_model_flows_flow_generation_id", "flow_generation_id"))


class Node(Row, Base):
    """A flow's step, for the graph."""

    __tablename__ = "model_nodes"
    flow_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (Index("ix_model_nodes_flow_id", "flow_id", "position"),)


class NodeAction(Row, Base):
    """A step's action (what the bot says or asks), in order."""

    __tablename__ = "model_node_actions"
    node_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (Index("ix_model_node_actions_node_id", "node_id", "position"),)


class NodeTransition(Row, Base):
    """A link between two steps of the graph."""

    __tablename__ = "model_node_transitions"
    node_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    exit_node_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (Index("ix_model_node_transitions_node_id", "node_id", "position"),
                      Index("ix_model_node_transitions_exit_node_id", "exit_node_id"))


class FlowRun(Row, Base):
    """A run of a flow on a thread: listed by status, flow and thread, newest or latest updated first."""

    __tablename__ = "model_flow_runs"
    flow_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    message_thread_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Every list filter (status, flow, thread) with every sort (created, updated), ties broken by id, led by the
    # tombstone flag the lists exclude: a page is read in index order and stops after its rows, and a count or
    # `GROUP BY status` reads the index alone (no row). Home's "failed today" reads the status/updated one.
    __table_args__ = (Index("ix_model_flow_runs_created_at", "deleted", "created_at", "id"),
                      Index("ix_model_flow_runs_updated_at", "deleted", "updated_at", "id"),
                      Index("ix_model_flow_runs_status", "deleted", "status", "created_at", "id"),
                      Index("ix_model_flow_runs_status_updated_at", "deleted", "status", "updated_at", "id"),
                      Index("ix_model_flow_runs_flow_id", "deleted", "flow_id", "created_at", "id"),
                      Index("ix_model_flow_runs_flow_id_updated_at", "deleted", "flow_id", "updated_at", "id"),
                      Index("ix_model_flow_runs_message_thread_id", "message_thread_id", "created_at", "id"),
                      # The newest write: Home counts runs again only when it changed (`counts`).
                      Index("ix_model_flow_runs_written_at", "written_at"))


class MessageThread(Row, Base):
    """A conversation channel with a candidate: filtered by channel and chatbot state, searched by identifier."""

    __tablename__ = "model_message_threads"
    candidate_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(40), nullable=True)
    identifier: Mapped[str | None] = mapped_column(String(128), nullable=True)
    chatbot_paused: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # As for runs: each filter (channel, chatbot state) with each sort (activity, created), led by the tombstone flag.
    __table_args__ = (Index("ix_model_message_threads_candidate_id", "candidate_id"),
                      Index("ix_model_message_threads_identifier", "identifier"),
                      Index("ix_model_message_threads_channel", "deleted", "channel", "updated_at", "id"),
                      Index("ix_model_message_threads_channel_created_at", "deleted", "channel", "created_at", "id"),
                      Index("ix_model_message_threads_chatbot_paused", "deleted", "chatbot_paused", "updated_at", "id"),
                      Index("ix_model_message_threads_chatbot_paused_created_at", "deleted", "chatbot_paused",
                            "created_at", "id"),
                      Index("ix_model_message_threads_created_at", "deleted", "created_at", "id"),
                      Index("ix_model_message_threads_updated_at", "deleted", "updated_at", "id"))


class Candidate(Row, Base):
    """A person: name, phone and e-mail, and `search_text` (all of them lower-cased without accents)."""

    __tablename__ = "model_candidates"
    first_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    name: Mapped[str | None] = mapped_column(String(400), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    search_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    __table_args__ = (Index("ix_model_candidates_name", "last_name", "first_name"),
                      Index("ix_model_candidates_phone", "phone"), Index("ix_model_candidates_email", "email"),
                      Index("ix_model_candidates_created_at", "created_at"))


class Message(Row, Base):
    """A message in a thread, read in order for the conversation and a run's timeline."""

    __tablename__ = "model_messages"
    message_thread_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    origin: Mapped[str | None] = mapped_column(String(32), nullable=True)
    delivery_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    __table_args__ = (Index("ix_model_messages_message_thread_id", "message_thread_id", "created_at"),)


class FlowGeneration(Row, Base):
    """A flow being generated from a vacancy: listed by status, newest first."""

    __tablename__ = "model_flow_generations"
    flow_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    __table_args__ = (Index("ix_model_flow_generations_created_at", "deleted", "created_at", "id"),
                      Index("ix_model_flow_generations_status", "deleted", "status", "created_at", "id"),
                      Index("ix_model_flow_generations_flow_id", "flow_id"))


class VacancyAnalysis(Row, Base):
    """A vacancy text's analysis."""

    __tablename__ = "model_vacancy_analyses"
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    __table_args__ = (Index("ix_model_vacancy_analyses_created_at", "created_at"),)


# API type -> table, in the order a sync fills them (what rows point at comes before the rows).
TABLES: dict[str, type[Row]] = {
    "flows": Flow, "nodes": Node, "nodeActions": NodeAction, "nodeTransitions": NodeTransition,
    "candidates": Candidate, "messageThreads": MessageThread, "flowRuns": FlowRun, "messages": Message,
    "flowGenerations": FlowGeneration, "vacancyAnalyses": VacancyAnalysis,
}
# The to-one relationships kept per type, as related ids (read by the caller with `relations.related_id`).
RELATIONS: dict[str, tuple[str, ...]] = {
    "flows": ("flowGeneration", "vacancy"), "nodes": ("flow",), "nodeActions": ("node",),
    "nodeTransitions": ("node", "exitNode"), "candidates": ("candidateStatus",),
    "messageThreads": ("candidate",), "flowRuns": ("flow", "messageThread"), "messages": ("messageThread",),
    "flowGenerations": ("flow",), "vacancyAnalyses": (),
}
