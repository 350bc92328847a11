"""One index for a resource's events (id, type, verdict, updatedAt), which every webhook's verdict reads.

The twin and newest-wins queries name the resource's type and id; with an index on each column alone, SQLite
chose the type's (every event of that type: a scan growing with the log) or the verdict's. This one finds a
resource's events directly, and the newest applied `updatedAt` from the index alone.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_webhook_events_resource", "webhook_events",
                    ["resource_id", "resource_type", "verdict", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_resource", table_name="webhook_events")
