"""Chat records: ``chat_sessions`` (one contact each, channel ``chat``) and ``chat_messages``.

A session is the contact record of a chat, as ``calls`` is for a phone call: its queue, its agent,
when it was queued, answered and ended, how long the citizen waited and how it ended (``outcome``:
``answered`` or ``abandoned``), so KPIs count chats as their own channel. ``token_hash`` is the
SHA-256 of the citizen's chat token (the token itself is never stored). Messages are numbered per
session (``seq`` from 1); ``client_id`` is the sender's own id of a message, so a message sent twice
(a resend after a lost connection) is stored once. ``delivered_at`` is set when the other side's
page acknowledged it. Timestamps are aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

CHANNEL = "chat"
STATES = ("waiting", "active", "ended")
OUTCOMES = ("answered", "abandoned")
SENDERS = ("citizen", "agent", "system")
MAX_BODY = 2000


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ChatSession(Base):
    """One chat contact from the citizen page."""

    __tablename__ = "chat_sessions"
    __table_args__ = (
        CheckConstraint(_one_of("state", STATES), name="state_known"),
        CheckConstraint(f"outcome IS NULL OR {_one_of('outcome', OUTCOMES)}", name="outcome_known"),
        Index("ix_chat_sessions_queued_at", "queued_at"),
        Index("ix_chat_sessions_agent_state", "agent_id", "state"),
    )

    session_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default=CHANNEL, server_default=CHANNEL)
    queue: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    queued_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    order_number: Mapped[str | None] = mapped_column(String(36))
    expires_at: Mapped[datetime]


class ChatMessage(Base):
    """One message of a chat, in order."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        CheckConstraint(_one_of("sender", SENDERS), name="sender_known"),
        UniqueConstraint("session_id", "seq"),
        UniqueConstraint("session_id", "sender", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("chat_sessions.session_id", ondelete="CASCADE")
    )
    seq: Mapped[int]
    sender: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
