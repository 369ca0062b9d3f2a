"""The admin change log (admin.models), append-only on PostgreSQL.

Revision ID: 0011_admin_changes
Revises: 0010_recordings
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011_admin_changes"
down_revision: str | None = "0010_recordings"
branch_labels: str | None = None
depends_on: str | None = None

_FUNCTION = "admin_changes_append_only"
_TRIGGER = "trg_admin_changes_append_only"


def upgrade() -> None:
    """Create the table; guard it on PostgreSQL."""
    op.create_table(
        "admin_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_changes")),
    )
    op.create_index(op.f("ix_admin_changes_at"), "admin_changes", ["at"])
    op.create_index(op.f("ix_admin_changes_area_object_id"), "admin_changes", ["area", "object_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'admin_changes is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {_TRIGGER} BEFORE UPDATE OR DELETE OR TRUNCATE ON admin_changes "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
        )


def downgrade() -> None:
    """Drop the table (and the guard)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER} ON admin_changes")
        op.execute(f"DROP FUNCTION IF EXISTS {_FUNCTION}()")
    op.drop_index(op.f("ix_admin_changes_area_object_id"), table_name="admin_changes")
    op.drop_index(op.f("ix_admin_changes_at"), table_name="admin_changes")
    op.drop_table("admin_changes")
