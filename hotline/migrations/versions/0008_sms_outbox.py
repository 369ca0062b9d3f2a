"""The SMS outbox: every text message the centre sends (the default gateway only stores them).

Revision ID: 0008_sms_outbox
Revises: 0007_supervision
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_sms_outbox"
down_revision: str | None = "0007_supervision"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``sms_outbox``."""
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("order_number", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint("status IN ('stored', 'sent', 'failed')", name=op.f("ck_sms_outbox_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
    )
    op.create_index("ix_sms_outbox_created_at", "sms_outbox", ["created_at"])
    op.create_index("ix_sms_outbox_order_number", "sms_outbox", ["order_number"])


def downgrade() -> None:
    """Drop ``sms_outbox``."""
    op.drop_index("ix_sms_outbox_order_number", table_name="sms_outbox")
    op.drop_index("ix_sms_outbox_created_at", table_name="sms_outbox")
    op.drop_table("sms_outbox")
