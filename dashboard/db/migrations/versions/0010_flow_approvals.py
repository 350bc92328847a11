"""The review gate: one row per generated flow someone approved for launching (who, and when).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_approvals",
        sa.Column("flow_id", sa.String(length=64), nullable=False),
        sa.Column("flow_generation_id", sa.String(length=64), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.String(length=320), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("flow_id"),
    )


def downgrade() -> None:
    op.drop_table("flow_approvals")
