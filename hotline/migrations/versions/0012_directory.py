"""The transfer directory in the database (admin.directory_models) and disabled users
(admin.agents_models).

Revision ID: 0012_directory
Revises: 0011_admin_changes
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012_directory"
down_revision: str | None = "0011_admin_changes"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create both tables (the directory is seeded by the application, from its YAML file)."""
    op.create_table(
        "directory_entries",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.CheckConstraint("number <> ''", name=op.f("ck_directory_entries_number_present")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_entries")),
    )
    op.create_table(
        "agent_disabled",
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_by", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agent_disabled")),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("agent_disabled")
    op.drop_table("directory_entries")
