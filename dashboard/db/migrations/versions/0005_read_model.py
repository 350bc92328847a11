"""The read model (one table per resource type) and its sync's progress and lease.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.String(length=64)
# table -> (its own columns, its indexes as (name, columns))
TABLES = {
    "model_flows": (
        [sa.Column("name", sa.String(length=300), nullable=True), sa.Column("flow_generation_id", ID, nullable=True),
         sa.Column("vacancy_id", ID, nullable=True), sa.Column("published_at", sa.DateTime(), nullable=True),
         sa.Column("unpublished_changes", sa.Boolean(), nullable=True)],
        [("name", ["name"]), ("created_at", ["created_at"]), ("updated_at", ["updated_at"]),
         ("flow_generation_id", ["flow_generation_id"])]),
    "model_nodes": (
        [sa.Column("flow_id", ID, nullable=True), sa.Column("position", sa.Integer(), nullable=True)],
        [("flow_id", ["flow_id", "position"])]),
    "model_node_actions": (
        [sa.Column("node_id", ID, nullable=True), sa.Column("position", sa.Integer(), nullable=True)],
        [("node_id", ["node_id", "position"])]),
    "model_node_transitions": (
        [sa.Column("node_id", ID, nullable=True), sa.Column("exit_node_id", ID, nullable=True),
         sa.Column("position", sa.Integer(), nullable=True)],
        [("node_id", ["node_id", "position"]), ("exit_node_id", ["exit_node_id"])]),
    "model_flow_runs": (
        [sa.Column("flow_id", ID, nullable=True), sa.Column("message_thread_id", ID, nullable=True),
         sa.Column("status", sa.String(length=32), nullable=True)],
        [("created_at", ["created_at"]), ("updated_at", ["updated_at"]), ("status", ["status", "created_at"]),
         ("flow_id", ["flow_id", "created_at"]), ("message_thread_id", ["message_thread_id", "created_at"])]),
    "model_message_threads": (
        [sa.Column("candidate_id", ID, nullable=True), sa.Column("channel", sa.String(length=40), nullable=True),
         sa.Column("identifier", sa.String(length=128), nullable=True),
         sa.Column("chatbot_paused", sa.Boolean(), nullable=True)],
        [("candidate_id", ["candidate_id"]), ("identifier", ["identifier"]), ("channel", ["channel", "updated_at"]),
         ("chatbot_paused", ["chatbot_paused", "updated_at"]), ("created_at", ["created_at"]),
         ("updated_at", ["updated_at"])]),
    "model_candidates": (
        [sa.Column("first_name", sa.String(length=200), nullable=True),
         sa.Column("last_name", sa.String(length=200), nullable=True),
         sa.Column("name", sa.String(length=400), nullable=True), sa.Column("phone", sa.String(length=64), nullable=True),
         sa.Column("email", sa.String(length=320), nullable=True), sa.Column("search_text", sa.Text(), nullable=True)],
        [("name", ["last_name", "first_name"]), ("phone", ["phone"]), ("email", ["email"]),
         ("created_at", ["created_at"])]),
    "model_messages": (
        [sa.Column("message_thread_id", ID, nullable=True), sa.Column("origin", sa.String(length=32), nullable=True),
         sa.Column("delivery_status", sa.String(length=32), nullable=True)],
        [("message_thread_id", ["message_thread_id", "created_at"])]),
    "model_flow_generations": (
        [sa.Column("flow_id", ID, nullable=True), sa.Column("status", sa.String(length=32), nullable=True)],
        [("created_at", ["created_at"]), ("status", ["status", "created_at"]), ("flow_id", ["flow_id"])]),
    "model_vacancy_analyses": (
        [sa.Column("status", sa.String(length=32), nullable=True)],
        [("created_at", ["created_at"])]),
}


def common() -> list[sa.Column]:
    """The columns every read-model table has (dashboard.db.model.Row)."""
    return [sa.Column("id", ID, nullable=False), sa.Column("type", sa.String(length=32), nullable=False),
            sa.Column("attributes", sa.Text(), nullable=False), sa.Column("relations", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=True), sa.Column("updated_at", sa.DateTime(), nullable=True),
            sa.Column("deleted", sa.Boolean(), nullable=False), sa.Column("event_seq", sa.Integer(), nullable=True),
            sa.Column("written_at", sa.DateTime(), nullable=False)]


def upgrade() -> None:
    for table, (columns, indexes) in TABLES.items():
        op.create_table(table, *columns, *common(), sa.PrimaryKeyConstraint("id"))
        for name, indexed in indexes:
            op.create_index(f"ix_{table}_{name}", table, indexed, unique=False)
    op.create_table("model_sync",
                    sa.Column("type", sa.String(length=32), nullable=False),
                    sa.Column("base_url", sa.String(length=500), nullable=False),
                    sa.Column("watermark", sa.DateTime(), nullable=True),
                    sa.Column("backfill_done", sa.Boolean(), nullable=False),
                    sa.Column("backfill_pages", sa.Integer(), nullable=False),
                    sa.Column("backfill_rows", sa.Integer(), nullable=False),
                    sa.Column("api_total", sa.Integer(), nullable=True),
                    sa.Column("last_applied", sa.Integer(), nullable=False),
                    sa.Column("last_synced_at", sa.DateTime(), nullable=True),
                    sa.Column("last_error", sa.String(length=500), nullable=True),
                    sa.Column("last_error_at", sa.DateTime(), nullable=True),
                    sa.PrimaryKeyConstraint("type"))
    op.create_table("model_sync_lease",
                    sa.Column("name", sa.String(length=32), nullable=False),
                    sa.Column("owner", sa.String(length=200), nullable=True),
                    sa.Column("expires_at", sa.DateTime(), nullable=True),
                    sa.Column("started_at", sa.DateTime(), nullable=True),
                    sa.Column("finished_at", sa.DateTime(), nullable=True),
                    sa.Column("failed_at", sa.DateTime(), nullable=True),
                    sa.PrimaryKeyConstraint("name"))


def downgrade() -> None:
    op.drop_table("model_sync_lease")
    op.drop_table("model_sync")
    for table, (_columns, indexes) in TABLES.items():
        for name, _indexed in indexes:
            op.drop_index(f"ix_{table}_{name}", table_name=table)
        op.drop_table(table)
