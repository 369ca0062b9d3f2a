"""The admin change log over HTTP (``GET /api/admin/changes``) and what every admin route shares: the
admin-only principal and recording a change with who made it and from where.

Only role ``admin`` passes; agents, supervisors, QA and department users get 403.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel
from sqlalchemy.orm import Session, sessionmaker

from admin.audit import Change, json_diff, list_changes, record_change
from agent_desktop.api import Me
from agent_desktop.auth import Principal, Role
from agent_desktop.context import DesktopContext
from agent_desktop.errors import DesktopError
from privacy.reads import client_of

router = APIRouter(prefix="/api/admin", tags=["admin"])


def _admin(me: Me) -> Principal:
    if not me.may(Role.ADMIN):
        raise DesktopError("forbidden", "only admins may use the admin console", status_code=403)
    return me


AdminUser = Annotated[Principal, Depends(_admin)]


def sessions_of(request: Request) -> sessionmaker[Session]:
    """The database sessions of the running centre."""
    ctx: DesktopContext = request.app.state.desktop
    return ctx.sessions


async def audited(
    request: Request,
    me: Principal,
    *,
    area: str,
    object_id: str,
    action: str,
    summary: str,
    before: Any,
    after: Any,
) -> int:
    """Record one change by ``me`` with the JSON diff of ``before`` and ``after``; the row's id."""
    change = Change(
        user_id=me.user_id,
        role=str(me.role),
        area=area,
        object_id=object_id,
        action=action,
        summary=summary,
        diff=json_diff(before, after, name=f"{area}/{object_id}"),
        client=client_of(request),
    )
    return await asyncio.to_thread(record_change, sessions_of(request), change)


class ChangePublic(BaseModel):
    """One recorded change."""

    id: int
    at: datetime
    user_id: str
    role: str
    area: str
    object_id: str
    action: str
    summary: str
    diff: str
    client: str


@router.get("/changes", response_model=list[ChangePublic])
async def changes(
    request: Request,
    me: AdminUser,
    area: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    object_id: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")] = None,
    since: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ChangePublic]:
    """Admin changes, newest first: of one ``area`` (``agent``, ``directory``, ``flow``...), one
    ``object_id``, since a time (with its time zone)."""
    rows = await asyncio.to_thread(
        list_changes, sessions_of(request), area=area, object_id=object_id, since=since, limit=limit
    )
    return [ChangePublic.model_validate(r, from_attributes=True) for r in rows]
