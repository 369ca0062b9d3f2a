"""HTTP: the admins' view of the read audit, ``GET /api/audit/reads``; no route changes the audit."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Role
from agent_desktop.errors import DesktopError
from privacy.audit import ReadQuery, ReadRow, query_reads

router = APIRouter(prefix="/api/audit", dependencies=[Depends(_principal)], tags=["admin"])


class ReadPublic(BaseModel):
    """One recorded read."""

    id: int
    at: datetime
    user_id: str
    role: str
    action: str
    object_id: str | None
    objects: list[str]
    client: str

    @classmethod
    def of(cls, row: ReadRow) -> ReadPublic:
        """From a stored row."""
        return cls(
            id=row.id,
            at=row.at,
            user_id=row.user_id,
            role=row.role,
            action=row.action,
            object_id=row.object_id,
            objects=list(row.objects),
            client=row.client,
        )


class ReadPage(BaseModel):
    """A page of reads, newest first; pass ``next_before_id`` as ``before_id`` for the next page."""

    reads: list[ReadPublic]
    next_before_id: int | None


Id = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z+._:-]+$")]


@router.get("/reads", response_model=ReadPage)
async def list_reads(
    request: Request,
    me: Me,
    user_id: Id = None,
    object_id: Id = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ReadPage:
    """Who read citizens' data (admins only): by user, by object (asked or shown), by time range."""
    if not me.may(Role.ADMIN):
        raise DesktopError("forbidden", "your role may not do this", status_code=403)
    q = ReadQuery(
        user_id=user_id, object_id=object_id, since=since, until=until, before_id=before_id, limit=limit
    )
    rows = await asyncio.to_thread(query_reads, _context(request).sessions, q)
    next_id = rows[-1].id if len(rows) == limit else None
    return ReadPage(reads=[ReadPublic.of(r) for r in rows], next_before_id=next_id)
