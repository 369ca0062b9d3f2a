"""Deadline marks, supervision records (督办) and the edited calendar years.

``deadline_marks`` (one row per open order and limit that is due soon or overdue; derived data,
without a foreign key),
``supervision_orders`` (one 督办 record per order and reason), ``calendar_years`` (years of the
working-day calendar an admin edited). See ``tickets.supervision_models``.

Revision ID: 0008_order_supervision
Revises: 0007_supervision
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_order_supervision"
down_revision: str | None = "0007_supervision"
branch_labels: str | None = None
depends_on: str | None = None

_KINDS = ("sign", "handle", "reply")
_STATES = ("due_soon", "overdue")
_REASONS = ("sign_overdue", "handle_overdue", "reply_overdue", "repeat", "unresolved", "dissatisfied")
_LEVELS = ("department", "escalated", "leadership")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _order_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["order_id"], ["work_orders.id"], name=f"fk_{table}_order_id_work_orders", ondelete="CASCADE"
    )


def _marks() -> None:
    op.create_table(
        "deadline_marks",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_one_of("kind", _KINDS), name="ck_deadline_marks_kind_known"),
        sa.CheckConstraint(_one_of("state", _STATES), name="ck_deadline_marks_state_known"),
        sa.PrimaryKeyConstraint("order_id", "kind", name="pk_deadline_marks"),
    )
    op.create_index("ix_deadline_marks_state_kind", "deadline_marks", ["state", "kind"])


def _supervision() -> None:
    table = "supervision_orders"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("department", sa.String(32), nullable=True),
        sa.Column("escalate_to", sa.String(32), nullable=True),
        sa.Column("target_unknown", sa.Boolean(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.CheckConstraint(_one_of("reason", _REASONS), name=f"ck_{table}_reason_known"),
        sa.CheckConstraint(_one_of("level", _LEVELS), name=f"ck_{table}_level_known"),
        _order_fk(table),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("order_id", "reason", name=f"uq_{table}_order_id_reason"),
    )
    op.create_index(f"ix_{table}_department_raised_at", table, ["department", "raised_at"])
    op.create_index(f"ix_{table}_escalate_to", table, ["escalate_to"])


def upgrade() -> None:
    """Create the three tables."""
    _marks()
    _supervision()
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name="pk_calendar_years"),
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("calendar_years")
    for index in ("escalate_to", "department_raised_at"):
        op.drop_index(f"ix_supervision_orders_{index}", table_name="supervision_orders")
    op.drop_table("supervision_orders")
    op.drop_index("ix_deadline_marks_state_kind", table_name="deadline_marks")
    op.drop_table("deadline_marks")
