"""The 110 linkage: the hand-off outbox, the transfers received from 110, and the channel ``110``.

The channel check of ``work_orders`` gains ``110``. PostgreSQL replaces the constraint. SQLite cannot
alter a CHECK, and rebuilding ``work_orders`` would drop it with foreign keys on (the migration runs in
one transaction, where they cannot be turned off), and that delete cascades into every table referring
to orders. Widening an IN list changes nothing stored, so on SQLite the table's recorded SQL is edited
in place as SQLite's ALTER TABLE documentation describes (``writable_schema``, then a new
``schema_version``), and the schema is checked afterwards.

Revision ID: 0008_linkage110
Revises: 0007_supervision
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_linkage110"
down_revision: str | None = "0007_supervision"
branch_labels: str | None = None
depends_on: str | None = None

_OLD_CHANNELS = ["phone", "web", "wechat", "email", "sign_language_video"]
_NEW_CHANNELS = [*_OLD_CHANNELS, "110"]


def _one_of(values: list[str]) -> str:
    return f"channel IN ({', '.join(repr(v) for v in values)})"


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the outbox and transfer tables and allow channel ``110``."""
    op.create_table(
        "linkage110_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("order_number", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("delivered_at", _utc(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name="ck_linkage110_outbox_status_known"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_linkage110_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_linkage110_outbox_idempotency_key"),
    )
    op.create_index(
        "ix_linkage110_outbox_status_next_attempt_at", "linkage110_outbox", ["status", "next_attempt_at"]
    )
    op.create_index("ix_linkage110_outbox_order_number", "linkage110_outbox", ["order_number"])
    op.create_table(
        "linkage110_transfers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("acknowledgement", sa.JSON(), nullable=True),
        sa.Column("received_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_linkage110_transfers"),
        sa.UniqueConstraint("idempotency_key", name="uq_linkage110_transfers_idempotency_key"),
    )
    _set_channels(_OLD_CHANNELS, _NEW_CHANNELS)


def downgrade() -> None:
    """Drop the tables; orders with channel ``110`` must be gone first (the check refuses them)."""
    _set_channels(_NEW_CHANNELS, _OLD_CHANNELS)
    op.drop_table("linkage110_transfers")
    op.drop_index("ix_linkage110_outbox_order_number", table_name="linkage110_outbox")
    op.drop_index("ix_linkage110_outbox_status_next_attempt_at", table_name="linkage110_outbox")
    op.drop_table("linkage110_outbox")


def _set_channels(old: list[str], new: list[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        name = bind.exec_driver_sql(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'work_orders'::regclass"
            " AND contype = 'c' AND conname LIKE '%%channel_known'"
        ).scalar_one()
        op.execute(sa.text(f'ALTER TABLE work_orders DROP CONSTRAINT "{name}"'))
        op.execute(sa.text(f'ALTER TABLE work_orders ADD CONSTRAINT "{name}" CHECK ({_one_of(new)})'))
        return
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'work_orders'")
    text = str(sql.scalar_one())
    if _one_of(old) not in text:
        raise RuntimeError(f"work_orders has no check {_one_of(old)!r} to change")
    if old != new and _one_of(new) in text:
        return
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'work_orders'",
        (text.replace(_one_of(old), _one_of(new)),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    check = bind.exec_driver_sql("PRAGMA quick_check").scalar_one()
    if check != "ok":
        raise RuntimeError(f"the SQLite schema check failed after widening the channel check: {check}")
