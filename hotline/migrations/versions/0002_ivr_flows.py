"""IVR call flows: versions, the live version per pack, admin flag switches, caller profiles.

Revision ID: 0002_ivr_flows
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_ivr_flows"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the four IVR tables."""
    op.create_table(
        "ivr_flow_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pack_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("published_at", _utc(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'published')", name="ck_ivr_flow_versions_status_known"),
        sa.PrimaryKeyConstraint("id", name="pk_ivr_flow_versions"),
        sa.UniqueConstraint("pack_id", "version", name="uq_ivr_flow_versions_pack_id_version"),
    )
    op.create_table(
        "ivr_live_flows",
        sa.Column("pack_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", _utc(), nullable=False),
        sa.Column("changed_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("pack_id", name="pk_ivr_live_flows"),
    )
    op.create_table(
        "ivr_flag_overrides",
        sa.Column("pack_id", sa.String(), nullable=False),
        sa.Column("flag", sa.String(), nullable=False),
        sa.Column("value", sa.Boolean(), nullable=False),
        sa.Column("changed_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("pack_id", "flag", name="pk_ivr_flag_overrides"),
    )
    op.create_table(
        "caller_profiles",
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("elderly", sa.Boolean(), nullable=False),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_caller_profiles"),
    )


def downgrade() -> None:
    """Drop the IVR tables."""
    op.drop_table("caller_profiles")
    op.drop_table("ivr_flag_overrides")
    op.drop_table("ivr_live_flows")
    op.drop_table("ivr_flow_versions")
