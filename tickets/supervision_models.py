"""Deadline marks, supervision records (督办) and the edited working-day calendar.

Rules: ``deadline_marks`` holds one row per open order and limit (``sign``, ``handle``, ``reply``)
that is due soon or overdue, as of the checker's last pass; a row disappears when the order is no
longer late or close to it (the step was done, or the deadline moved). ``supervision_orders`` is a
督办 record: raised once per order and ``reason`` (a unique key), addressed to the order's main
department, escalated one level up the department tree (``escalate_to``; NULL with
``target_unknown`` when the tree does not say) or to the centre's leadership; acknowledging it is
the only change a record ever gets. ``calendar_years`` holds the years an admin edited: the whole
year's arrangement (``ivr.flow.calendar.YearPlan`` as JSON) replaces the shipped one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

MARK_KINDS = ("sign", "handle", "reply")
MARK_STATES = ("due_soon", "overdue")
REASONS = ("sign_overdue", "handle_overdue", "reply_overdue", "repeat", "unresolved", "dissatisfied")
LEVELS = ("department", "escalated", "leadership")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class DeadlineMark(Base):
    """An open order's limit that is due soon or overdue.

    Derived data without a foreign key to ``work_orders``: checking one per mark cost the first pass
    1.4 s of 3.6 s at 100,000 marks (a key-share lock on each order row); the checker's next pass
    removes the marks of an order that is gone."""

    __tablename__ = "deadline_marks"
    __table_args__ = (
        CheckConstraint(_one_of("kind", MARK_KINDS), name="kind_known"),
        CheckConstraint(_one_of("state", MARK_STATES), name="state_known"),
        Index("ix_deadline_marks_state_kind", "state", "kind"),
    )

    order_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    state: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[datetime]
    since: Mapped[datetime]


class SupervisionOrder(Base):
    """One 督办 record."""

    __tablename__ = "supervision_orders"
    __table_args__ = (
        CheckConstraint(_one_of("reason", REASONS), name="reason_known"),
        CheckConstraint(_one_of("level", LEVELS), name="level_known"),
        UniqueConstraint("order_id", "reason"),
        Index("ix_supervision_orders_department_raised_at", "department", "raised_at"),
        Index("ix_supervision_orders_escalate_to", "escalate_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(32))
    escalate_to: Mapped[str | None] = mapped_column(String(32))
    target_unknown: Mapped[bool]
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]]


class CalendarYear(Base):
    """A year of the working-day calendar as an admin edited it."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    plan: Mapped[dict[str, Any]]
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]
