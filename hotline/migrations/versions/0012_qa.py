"""Quality inspection: rule and scoring-item versions, inspections, flags and scores (qa.models).

Revision ID: 0012_qa
Revises: 0011_admin_changes
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012_qa"
down_revision: str | None = "0011_admin_changes"
branch_labels: str | None = None
depends_on: str | None = None


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "qa_config_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            _one_of("kind", ("rules", "items")), name="ck_qa_config_versions_qa_config_kind_known"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_config_versions")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_qa_config_versions_kind_version")),
    )
    op.create_table(
        "qa_inspections",
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("flag_count", sa.Integer(), nullable=False),
        sa.Column("sampled", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            _one_of("state", ("skipped", "open", "scored")),
            name="ck_qa_inspections_qa_inspection_state_known",
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_qa_inspections")),
    )
    op.create_index(
        op.f("ix_qa_inspections_state_call_started_at"), "qa_inspections", ["state", "call_started_at"]
    )
    op.create_index(
        op.f("ix_qa_inspections_agent_id_call_started_at"), "qa_inspections", ["agent_id", "call_started_at"]
    )
    op.create_table(
        "qa_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
        sa.Column("excerpt", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["qa_inspections.call_id"],
            name=op.f("fk_qa_flags_call_id_qa_inspections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_flags")),
    )
    op.create_index(op.f("ix_qa_flags_call_id"), "qa_flags", ["call_id"])
    op.create_table(
        "qa_scores",
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("items_version", sa.Integer(), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("scored_by", sa.String(length=32), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["qa_inspections.call_id"],
            name=op.f("fk_qa_scores_call_id_qa_inspections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_qa_scores")),
    )


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_table("qa_scores")
    op.drop_index(op.f("ix_qa_flags_call_id"), table_name="qa_flags")
    op.drop_table("qa_flags")
    op.drop_index(op.f("ix_qa_inspections_agent_id_call_started_at"), table_name="qa_inspections")
    op.drop_index(op.f("ix_qa_inspections_state_call_started_at"), table_name="qa_inspections")
    op.drop_table("qa_inspections")
    op.drop_table("qa_config_versions")
