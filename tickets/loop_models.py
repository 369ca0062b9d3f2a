"""Tables of the order loop beyond the order itself: departments' requests for more time (延期申请),
and the index on ``work_orders`` that 并单 suggestions read.

Rules: each request names the order and the department that asked; its ``status`` moves once from
``requested`` to ``approved`` or ``refused`` (``tickets.loop``). At most one request per order is
open at a time, kept by a partial unique index (``ix_work_order_extensions_open``, made by the
migration ``0008_order_loop`` on both SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base
from tickets.models import WorkOrder

OPEN_EXTENSION_INDEX = "ix_work_order_extensions_open"

ADDRESS_INDEX = Index("ix_work_orders_address_created_at", WorkOrder.address, WorkOrder.created_at)
"""For 并单 suggestions by address (``tickets.duplicates``); declared here, made by ``0008_order_loop``."""


class WorkOrderExtension(Base):
    """One 延期申请: how many working days, why, and the centre's decision."""

    __tablename__ = "work_order_extensions"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'approved', 'refused')", name="status_known"),
        CheckConstraint("working_days >= 1 AND working_days <= 366", name="working_days_range"),
        Index("ix_work_order_extensions_order_id", "order_id"),
        Index(
            OPEN_EXTENSION_INDEX,
            "order_id",
            unique=True,
            sqlite_where=text("status = 'requested'"),
            postgresql_where=text("status = 'requested'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    department: Mapped[str] = mapped_column(String(32))
    working_days: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(500))
