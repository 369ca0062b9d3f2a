"""Video calls of the sign-language page (hotline.guest_models).

Revision ID: 0012_video_calls
Revises: 0011_admin_changes
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012_video_calls"
down_revision: str | None = "0011_admin_changes"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "video_calls",
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("guest", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_video_calls")),
    )
    op.create_index(op.f("ix_video_calls_started_at"), "video_calls", ["started_at"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_index(op.f("ix_video_calls_started_at"), table_name="video_calls")
    op.drop_table("video_calls")
