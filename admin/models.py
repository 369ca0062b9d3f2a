"""The admin change log: one row per change an admin made in the console or its API.

Rows are only inserted; on PostgreSQL a trigger made by the migration ``0011_admin_changes`` refuses
UPDATE, DELETE and TRUNCATE. ``area`` is what was changed (``flow``, ``queue``, ``agent``, ``calendar``,
``hours``, ``directory``, ``qa_rules`` ...), ``object_id`` which one, ``action`` the verb (``create``,
``update``, ``publish``, ``rollback``, ``disable``, ``import`` ...), ``diff`` a unified diff or a
JSON before/after of what changed, ``summary`` one line for lists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base


class AdminChange(Base):
    """One audited change: who, when, what, and the difference it made."""

    __tablename__ = "admin_changes"
    __table_args__ = (
        Index("ix_admin_changes_at", "at"),
        Index("ix_admin_changes_area_object_id", "area", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    area: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(500), default="")
    diff: Mapped[str] = mapped_column(Text, default="")
    client: Mapped[str] = mapped_column(String(64), default="")
