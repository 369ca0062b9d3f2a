"""Which queues each supervisor supervises, and the append-only supervision log.

``supervisor_queues``: one row per (supervisor, queue); admins supervise every queue without rows.
``supervision_log``: one row per supervision step (a listening session started, a mode switched, a
session left or a call taken over, an agent forced ready, paused or logged out) with who did it, on
which agent and call, and the reason given. Rows are only inserted; on PostgreSQL a trigger made by
the migration ``0007_supervision`` refuses UPDATE, DELETE and TRUNCATE.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base


class SupervisorQueue(Base):
    """A queue a supervisor may watch and act in."""

    __tablename__ = "supervisor_queues"

    supervisor_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)


class SupervisionEntry(Base):
    """One supervision step: who, what, on whom, when, why."""

    __tablename__ = "supervision_log"
    __table_args__ = (
        Index("ix_supervision_log_at", "at"),
        Index("ix_supervision_log_supervisor_id_at", "supervisor_id", "at"),
        Index("ix_supervision_log_agent_id_at", "agent_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    supervisor_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[str] = mapped_column(String(32))
    call_id: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(200), default="")
    client: Mapped[str] = mapped_column(String(64), default="")
