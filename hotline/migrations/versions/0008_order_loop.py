"""The order loop: departments' requests for more time (``work_order_extensions``), and an index on
``work_orders (address, created_at)`` for 并单 suggestions.

At most one open request per order, kept by a partial unique index on both SQLite and PostgreSQL.

Revision ID: 0008_order_loop
Revises: 0007_supervision
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_order_loop"
down_revision: str | None = "0007_supervision"
branch_labels: str | None = None
depends_on: str | None = None

_TABLE = "work_order_extensions"
_OPEN = sa.text("status = 'requested'")


def upgrade() -> None:
    """Create the extension requests table and its indexes."""
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'refused')", name="ck_work_order_extensions_status_known"
        ),
        sa.CheckConstraint(
            "working_days >= 1 AND working_days <= 366", name="ck_work_order_extensions_working_days_range"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name="fk_work_order_extensions_order_id_work_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_extensions"),
    )
    op.create_index("ix_work_order_extensions_order_id", _TABLE, ["order_id"])
    op.create_index(
        "ix_work_order_extensions_open",
        _TABLE,
        ["order_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    op.create_index("ix_work_orders_address_created_at", "work_orders", ["address", "created_at"])


def downgrade() -> None:
    """Drop the table and the index."""
    op.drop_index("ix_work_orders_address_created_at", table_name="work_orders")
    op.drop_index("ix_work_order_extensions_open", table_name=_TABLE)
    op.drop_index("ix_work_order_extensions_order_id", table_name=_TABLE)
    op.drop_table(_TABLE)
