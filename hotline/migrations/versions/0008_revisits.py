"""Revisit attempts (回访): one row per call or hand-recorded result to a citizen of a replied order.

Revision ID: 0008_revisits
Revises: 0007_supervision
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_revisits"
down_revision: str | None = "0007_supervision"
branch_labels: str | None = None
depends_on: str | None = None

_VIAS = ["phone", "manual"]
_OUTCOMES = ["calling", "answered", "reached", "no_answer", "busy", "no_keys", "failed"]
_SATISFACTIONS = ["satisfied", "basically_satisfied", "dissatisfied"]


def _one_of(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    """Create ``revisit_attempts``."""
    op.create_table(
        "revisit_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("main_order_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("solved", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.String(length=24), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.CheckConstraint(_one_of("via", _VIAS), name=op.f("ck_revisit_attempts_via_known")),
        sa.CheckConstraint(_one_of("outcome", _OUTCOMES), name=op.f("ck_revisit_attempts_outcome_known")),
        sa.CheckConstraint(
            f"satisfaction IS NULL OR {_one_of('satisfaction', _SATISFACTIONS)}",
            name=op.f("ck_revisit_attempts_satisfaction_known"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name=op.f("fk_revisit_attempts_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["main_order_id"],
            ["work_orders.id"],
            name=op.f("fk_revisit_attempts_main_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisit_attempts")),
        sa.UniqueConstraint("order_id", "seq", name=op.f("uq_revisit_attempts_order_id_seq")),
    )
    op.create_index(
        op.f("ix_revisit_attempts_main_order_id_started_at"),
        "revisit_attempts",
        ["main_order_id", "started_at"],
    )
    op.create_index(op.f("ix_revisit_attempts_outcome"), "revisit_attempts", ["outcome"])


def downgrade() -> None:
    """Drop ``revisit_attempts``."""
    op.drop_index(op.f("ix_revisit_attempts_outcome"), table_name="revisit_attempts")
    op.drop_index(op.f("ix_revisit_attempts_main_order_id_started_at"), table_name="revisit_attempts")
    op.drop_table("revisit_attempts")
