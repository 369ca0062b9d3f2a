"""The read audit: one row per read of citizens' data (caller history, call lists, work orders).

Append-only: rows are only ever inserted (``privacy.audit``); no route changes or deletes them, and on
PostgreSQL a trigger made by the migration ``0005_privacy`` refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

APPEND_ONLY_FUNCTION = "read_audit_append_only"
APPEND_ONLY_TRIGGER = "trg_read_audit_append_only"


class ReadAudit(Base):
    """Who read what, when, from where.

    ``object_id`` is what was asked for (a call id, an order number, a caller number filter);
    ``objects`` every id the answer showed, space-separated with a space at each end, so a search for
    one id is ``LIKE '% <id> %'`` on both backends.
    """

    __tablename__ = "read_audit"
    __table_args__ = (
        Index("ix_read_audit_at", "at"),
        Index("ix_read_audit_user_id_at", "user_id", "at"),
        Index("ix_read_audit_object_id", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    objects: Mapped[str] = mapped_column(Text)
    client: Mapped[str] = mapped_column(String(64))
