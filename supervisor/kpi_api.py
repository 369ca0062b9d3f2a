"""KPI routes (``GET /api/kpis`` and ``GET /api/kpis/agents``): supervisors and admins only.

``from`` and ``to`` are ISO 8601 times (with an offset; without one they are the centre's local time),
by default today from local midnight to now. A range longer than ``MAX_RANGE`` or cut into more than
``MAX_INTERVALS`` intervals is refused with 422, as is an unknown interval name.

A supervisor sees only their queues (supervisor.kpi_scope): another queue is a 403
(``queue_not_supervised``), no queue means the calls of their queues taken together, and the agent
route lists only the agents serving their queues. Admins see everything.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.api import Me
from agent_desktop.auth import Principal, Role
from supervisor.errors import SupervisorError, not_your_queue
from supervisor.kpi_scope import EVERYTHING, KpiScope, ScopeOf, scope_resolver
from supervisor.kpis import (
    DEFINITIONS,
    INTERVALS,
    KpiSettings,
    agent_kpis,
    channel_dict,
    channel_kpis,
    kpis_dict,
    per_queue_kpis,
    queue_kpis,
)
from supervisor.kpis.intervals import interval_count
from supervisor.kpis.model import DEFAULT_SETTINGS

router = APIRouter(prefix="/api/kpis", tags=["supervisor"])

MAX_RANGE = timedelta(days=400)
MAX_INTERVALS = 10_000
NAME = r"^[0-9A-Za-z_.-]{1,64}$"


def _invalid(error_id: str, message: str, **details: object) -> SupervisorError:
    return SupervisorError(error_id, message, status_code=422, details=dict(details))


def _supervising(me: Me) -> Principal:
    if not me.may(Role.SUPERVISOR, Role.ADMIN):
        raise SupervisorError("forbidden", "your role may not do this", status_code=403)
    return me


def kpi_settings(request: Request) -> KpiSettings:
    """The centre's KPI settings (``app.state.kpi_settings``, installed with supervision)."""
    settings: KpiSettings = getattr(request.app.state, "kpi_settings", DEFAULT_SETTINGS)
    return settings


def _sessions(request: Request) -> sessionmaker[Session]:
    desktop = getattr(request.app.state, "desktop", None)
    if desktop is None:
        raise SupervisorError("kpis_unavailable", "the call records are not available", status_code=503)
    sessions: sessionmaker[Session] = desktop.sessions
    return sessions


def _time(name: str, raw: str | None, default: datetime, settings: KpiSettings) -> datetime:
    if raw is None:
        return default
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+") if raw.count(" ") == 1 else raw)
    except ValueError:
        raise _invalid("invalid_time", f"{name} is not an ISO 8601 time", param=name, value=raw) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=settings.zone)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class KpiRange:
    """A validated [start, end) range."""

    start: datetime
    end: datetime


def _range(
    request: Request,
    from_: Annotated[str | None, Query(alias="from", max_length=40, description="ISO 8601 start")] = None,
    to: Annotated[str | None, Query(max_length=40, description="ISO 8601 end (exclusive)")] = None,
) -> KpiRange:
    settings = kpi_settings(request)
    now = datetime.now(UTC)
    midnight = now.astimezone(settings.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    start = _time("from", from_, midnight.astimezone(UTC), settings)
    end = _time("to", to, now, settings)
    if end <= start:
        raise _invalid("empty_range", "to must be after from", start=start.isoformat(), end=end.isoformat())
    if end - start > MAX_RANGE:
        raise _invalid(
            "range_too_long", f"a range may span at most {MAX_RANGE.days} days", days=MAX_RANGE.days
        )
    return KpiRange(start, end)


def _scope(request: Request, me: Annotated[Principal, Depends(_supervising)]) -> KpiScope:
    """The caller's scope (``app.state.kpi_scope``, installed with supervision; without it, only the
    supervisor–queue mapping, every configured queue's skill unknown, so no agents)."""
    if me.may(Role.ADMIN):
        return EVERYTHING
    resolver: ScopeOf | None = getattr(request.app.state, "kpi_scope", None)
    if resolver is None:
        resolver = scope_resolver(_sessions(request), dict)
    return resolver(me)


async def _scope_async(request: Request, me: Annotated[Principal, Depends(_supervising)]) -> KpiScope:
    return await asyncio.to_thread(_scope, request, me)


Supervising = Annotated[Principal, Depends(_supervising)]
Scope = Annotated[KpiScope, Depends(_scope_async)]
Range = Annotated[KpiRange, Depends(_range)]
Sessions = Annotated[sessionmaker[Session], Depends(_sessions)]
Settings = Annotated[KpiSettings, Depends(kpi_settings)]


def _queue_report(
    sm: sessionmaker[Session],
    r: KpiRange,
    queue: str | None,
    step: timedelta | None,
    settings: KpiSettings,
    among: frozenset[str] | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    kw: dict[str, Any] = {
        "start": r.start,
        "end": r.end,
        "queue": queue,
        "settings": settings,
        "queues": among,
    }
    with sm() as s:
        (total,) = queue_kpis(s, **kw)
        rows = [] if step is None else queue_kpis(s, interval=step, **kw)
    return kpis_dict(total), [kpis_dict(k) for k in rows]


def _channels_report(
    sm: sessionmaker[Session],
    r: KpiRange,
    queue: str | None,
    settings: KpiSettings,
    scope: KpiScope,
    voice: dict[str, Any],
) -> dict[str, Any]:
    """Voice (``voice``: the totals, and per queue), video and chat: each a total and per queue."""
    out: dict[str, Any] = {}
    with sm() as s:
        per_voice = per_queue_kpis(s, start=r.start, end=r.end, settings=settings)
        out["voice"] = {
            "total": voice,
            "queues": [
                kpis_dict(k)
                for k in per_voice
                if k.queue is not None
                and (k.queue == queue if queue is not None else scope.has_queue(k.queue))
            ],
        }
        for channel in ("video", "chat"):
            total, per = channel_kpis(
                s, channel=channel, start=r.start, end=r.end, queue=queue, queues=scope.queues
            )
            out[channel] = {"total": channel_dict(total), "queues": [channel_dict(k) for k in per]}
    return out


@router.get("")
async def kpis(
    scope: Scope,
    r: Range,
    sm: Sessions,
    settings: Settings,
    queue: Annotated[str | None, Query(pattern=NAME, description="a queue; all queues if absent")] = None,
    interval: Annotated[str | None, Query(max_length=8, description="15m, 30m, 1h or 1d")] = None,
) -> dict[str, Any]:
    """Queue KPIs (docs/KPIS.md) over [from, to): the total and, with ``interval``, one row per interval
    (of ``queue``, or of every queue the caller sees taken together); ``channels``: voice, video and
    chat apart, each a total and one row per queue."""
    if queue is not None and not scope.has_queue(queue):
        raise not_your_queue(queue)
    step = None
    if interval is not None:
        step = INTERVALS.get(interval)
        if step is None:
            raise _invalid(
                "invalid_interval", "interval must be one of " + ", ".join(INTERVALS), value=interval
            )
        count = interval_count(r.start, r.end, step, settings.zone)
        if count > MAX_INTERVALS:
            raise _invalid("too_many_intervals", f"at most {MAX_INTERVALS} intervals", intervals=count)
    total, rows = await asyncio.to_thread(_queue_report, sm, r, queue, step, settings, scope.queues)
    channels = await asyncio.to_thread(_channels_report, sm, r, queue, settings, scope, total)
    return {
        "from": r.start.isoformat(),
        "to": r.end.isoformat(),
        "queue": queue,
        "interval": interval,
        "definitions": DEFINITIONS,
        "totals": total,
        "intervals": rows,
        "channels": channels,
    }


def _agent_report(
    sm: sessionmaker[Session], r: KpiRange, agent: str | None, settings: KpiSettings
) -> list[dict[str, Any]]:
    with sm() as s:
        return [
            kpis_dict(a) for a in agent_kpis(s, start=r.start, end=r.end, agent_id=agent, settings=settings)
        ]


@router.get("/agents")
async def agents(
    scope: Scope,
    r: Range,
    sm: Sessions,
    settings: Settings,
    agent: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z_-]{1,32}$", description="one agent")] = None,
) -> dict[str, Any]:
    """Agent KPIs (docs/KPIS.md) over [from, to), one row per agent with logged state in the range
    (for a supervisor: the agents serving their queues)."""
    if agent is not None and not scope.has_agent(agent):
        raise SupervisorError(
            "agent_not_supervised",
            f"agent {agent!r} serves none of your queues",
            status_code=403,
            details={"agent_id": agent},
        )
    rows = await asyncio.to_thread(_agent_report, sm, r, agent, settings)
    rows = [a for a in rows if scope.has_agent(str(a["agent_id"]))]
    return {"from": r.start.isoformat(), "to": r.end.isoformat(), "definitions": DEFINITIONS, "agents": rows}
