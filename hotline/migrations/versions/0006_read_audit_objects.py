"""The ids each audited read showed move to their own indexed table, so finding who saw an order or a call
is an index lookup instead of a scan of every read.

``read_audit_objects`` (``read_id``, ``object_id``) is filled from ``read_audit.objects`` (space-separated),
which is then dropped. On PostgreSQL the new table gets the same append-only trigger as ``read_audit``.

Revision ID: 0006_read_audit_objects
Revises: 0005_privacy
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_read_audit_objects"
down_revision: str | None = "0005_privacy"
branch_labels: str | None = None
depends_on: str | None = None

_FUNCTION = "read_audit_append_only"
_TRIGGER = "trg_read_audit_objects_append_only"


def _backfill() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, objects FROM read_audit")).all()
    pairs = [{"read_id": rid, "object_id": o[:64]} for rid, text in rows for o in dict.fromkeys(text.split())]
    if pairs:
        conn.execute(
            sa.text("INSERT INTO read_audit_objects (read_id, object_id) VALUES (:read_id, :object_id)"),
            pairs,
        )


def upgrade() -> None:
    """Create and fill the table, drop the text column, guard the table on PostgreSQL."""
    op.create_table(
        "read_audit_objects",
        sa.Column("read_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["read_id"], ["read_audit.id"], name=op.f("fk_read_audit_objects_read_id_read_audit")
        ),
        sa.PrimaryKeyConstraint("read_id", "object_id", name=op.f("pk_read_audit_objects")),
    )
    op.create_index(op.f("ix_read_audit_objects_object_id"), "read_audit_objects", ["object_id"])
    _backfill()
    op.drop_column("read_audit", "objects")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {_TRIGGER} BEFORE UPDATE OR DELETE OR TRUNCATE ON read_audit_objects "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
        )


def downgrade() -> None:
    """Drop the table (with the ids it held) and bring back an empty ``read_audit.objects``."""
    op.add_column("read_audit", sa.Column("objects", sa.Text(), server_default=" ", nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER} ON read_audit_objects")
    op.drop_index(op.f("ix_read_audit_objects_object_id"), table_name="read_audit_objects")
    op.drop_table("read_audit_objects")
