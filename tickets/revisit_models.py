"""Revisit (回访) attempts: every call, or hand-recorded result, made to a citizen about a replied order.

Rules: one row per attempt to reach the citizen of one order (``order_id``): the replied order itself or
an order merged into it (``main_order_id`` is the replied order either way). ``number`` is the number
called. ``seq`` counts the attempts for that order over all its rounds (a reopened and again replied
order is revisited again); the unique key on ``(order_id, seq)`` is what stops two schedulers (two app
nodes) from calling the same citizen at once: the second claim of the same ``seq`` is refused by the
database. Timestamps are aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

VIAS = ("phone", "manual")
OUTCOMES = ("calling", "answered", "reached", "no_answer", "busy", "no_keys", "failed")
"""``calling``: originated, not yet answered; ``answered``: the citizen is in the revisit IVR;
``reached``: answers recorded; ``no_answer``/``busy``/``no_keys``: the citizen was not reached (these
count towards the attempt limit); ``failed``: the centre's side failed (telephony down), not counted."""
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class RevisitAttempt(Base):
    """One attempt to revisit one citizen of an order, by phone (IVR) or by hand."""

    __tablename__ = "revisit_attempts"
    __table_args__ = (
        CheckConstraint(_one_of("via", VIAS), name="via_known"),
        CheckConstraint(_one_of("outcome", OUTCOMES), name="outcome_known"),
        CheckConstraint(
            f"satisfaction IS NULL OR {_one_of('satisfaction', SATISFACTIONS)}", name="satisfaction_known"
        ),
        UniqueConstraint("order_id", "seq"),
        Index("ix_revisit_attempts_main_order_id_started_at", "main_order_id", "started_at"),
        Index("ix_revisit_attempts_outcome", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    main_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int]
    via: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    solved: Mapped[bool | None]
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200), default="")
