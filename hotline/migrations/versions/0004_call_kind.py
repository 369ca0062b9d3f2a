"""Call records say whether a citizen made the call; call events reported by every node are kept once.

``calls.kind``: ``citizen`` (every existing row) or ``consult``, an agent's consultation leg that
waited in the ACD during an attended transfer. ``call_events.once_key`` with a unique constraint on
``(call_id, once_key)``: a step every app node reports (the static fallback queue's events) is
recorded by the first node only.

Revision ID: 0004_call_kind
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_call_kind"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


_KIND_CHECK = "ck_calls_kind_known"
_ONCE_INDEX = "uq_call_events_call_id_once_key"


def upgrade() -> None:
    """Add ``calls.kind`` (with its check) and ``call_events.once_key`` (with its unique index).

    Plain ``ALTER TABLE ... ADD COLUMN`` on both backends: a SQLite table copy would rename the
    constraints it copies.
    """
    op.add_column(
        "calls",
        sa.Column(
            "kind",
            sa.String(),
            sa.CheckConstraint("kind IN ('citizen', 'consult')", name=op.f(_KIND_CHECK)),
            server_default="citizen",
            nullable=False,
        ),
    )
    op.add_column("call_events", sa.Column("once_key", sa.String(), nullable=True))
    op.create_index(op.f(_ONCE_INDEX), "call_events", ["call_id", "once_key"], unique=True)


def downgrade() -> None:
    """Drop what this revision added (the column's check goes with the column)."""
    op.drop_index(op.f(_ONCE_INDEX), table_name="call_events")
    op.drop_column("call_events", "once_key")
    op.drop_column("calls", "kind")
