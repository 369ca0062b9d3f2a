"""The hand-off outbox: one row per hand-off, written with the order's history entry in one transaction.

A hand-off is stored before anything is sent, so a crash or a 110 outage loses nothing: the sender
(``linkage110.sender``) delivers due rows and records each attempt here. An order has at most one live
hand-off (pending or delivered); asking again answers that one. Only a row still ``pending`` changes,
so two senders racing over the same row record one outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from linkage110.models import HandoffOutbox
from linkage110.schemas import HandoffState
from tickets import order_steps as steps
from tickets.rows import WorkOrderRow
from tickets.vocab import Status

__all__ = [
    "ACKNOWLEDGED_EVENT",
    "FAILED_EVENT",
    "HANDOFF_EVENT",
    "Due",
    "due",
    "enqueue",
    "handoffs_of",
    "mark_delivered",
    "mark_failed",
    "mark_retry",
]

Sessions = sessionmaker[Session]
HANDOFF_EVENT = "handoff_110"
ACKNOWLEDGED_EVENT = "handoff_110_acknowledged"
FAILED_EVENT = "handoff_110_failed"
PLATFORM_ACTOR = "110"


@dataclass(frozen=True, slots=True)
class Due:
    """A pending hand-off to send now."""

    id: int
    idempotency_key: str
    order_number: str
    payload: dict[str, Any]
    attempts: int


def _state(row: HandoffOutbox) -> HandoffState:
    return HandoffState(
        idempotency_key=row.idempotency_key,
        order_number=row.order_number,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        reference=row.reference,
        created_by=row.created_by,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


def _log(s: Session, number: str, *, event: str, actor: str, at: datetime, detail: dict[str, object]) -> None:
    wo = steps.locked(s, number)
    steps.log_event(s, wo, event=event, before=Status(wo.status), actor=actor, at=at, detail=detail)


def enqueue(
    sm: Sessions,
    *,
    order: WorkOrderRow,
    payload_for: Callable[[str], dict[str, Any]],
    key: str,
    actor: str,
    reason: str,
    now: datetime,
) -> tuple[HandoffState, bool]:
    """Store the hand-off of ``order`` under ``key`` (due now) and its history entry; ``(state, new)``.

    An order with a live hand-off keeps it: that one is answered and ``new`` is False.
    """
    with writing(sm) as s:
        wo = steps.locked(s, order.number)
        live = s.scalars(
            select(HandoffOutbox)
            .where(HandoffOutbox.order_number == order.number, HandoffOutbox.status != "failed")
            .order_by(HandoffOutbox.id)
        ).first()
        if live is not None:
            return _state(live), False
        row = HandoffOutbox(
            idempotency_key=key,
            order_number=order.number,
            payload=payload_for(key),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            last_error="",
            reference=None,
            created_by=actor,
            created_at=now,
            delivered_at=None,
        )
        s.add(row)
        detail: dict[str, object] = {"idempotency_key": key, "reason": reason}
        steps.log_event(
            s, wo, event=HANDOFF_EVENT, before=Status(wo.status), actor=actor, at=now, detail=detail
        )
        s.flush()
        return _state(row), True


def due(sm: Sessions, *, now: datetime, limit: int = 50) -> list[Due]:
    """Pending hand-offs whose next attempt is due, oldest first."""
    with sm() as s:
        rows = s.scalars(
            select(HandoffOutbox)
            .where(HandoffOutbox.status == "pending", HandoffOutbox.next_attempt_at <= now)
            .order_by(HandoffOutbox.next_attempt_at, HandoffOutbox.id)
            .limit(limit)
        )
        return [Due(r.id, r.idempotency_key, r.order_number, dict(r.payload), r.attempts) for r in rows]


def _pending(row_id: int) -> Any:
    return update(HandoffOutbox).where(HandoffOutbox.id == row_id, HandoffOutbox.status == "pending")


def mark_delivered(sm: Sessions, item: Due, *, reference: str, now: datetime) -> bool:
    """Record 110's acknowledgement and link the order to ``reference``; False if already settled."""
    with writing(sm) as s:
        values = {"status": "delivered", "attempts": item.attempts + 1, "reference": reference}
        done = s.execute(_pending(item.id).values(**values, delivered_at=now, last_error=""))
        if getattr(done, "rowcount", 0) != 1:
            return False
        detail: dict[str, object] = {"idempotency_key": item.idempotency_key, "reference": reference}
        _log(s, item.order_number, event=ACKNOWLEDGED_EVENT, actor=PLATFORM_ACTOR, at=now, detail=detail)
        return True


def mark_retry(sm: Sessions, item: Due, *, error: str, next_attempt_at: datetime) -> None:
    """Record a failed attempt; the hand-off stays pending until ``next_attempt_at``."""
    with writing(sm) as s:
        values = {
            "attempts": item.attempts + 1,
            "last_error": error[:2000],
            "next_attempt_at": next_attempt_at,
        }
        s.execute(_pending(item.id).values(**values))


def mark_failed(sm: Sessions, item: Due, *, error: str, now: datetime) -> None:
    """Record that 110 refused the hand-off for good (a retry would be refused alike)."""
    with writing(sm) as s:
        done = s.execute(
            _pending(item.id).values(status="failed", attempts=item.attempts + 1, last_error=error[:2000])
        )
        if getattr(done, "rowcount", 0) == 1:
            detail: dict[str, object] = {"idempotency_key": item.idempotency_key, "error": error[:500]}
            _log(s, item.order_number, event=FAILED_EVENT, actor=PLATFORM_ACTOR, at=now, detail=detail)


def handoffs_of(sm: Sessions, *, number: str) -> list[HandoffState]:
    """Every hand-off of order ``number``, oldest first."""
    with sm() as s:
        rows = s.scalars(
            select(HandoffOutbox).where(HandoffOutbox.order_number == number).order_by(HandoffOutbox.id)
        )
        return [_state(r) for r in rows]
