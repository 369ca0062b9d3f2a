"""The SMS outbox (``sms_outbox``): every text message the centre sends, one row each.

The default gateway (``tickets.sms.OutboxGateway``) only stores messages here (``status`` ``stored``):
no SMS vendor is assumed, and a centre that connects one delivers from this table or plugs its own
gateway in. ``kind`` says why the message was sent (``tickets.notify`` templates), ``order_number`` which
order it is about. ``to_number`` is the recipient's number in full (admins read the outbox); texts to
departments carry the citizen's number masked. Timestamps are aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

STATUSES = ("stored", "sent", "failed")
MAX_TEXT = 500


class SmsMessage(Base):
    """One text message to one number."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('stored', 'sent', 'failed')", name="status_known"),
        Index("ix_sms_outbox_created_at", "created_at"),
        Index("ix_sms_outbox_order_number", "order_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    to_number: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(MAX_TEXT))
    kind: Mapped[str] = mapped_column(String(32))
    order_number: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
