"""``GET /api/sms/outbox``: the text messages the centre sent (admins only; every read is audited)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Role
from agent_desktop.errors import DesktopError
from privacy.reads import audit_read
from tickets.notify import Notifier
from tickets.schemas import NUMBER_PATTERN
from tickets.sms import MAX_LIST, OutboxGateway, OutboxRow

__all__ = ["notifier", "router"]

router = APIRouter(prefix="/api/sms", dependencies=[Depends(_principal)], tags=["sms"])


def notifier(request: Request) -> Notifier:
    """``app.state.notifier``; when unset, one on the outbox gateway is made and kept."""
    found: Notifier | None = getattr(request.app.state, "notifier", None)
    if found is None:
        found = Notifier(OutboxGateway(_context(request).sessions))
        request.app.state.notifier = found
    return found


class SmsPublic(BaseModel):
    """One stored message."""

    id: int
    to: str
    text: str
    kind: str
    order_number: str | None
    created_at: datetime
    status: str

    @classmethod
    def of(cls, row: OutboxRow) -> SmsPublic:
        """The wire form of ``row``."""
        return cls(
            id=row.id,
            to=row.to,
            text=row.text,
            kind=row.kind,
            order_number=row.order_number,
            created_at=row.created_at,
            status=row.status,
        )


@router.get("/outbox", response_model=list[SmsPublic])
async def outbox(
    request: Request,
    me: Me,
    order_number: Annotated[str | None, Query(pattern=NUMBER_PATTERN, max_length=36)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
) -> list[SmsPublic]:
    """Stored messages newest first; ``before_id`` pages on, ``order_number`` filters."""
    if not me.may(Role.ADMIN):
        raise DesktopError("forbidden", "only admins read the SMS outbox", status_code=403)
    gateway = OutboxGateway(_context(request).sessions)
    rows = await asyncio.to_thread(
        gateway.outbox, order_number=order_number, before_id=before_id, limit=limit
    )
    await audit_read(request, me, "sms.outbox", object_id=order_number, objects=(str(r.id) for r in rows))
    return [SmsPublic.of(r) for r in rows]
