"""Tables of the 110 linkage: the hand-off outbox and the transfers received from 110.

Rules: every timestamp is aware UTC. An outbox row is one hand-off of an order to 110 under its own
idempotency key (sent with every attempt, so 110 applies a repeated delivery once); it stays
``pending`` until 110 acknowledges it (``delivered``, with 110's reference) or refuses it for good
(``failed``). A transfer row is one non-police matter 110 sent in, keyed by 110's idempotency key,
holding the acknowledgement given the first time so a repeated delivery gets the same answer. A
transfer row is written (claimed) before its order is made and completed with the order number and the
acknowledgement after, so two deliveries racing each other make one order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

OUTBOX_STATUSES = ("pending", "delivered", "failed")


class HandoffOutbox(Base):
    """One hand-off of an order to the 110 platform and the state of its delivery."""

    __tablename__ = "linkage110_outbox"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in OUTBOX_STATUSES)})", name="status_known"),
        Index("ix_linkage110_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_linkage110_outbox_order_number", "order_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    order_number: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class TransferIn(Base):
    """One non-police matter the 110 platform transferred in, and the acknowledgement it got."""

    __tablename__ = "linkage110_transfers"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    reference: Mapped[str] = mapped_column(String(64))
    order_number: Mapped[str | None] = mapped_column(String(32))
    acknowledgement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime]
