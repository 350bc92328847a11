"""Indexes for every filter and sort the list pages offer, and for Home's counts.

Each list index is led by the tombstone flag every list excludes (`deleted`), then the filter, then the sort column
and the id that breaks its ties: a page is read in index order and stops after its rows, and a count or a
`GROUP BY status` reads the index alone, never a row with its attributes. The runs' newest `written_at` tells
Home whether its counts changed (`dashboard/db/counts.py`). Same definitions on SQLite and Postgres.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# table -> {index name: (columns before, columns after)}; a name whose "before" is None is new.
CHANGES = {
    "model_flow_runs": {
        "created_at": (["created_at"], ["deleted", "created_at", "id"]),
        "updated_at": (["updated_at"], ["deleted", "updated_at", "id"]),
        "status": (["status", "created_at"], ["deleted", "status", "created_at", "id"]),
        "status_updated_at": (None, ["deleted", "status", "updated_at", "id"]),
        "flow_id": (["flow_id", "created_at"], ["deleted", "flow_id", "created_at", "id"]),
        "flow_id_updated_at": (None, ["deleted", "flow_id", "updated_at", "id"]),
        "message_thread_id": (["message_thread_id", "created_at"], ["message_thread_id", "created_at", "id"]),
        "written_at": (None, ["written_at"]),
    },
    "model_message_threads": {
        "channel": (["channel", "updated_at"], ["deleted", "channel", "updated_at", "id"]),
        "channel_created_at": (None, ["deleted", "channel", "created_at", "id"]),
        "chatbot_paused": (["chatbot_paused", "updated_at"], ["deleted", "chatbot_paused", "updated_at", "id"]),
        "chatbot_paused_created_at": (None, ["deleted", "chatbot_paused", "created_at", "id"]),
        "created_at": (["created_at"], ["deleted", "created_at", "id"]),
        "updated_at": (["updated_at"], ["deleted", "updated_at", "id"]),
    },
    "model_flow_generations": {
        "created_at": (["created_at"], ["deleted", "created_at", "id"]),
        "status": (["status", "created_at"], ["deleted", "status", "created_at", "id"]),
    },
}


def upgrade() -> None:
    for table, indexes in CHANGES.items():
        for name, (before, after) in indexes.items():
            if before is not None:
                op.drop_index(f"ix_{table}_{name}", table_name=table)
            op.create_index(f"ix_{table}_{name}", table, after, unique=False)


def downgrade() -> None:
    for table, indexes in CHANGES.items():
        for name, (before, _after) in indexes.items():
            op.drop_index(f"ix_{table}_{name}", table_name=table)
            if before is not None:
                op.create_index(f"ix_{table}_{name}", table, before, unique=False)
