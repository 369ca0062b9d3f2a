"""Indexes for the KPI queries (docs/KPIS.md): calls by queue entry, agent states by time, call events
by kind and time (transfers and three-way calls of a range).

Revision ID: 0008_kpi_indexes
Revises: 0007_supervision
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision: str = "0008_kpi_indexes"
down_revision: str | None = "0007_supervision"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the three indexes."""
    op.create_index("ix_calls_queued_at", "calls", ["queued_at"])
    op.create_index("ix_agent_state_log_at", "agent_state_log", ["at"])
    op.create_index("ix_call_events_kind_at", "call_events", ["kind", "at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_call_events_kind_at", table_name="call_events")
    op.drop_index("ix_agent_state_log_at", table_name="agent_state_log")
    op.drop_index("ix_calls_queued_at", table_name="calls")
