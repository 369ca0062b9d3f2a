"""Confidential calls, anonymised personal data and the append-only read audit.

``calls.confidential``: any event of the call carried the IVR's ``confidential`` tag (work orders take
their confidentiality from it). ``calls.anonymised_at`` and ``work_orders.anonymised_at``: when the
retention job blanked the personal fields. ``read_audit``: who read citizens' data; on PostgreSQL a
trigger refuses UPDATE and DELETE on it (SQLite has no route that could).

Revision ID: 0005_privacy
Revises: 0003_tickets, 0004_call_kind
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_privacy"
down_revision: tuple[str, ...] | None = ("0003_tickets", "0004_call_kind")
branch_labels: str | None = None
depends_on: str | None = None

_FUNCTION = "read_audit_append_only"
_TRIGGER = "trg_read_audit_append_only"


def _audit_table() -> None:
    op.create_table(
        "read_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("objects", sa.Text(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_audit")),
    )
    op.create_index(op.f("ix_read_audit_at"), "read_audit", ["at"])
    op.create_index(op.f("ix_read_audit_user_id_at"), "read_audit", ["user_id", "at"])
    op.create_index(op.f("ix_read_audit_object_id"), "read_audit", ["object_id"])


def _append_only_trigger() -> None:
    op.execute(
        f"CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'read_audit is append-only'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {_TRIGGER} BEFORE UPDATE OR DELETE OR TRUNCATE ON read_audit "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
    )


def upgrade() -> None:
    """Add the columns, the audit table and (PostgreSQL) its append-only trigger."""
    op.add_column("calls", sa.Column("confidential", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("calls", sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("work_orders", sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    _audit_table()
    if op.get_bind().dialect.name == "postgresql":
        _append_only_trigger()


def downgrade() -> None:
    """Drop what this revision added."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER} ON read_audit")
        op.execute(f"DROP FUNCTION IF EXISTS {_FUNCTION}()")
    op.drop_table("read_audit")
    op.drop_column("work_orders", "anonymised_at")
    op.drop_column("calls", "anonymised_at")
    op.drop_column("calls", "confidential")
