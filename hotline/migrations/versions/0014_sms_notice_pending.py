"""``ix_sms_notices_pending``: the order-notice job looks for receipts still pending (kind
``order_received``, messages -1, older than the grace) on every pass of every node; without the index
that read scans every receipt ever sent (tickets.receipts).

Revision ID: 0014_sms_notice_pending
Revises: 0013_merge_0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision: str = "0014_sms_notice_pending"
down_revision: str | None = "0013_merge_0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Index the notices by kind, messages and time."""
    op.create_index("ix_sms_notices_pending", "sms_notices", ["kind", "messages", "at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_sms_notices_pending", table_name="sms_notices")
