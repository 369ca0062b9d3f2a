"""Initial schema: agents, calls, agent_state_log, call_events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the four tables and their indexes."""
    op.create_table(
        "agents",
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("contact", sa.String(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name="pk_agents"),
    )
    _create_calls()
    op.create_table(
        "agent_state_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("pause_reason", sa.String(), nullable=True),
        sa.Column("call_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_agent_state_log"),
    )
    op.create_index("ix_agent_state_log_agent_id_at", "agent_state_log", ["agent_id", "at"])
    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_events"),
    )
    op.create_index("ix_call_events_call_id_at", "call_events", ["call_id", "at"])


def _create_calls() -> None:
    op.create_table(
        "calls",
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("caller", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("dialed", sa.String(), nullable=False),
        sa.Column("queue", sa.String(), nullable=True),
        sa.Column("ivr_keys", sa.String(), nullable=False),
        sa.Column("ivr_flow_version", sa.String(), nullable=True),
        sa.Column("entered_ivr_at", _utc(), nullable=False),
        sa.Column("queued_at", _utc(), nullable=True),
        sa.Column("offered_at", _utc(), nullable=True),
        sa.Column("answered_at", _utc(), nullable=True),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("agent_id", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("wait_seconds", sa.Double(), nullable=True),
        sa.Column("talk_seconds", sa.Double(), nullable=True),
        sa.Column("recording_path", sa.String(), nullable=True),
        sa.Column("survey_score", sa.Integer(), nullable=True),
        sa.CheckConstraint("survey_score BETWEEN 1 AND 5", name="ck_calls_survey_score_range"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.agent_id"], name="fk_calls_agent_id_agents", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("call_id", name="pk_calls"),
    )
    op.create_index("ix_calls_entered_ivr_at", "calls", ["entered_ivr_at"])
    op.create_index("ix_calls_caller", "calls", ["caller"], postgresql_ops={"caller": "text_pattern_ops"})
    op.create_index("ix_calls_agent_id", "calls", ["agent_id"])


def downgrade() -> None:
    """Drop everything this revision created."""
    op.drop_table("call_events")
    op.drop_table("agent_state_log")
    op.drop_table("calls")
    op.drop_table("agents")
