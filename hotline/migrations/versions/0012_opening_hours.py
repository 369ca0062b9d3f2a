"""Opening hours per queue (ivr.hours_queues) and until when the emergency notice plays (ivr.hours_notice).

Revision ID: 0012_opening_hours
Revises: 0011_admin_changes
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012_opening_hours"
down_revision: str | None = "0011_admin_changes"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "opening_hours",
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("days", sa.String(length=16), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("queue", name=op.f("pk_opening_hours")),
    )
    op.create_table(
        "emergency_notice_window",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_by", sa.String(length=32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_notice_window")),
    )


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("emergency_notice_window")
    op.drop_table("opening_hours")
