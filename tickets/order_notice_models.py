"""Department SMS numbers and the order notices already sent (issue 11).

``department_sms_numbers`` holds the mobile numbers that get a department's order messages (新派单,
下派, 延期审批, 督办), one row per department and number, kept by centre admins and department admins.
``sms_notices`` remembers every order event or 督办 record that was notified, one row per order,
``kind`` (the history event, or ``supervision``) and ``ref`` (the history entry's or record's id):
the row is written before the texts go out, so a step seen twice (a retried pass, two nodes at once)
is texted once. A citizen's receipt is a row written with its order, ``messages`` -1 while it is
pending (``tickets.receipts``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base


class DepartmentSmsNumber(Base):
    """One mobile number that gets a department's order messages."""

    __tablename__ = "department_sms_numbers"

    department: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class SmsNotice(Base):
    """An order event or 督办 record that was notified (at most once)."""

    __tablename__ = "sms_notices"
    __table_args__ = (
        Index("ix_sms_notices_kind_ref", "kind", "ref"),
        Index("ix_sms_notices_pending", "kind", "messages", "at"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    ref: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    messages: Mapped[int]
    at: Mapped[datetime]
