"""``work_orders.request_key``: the creating client's key for an intake, unique per creator, so a retried
create (lost answer, another app node) finds the order it already made (tickets.request_keys).

Revision ID: 0012_order_request_keys
Revises: 0011_admin_changes
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012_order_request_keys"
down_revision: str | None = "0011_admin_changes"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the nullable column (NULL: made without a key; NULLs never collide) and its unique index."""
    op.add_column("work_orders", sa.Column("request_key", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_work_orders_created_by_request_key", "work_orders", ["created_by", "request_key"], unique=True
    )


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("uq_work_orders_created_by_request_key", table_name="work_orders")
    op.drop_column("work_orders", "request_key")
