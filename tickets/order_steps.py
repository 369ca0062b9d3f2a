"""The steps every work-order change is made of, inside one write transaction: lock the order, move
it by a closed-loop event (checked by ``tickets.machine``), log the history entry, assign its
departments. ``tickets.repository`` (intake, dispatch) and ``tickets.loop_store`` (the loop) both build
on them; ``as_utc`` checks the times they are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tickets import machine
from tickets.errors import TicketNotFoundError, TicketValidationError
from tickets.models import WorkOrder, WorkOrderDepartment, WorkOrderHistory
from tickets.vocab import DepartmentRole, Event, Status

__all__ = ["as_utc", "assign", "locked", "log_event", "transition"]


def as_utc(value: datetime | None, name: str) -> datetime:
    """``value`` in UTC (now when ``None``); ``naive_datetime`` if it has no zone."""
    if value is None:
        return datetime.now(UTC)
    if value.tzinfo is None or value.utcoffset() is None:
        raise TicketValidationError("naive_datetime", f"{name} must be timezone-aware", field=name)
    return value.astimezone(UTC)


def log_event(
    s: Session,
    wo: WorkOrder,
    *,
    event: str,
    before: Status | None,
    actor: str,
    at: datetime,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Append one history entry for ``wo`` (its status now is the entry's ``to_status``)."""
    s.add(
        WorkOrderHistory(
            order_id=wo.id,
            at=at,
            event=event,
            from_status=None if before is None else before.value,
            to_status=wo.status,
            actor=actor,
            detail=dict(detail or {}),
        )
    )


def transition(
    s: Session,
    wo: WorkOrder,
    event: Event,
    *,
    actor: str,
    at: datetime,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Move ``wo`` by ``event`` (``IllegalTransitionError`` if not allowed) and log it."""
    before = Status(wo.status)
    wo.status = machine.next_status(before, event).value
    wo.updated_at = at
    log_event(s, wo, event=event.value, before=before, actor=actor, at=at, detail=detail)


def locked(s: Session, number: str) -> WorkOrder:
    """Order ``number`` locked for update; ``TicketNotFoundError`` if there is none."""
    wo = s.scalars(select(WorkOrder).where(WorkOrder.number == number).with_for_update()).one_or_none()
    if wo is None:
        raise TicketNotFoundError("work_order_not_found", f"no work order {number}", number=number)
    return wo


def assign(s: Session, wo: WorkOrder, main: str, assist: list[str], at: datetime) -> None:
    """Replace ``wo``'s departments with ``main`` (主办) and ``assist`` (协办)."""
    s.execute(delete(WorkOrderDepartment).where(WorkOrderDepartment.order_id == wo.id))
    s.add(
        WorkOrderDepartment(order_id=wo.id, department=main, role=DepartmentRole.MAIN.value, assigned_at=at)
    )
    for code in assist:
        s.add(
            WorkOrderDepartment(
                order_id=wo.id, department=code, role=DepartmentRole.ASSIST.value, assigned_at=at
            )
        )
