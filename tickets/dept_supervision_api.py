"""督办 records in the department portal (``/api/dept/supervision...``).

A department user sees the records addressed to, or escalated to, their department or any department
below it (``tickets.supervision_orders.supervision_for`` over ``Acting.scope``), lists them for the
inbox (``open_only`` for the badge), reads those of one order in reach, and acknowledges one (签收督办):
the record gets ``acknowledged_at``/``acknowledged_by`` once (409 ``supervision_already_acknowledged``
the second time). A record out of reach answers 404 as an unknown one does. The centre's own routes
(``tickets.calendar_api``) stay for supervisors and admins.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.api import _principal
from agent_desktop.errors import DesktopError
from tickets import dept_inbox as inbox
from tickets import supervision_orders as records
from tickets.api import _run
from tickets.calendar_api import SupervisionPublic
from tickets.dept_portal import PortalDep, Who
from tickets.models import WorkOrder
from tickets.schemas import NUMBER_PATTERN
from tickets.supervision_models import SupervisionOrder
from tickets.supervision_orders import SupervisionRow

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(_principal)], tags=["departments"])
RecordPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
NumberPath = Annotated[str, Path(pattern=NUMBER_PATTERN, max_length=36)]
MAX_PER_ORDER = 50


def records_of_order(sm: sessionmaker[Session], number: str, scope: Collection[str]) -> list[SupervisionRow]:
    """The records of order ``number`` addressed or escalated to a department of ``scope``, newest first."""
    codes = list(scope)
    query = (
        select(SupervisionOrder.id)
        .join(WorkOrder, WorkOrder.id == SupervisionOrder.order_id)
        .where(
            WorkOrder.number == number,
            or_(SupervisionOrder.department.in_(codes), SupervisionOrder.escalate_to.in_(codes)),
        )
        .order_by(SupervisionOrder.id.desc())
        .limit(MAX_PER_ORDER)
    )
    with sm() as s:
        ids = list(s.scalars(query))
    return [records.get_supervision(sm, i) for i in ids]


def listed(
    sm: sessionmaker[Session], scope: Collection[str], *, open_only: bool, before_id: int | None, limit: int
) -> list[SupervisionRow]:
    """``supervision_for`` in a session of its own."""
    with sm() as s:
        return records.supervision_for(s, scope, open_only=open_only, before_id=before_id, limit=limit)


def in_reach(row: SupervisionRow, scope: Collection[str]) -> bool:
    """Whether the record is addressed or escalated to a department of ``scope``."""
    return row.department in scope or row.escalate_to in scope


@router.get("/supervision", response_model=list[SupervisionPublic])
async def list_supervision(
    who: Who,
    p: PortalDep,
    open_only: bool = False,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[SupervisionPublic]:
    """The 督办 records of the user's department and those below it, newest first."""
    rows = await _run(
        listed, p.tickets.sessions, who.scope, open_only=open_only, before_id=before_id, limit=limit
    )
    return [SupervisionPublic.of(r) for r in rows]


@router.get("/orders/{number}/supervision", response_model=list[SupervisionPublic])
async def order_supervision(number: NumberPath, who: Who, p: PortalDep) -> list[SupervisionPublic]:
    """The 督办 records of one order in reach (404 as for the order itself otherwise)."""
    sm = p.tickets.sessions
    if await _run(inbox.scoped_order, sm, number=number, departments=who.scope) is None:
        raise DesktopError("work_order_not_found", f"no work order {number}", status_code=404)
    return [SupervisionPublic.of(r) for r in await _run(records_of_order, sm, number, who.scope)]


@router.post("/supervision/{record_id}/acknowledge", response_model=SupervisionPublic)
async def acknowledge(record_id: RecordPath, who: Who, p: PortalDep) -> SupervisionPublic:
    """Acknowledge (签收) a 督办 record in reach; 409 the second time."""
    sm = p.tickets.sessions
    found = await _run(records.get_supervision, sm, record_id)
    if not in_reach(found, who.scope):
        raise DesktopError("supervision_not_found", f"no supervision record {record_id}", status_code=404)
    return SupervisionPublic.of(await _run(records.acknowledge, sm, record_id, actor=who.user_id))
