"""The read audit: one row per read of citizens' data (caller history, call lists, work orders), and
one ``read_audit_objects`` row per id the read showed (indexed, so "who saw this order" is a lookup).

Append-only: rows are only ever inserted (``privacy.audit``); no route changes or deletes them, and on
PostgreSQL triggers (migrations ``0005_privacy``, ``0006_read_audit_objects``) refuse UPDATE, DELETE and
TRUNCATE on both tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

APPEND_ONLY_FUNCTION = "read_audit_append_only"
APPEND_ONLY_TRIGGER = "trg_read_audit_append_only"


class ReadAudit(Base):
    """Who read, when, from where, through which action; ``object_id`` is what was asked for (a call
    id, an order number, a masked caller number)."""

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
    client: Mapped[str] = mapped_column(String(64))


class ReadAuditObject(Base):
    """One id a recorded read showed (an order number, a call id)."""

    __tablename__ = "read_audit_objects"
    __table_args__ = (Index("ix_read_audit_objects_object_id", "object_id"),)

    read_id: Mapped[int] = mapped_column(ForeignKey("read_audit.id"), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
