"""``calls.wrap_seconds``: the wrap-up seconds of the call's handlings, written by the recorder when an
agent's wrap-up of the call ends, so handle times (docs/KPIS.md) need not be worked out from
``agent_state_log`` for every call.

Revision ID: 0008_call_wrap_seconds
Revises: 0007_supervision
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_call_wrap_seconds"
down_revision: str | None = "0007_supervision"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the nullable column (NULL: not known, the KPIs read the state log)."""
    op.add_column("calls", sa.Column("wrap_seconds", sa.Double(), nullable=True))


def downgrade() -> None:
    """Drop it."""
    op.drop_column("calls", "wrap_seconds")
