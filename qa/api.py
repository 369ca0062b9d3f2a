"""QA routes (``/api/qa/...``): the work list, a call's inspection, scoring, and the rules and scoring
items. The work list, call views and scoring are for QA staff, supervisors and admins; changing the
rules or items is for admins (reading them for all three). An agent gets 403 on every route.

Dates in filters are local days (Asia/Shanghai): ``date_from`` and ``date_to`` both included.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.api import Me
from agent_desktop.auth import Principal, Role
from hotline.body_limit import body_limit
from privacy.reads import client_of
from qa import store, worklist
from qa.candidates import call_view
from qa.config import MarksError, RuleSet, ScoreItems, score
from qa.errors import QaError
from qa.schemas import ScoreCreate

router = APIRouter(prefix="/api/qa", tags=["qa"])
LOCAL = ZoneInfo("Asia/Shanghai")
BODY_LIMIT = 64 * 1024
Sessions = sessionmaker[Session]


def _forbidden() -> QaError:
    return QaError("forbidden", "your role may not do this", status_code=403)


def _reviewer(me: Me) -> Principal:
    if not me.may(Role.QA, Role.SUPERVISOR, Role.ADMIN):
        raise _forbidden()
    return me


def _admin(me: Me) -> Principal:
    if not me.may(Role.ADMIN):
        raise _forbidden()
    return me


Reviewer = Annotated[Principal, Depends(_reviewer)]
Admin = Annotated[Principal, Depends(_admin)]
CallIdPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z._:-]{1,64}$")]
Text64 = Annotated[str | None, Query(max_length=64, pattern=r"^[0-9A-Za-z_.-]+$")]


def _sessions(request: Request) -> Sessions:
    sm: Sessions = request.app.state.desktop.sessions
    return sm


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL).astimezone(UTC)


@router.get("/work-list")
async def work_list(
    request: Request,
    _: Reviewer,
    reason: Annotated[Literal["flagged", "sampled"] | None, Query()] = None,
    agent_id: Text64 = None,
    queue: Text64 = None,
    date_from: Annotated[date | None, Query()] = None,
    date_to: Annotated[date | None, Query()] = None,
    state: Annotated[Literal["open", "scored"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=worklist.MAX_LIST)] = 200,
) -> dict[str, Any]:
    """Calls on the work list (flagged or sampled), newest first."""
    if date_from is not None and date_to is not None and date_to < date_from:
        raise QaError("bad_date_range", "date_to is before date_from", status_code=422)
    f = worklist.ListFilter(
        reason=reason,
        agent_id=agent_id,
        queue=queue,
        since=None if date_from is None else _local_start(date_from),
        until=None if date_to is None else _local_start(date_to + timedelta(days=1)),
        state=state,
        limit=limit,
    )
    rows = await asyncio.to_thread(worklist.work_list, _sessions(request), f)
    return {"calls": rows}


@router.get("/filters")
async def filters(request: Request, _: Reviewer) -> dict[str, Any]:
    """The agents (with names) and queues found on the work list, for the page's filters."""
    return await asyncio.to_thread(worklist.filter_values, _sessions(request))


@router.get("/calls/{call_id}")
async def call(request: Request, call_id: CallIdPath, _: Reviewer) -> dict[str, Any]:
    """One inspected call: flags, recordings, both sides' transcript, score, and the scoring items."""
    sm = _sessions(request)
    found = await asyncio.to_thread(worklist.inspection_of, sm, call_id)
    view = await asyncio.to_thread(call_view, sm, call_id)
    version, items = await asyncio.to_thread(store.items, sm)
    return {**found, **view, "items": {"version": version, **items.model_dump(mode="json")}}


@router.post("/calls/{call_id}/score")
@body_limit(BODY_LIMIT)
async def score_call(
    request: Request, call_id: CallIdPath, body: ScoreCreate, me: Reviewer
) -> dict[str, Any]:
    """Score a call on the work list with the items of ``items_version``; closes it."""
    sm = _sessions(request)
    _, items = await asyncio.to_thread(store.items, sm, version=body.items_version)
    try:
        value = score(items, body.marks)
    except MarksError as exc:
        raise QaError(
            "bad_marks", str(exc), status_code=422, details={"items": [i.key for i in items.items]}
        ) from exc
    await asyncio.to_thread(
        worklist.save_score,
        sm,
        call_id,
        items_version=body.items_version,
        marks=body.marks,
        score=value,
        comment=body.comment,
        by=me.user_id,
        now=datetime.now(UTC),
    )
    return await asyncio.to_thread(worklist.inspection_of, sm, call_id)


def _editor(request: Request, me: Principal) -> store.Editor:
    return store.Editor(user_id=me.user_id, role=str(me.role), client=client_of(request))


def _versions(rows: list[store.VersionInfo]) -> list[dict[str, Any]]:
    return [{"version": v.version, "created_at": v.created_at, "created_by": v.created_by} for v in rows]


@router.get("/rules")
async def get_rules(request: Request, _: Reviewer) -> dict[str, Any]:
    """The rules in force and their version (0: the shipped defaults)."""
    version, rules = await asyncio.to_thread(store.rules, _sessions(request))
    return {"version": version, "rules": rules.model_dump(mode="json")}


@router.put("/rules")
@body_limit(BODY_LIMIT)
async def put_rules(request: Request, body: RuleSet, me: Admin) -> dict[str, Any]:
    """Save new rules as the next version (admin); logged in the admin change log."""
    sm = _sessions(request)
    version = await asyncio.to_thread(store.save, sm, "rules", body, _editor(request, me))
    return {"version": version, "rules": body.model_dump(mode="json")}


@router.get("/rules/versions")
async def rule_versions(request: Request, _: Admin) -> dict[str, Any]:
    """Every saved version of the rules, newest first (admin)."""
    return {"versions": _versions(await asyncio.to_thread(store.versions, _sessions(request), "rules"))}


@router.get("/items")
async def get_items(request: Request, _: Reviewer) -> dict[str, Any]:
    """The scoring items in force and their version (0: the shipped defaults)."""
    version, items = await asyncio.to_thread(store.items, _sessions(request))
    return {"version": version, **items.model_dump(mode="json")}


@router.put("/items")
@body_limit(BODY_LIMIT)
async def put_items(request: Request, body: ScoreItems, me: Admin) -> dict[str, Any]:
    """Save new scoring items as the next version (admin); logged in the admin change log."""
    sm = _sessions(request)
    version = await asyncio.to_thread(store.save, sm, "items", body, _editor(request, me))
    return {"version": version, **body.model_dump(mode="json")}


@router.get("/items/versions")
async def item_versions(request: Request, _: Admin) -> dict[str, Any]:
    """Every saved version of the scoring items, newest first (admin)."""
    return {"versions": _versions(await asyncio.to_thread(store.versions, _sessions(request), "items"))}
