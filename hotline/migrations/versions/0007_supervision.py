"""Supervisors' queues and the append-only supervision log.

``supervisor_queues`` (``supervisor_id``, ``queue``): the queues each supervisor may listen in and act
on. ``supervision_log``: every listening session, mode switch, take-over and action on an agent; on
PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on it.

Revision ID: 0007_supervision
Revises: 0006_read_audit_objects
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_supervision"
down_revision: str | None = "0006_read_audit_objects"
branch_labels: str | None = None
depends_on: str | None = None

_FUNCTION = "supervision_log_append_only"
_TRIGGER = "trg_supervision_log_append_only"


def _log_table() -> None:
    op.create_table(
        "supervision_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supervisor_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_log")),
    )
    op.create_index(op.f("ix_supervision_log_at"), "supervision_log", ["at"])
    op.create_index(op.f("ix_supervision_log_supervisor_id_at"), "supervision_log", ["supervisor_id", "at"])
    op.create_index(op.f("ix_supervision_log_agent_id_at"), "supervision_log", ["agent_id", "at"])


def upgrade() -> None:
    """Create both tables; guard the log on PostgreSQL."""
    op.create_table(
        "supervisor_queues",
        sa.Column("supervisor_id", sa.String(length=32), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("supervisor_id", "queue", name=op.f("pk_supervisor_queues")),
    )
    _log_table()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'supervision_log is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {_TRIGGER} BEFORE UPDATE OR DELETE OR TRUNCATE ON supervision_log "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
        )


def downgrade() -> None:
    """Drop both tables (and the guard)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER} ON supervision_log")
        op.execute(f"DROP FUNCTION IF EXISTS {_FUNCTION}()")
    op.drop_index(op.f("ix_supervision_log_agent_id_at"), table_name="supervision_log")
    op.drop_index(op.f("ix_supervision_log_supervisor_id_at"), table_name="supervision_log")
    op.drop_index(op.f("ix_supervision_log_at"), table_name="supervision_log")
    op.drop_table("supervision_log")
    op.drop_table("supervisor_queues")
