"""The webhook event log and the pushes it published, for replay after a reconnect.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_events',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('resource_type', sa.String(length=64), nullable=False),
    sa.Column('resource_id', sa.String(length=128), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('sockets', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_events_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_events_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_events_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_events_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_events_resource_type'), ['resource_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_events_verdict'), ['verdict'], unique=False)

    op.create_table('live_pushes',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=200), nullable=False),
    sa.Column('frame', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['webhook_events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('live_pushes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_pushes_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_live_pushes_event_id'), ['event_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('live_pushes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_pushes_event_id'))
        batch_op.drop_index(batch_op.f('ix_live_pushes_channel'))

    op.drop_table('live_pushes')
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_verdict'))
        batch_op.drop_index(batch_op.f('ix_webhook_events_resource_type'))
        batch_op.drop_index(batch_op.f('ix_webhook_events_resource_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_events_received_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_events_published_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_events_content_hash'))

    op.drop_table('webhook_events')
