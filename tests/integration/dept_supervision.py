"""A 督办 record written into the running centre's database the way the deadline checker leaves one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import insert, select

from hotline.app import Centre
from tickets.models import WorkOrder
from tickets.supervision_models import SupervisionOrder


def _raise(
    centre: Centre, number: str, reason: str, level: str, department: str, escalate_to: str | None
) -> int:
    with centre.sessions.begin() as s:
        order_id = s.scalars(select(WorkOrder.id).where(WorkOrder.number == number)).one()
        done = s.execute(
            insert(SupervisionOrder)
            .values(
                order_id=order_id,
                reason=reason,
                level=level,
                rule=reason,
                department=department,
                escalate_to=escalate_to,
                target_unknown=False,
                raised_at=datetime.now(UTC),
                detail={},
            )
            .returning(SupervisionOrder.id)
        )
        return int(done.scalar_one())


async def raise_record(
    centre: Centre,
    number: str,
    *,
    reason: str = "sign_overdue",
    level: str = "department",
    department: str,
    escalate_to: str | None = None,
) -> int:
    """A new 督办 record of order ``number``; its id."""
    return await asyncio.to_thread(_raise, centre, number, reason, level, department, escalate_to)
