"""Read-model rows name the webhook event that last wrote them by its id (the event log's key, a string).

The event log is keyed by the payload's `id` and has no integer seq; the push log's seq is assigned only when the
event is published, after the transaction that writes the row. So the column holds the event id.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("model_flows", "model_nodes", "model_node_actions", "model_node_transitions", "model_flow_runs",
          "model_message_threads", "model_candidates", "model_messages", "model_flow_generations",
          "model_vacancy_analyses")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("event_seq")
            batch_op.add_column(sa.Column("event_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("event_id")
            batch_op.add_column(sa.Column("event_seq", sa.Integer(), nullable=True))
