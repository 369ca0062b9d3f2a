"""Department SMS numbers and the order notices already sent (``tickets.order_notice_models``).

Revision ID: 0008_order_notices
Revises: 0007_supervision
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_order_notices"
down_revision: str | None = "0007_supervision"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``department_sms_numbers`` and ``sms_notices``."""
    op.create_table(
        "department_sms_numbers",
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("department", "number", name=op.f("pk_department_sms_numbers")),
    )
    op.create_table(
        "sms_notices",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name=op.f("fk_sms_notices_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "kind", "ref", name=op.f("pk_sms_notices")),
    )
    op.create_index("ix_sms_notices_kind_ref", "sms_notices", ["kind", "ref"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_index("ix_sms_notices_kind_ref", table_name="sms_notices")
    op.drop_table("sms_notices")
    op.drop_table("department_sms_numbers")
