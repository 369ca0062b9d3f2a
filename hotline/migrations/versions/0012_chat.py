"""Text chat: chat sessions (one contact each, channel ``chat``) and their messages (chat.models).

Revision ID: 0012_chat
Revises: 0011_admin_changes
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012_chat"
down_revision: str | None = "0011_admin_changes"
branch_labels: str | None = None
depends_on: str | None = None


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    """Create ``chat_sessions`` and ``chat_messages``."""
    op.create_table(
        "chat_sessions",
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), server_default="chat", nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("wait_seconds", sa.Float(), nullable=True),
        sa.Column("order_number", sa.String(length=36), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            _one_of("state", ("waiting", "active", "ended")), name=op.f("ck_chat_sessions_state_known")
        ),
        sa.CheckConstraint(
            f"outcome IS NULL OR {_one_of('outcome', ('answered', 'abandoned'))}",
            name=op.f("ck_chat_sessions_outcome_known"),
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_chat_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_chat_sessions_token_hash")),
    )
    op.create_index("ix_chat_sessions_queued_at", "chat_sessions", ["queued_at"])
    op.create_index("ix_chat_sessions_agent_state", "chat_sessions", ["agent_id", "state"])
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            _one_of("sender", ("citizen", "agent", "system")), name=op.f("ck_chat_messages_sender_known")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.session_id"],
            name=op.f("fk_chat_messages_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint("session_id", "seq", name=op.f("uq_chat_messages_session_id_seq")),
        sa.UniqueConstraint(
            "session_id", "sender", "client_id", name=op.f("uq_chat_messages_session_id_sender_client_id")
        ),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("chat_messages")
    op.drop_index("ix_chat_sessions_agent_state", table_name="chat_sessions")
    op.drop_index("ix_chat_sessions_queued_at", table_name="chat_sessions")
    op.drop_table("chat_sessions")
