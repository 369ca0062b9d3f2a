"""HTTP routes: the working-day calendar (``/api/calendar/{year}``, admins) and 督办 records
(``/api/supervision-orders``, the centre: supervisors and admins), plus the deadline marks of the
checker's last pass (``/api/deadline-marks``).

A PUT stores the whole year's arrangement (it replaces the shipped year) and takes effect at once on
this node for the IVR, new deadlines and the checker; DELETE goes back to the shipped year. A year
from the shipped file whose notice was not yet published answers ``status: expected``.
Departments read their own records through ``tickets.supervision_orders.supervision_for``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Principal, Role
from agent_desktop.errors import DesktopError
from ivr.flow.calendar import HolidayPlan, YearPlan, YearStatus
from tickets import supervision_orders as records
from tickets.calendar_store import MAX_YEAR, MIN_YEAR, CalendarStore, YearView
from tickets.errors import TicketError
from tickets.supervision_orders import MarkRow, SupervisionRow

__all__ = ["calendar_store", "router"]

router = APIRouter(prefix="/api", dependencies=[Depends(_principal)])
P = ParamSpec("P")
T = TypeVar("T")
YearPath = Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR)]


def calendar_store(request: Request) -> CalendarStore:
    """``app.state.calendar_store``; when unset, one on the desktop's sessions that edits the shared
    calendar is made and kept."""
    store: CalendarStore | None = getattr(request.app.state, "calendar_store", None)
    if store is None:
        store = CalendarStore(sessions=_context(request).sessions)
        request.app.state.calendar_store = store
    return store


Store = Annotated[CalendarStore, Depends(calendar_store)]


async def _run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
    except TicketError as exc:
        raise DesktopError(exc.error_id, str(exc), status_code=exc.status_code, details=exc.details) from exc


def _require(me: Principal, *roles: Role) -> None:
    if not me.may(*roles):
        raise DesktopError("forbidden", "your role may not do this", status_code=403)


class DayPublic(BaseModel):
    """A day off or a make-up working day."""

    date: date
    name: str


class YearPublic(BaseModel):
    """A year of the calendar as the centre uses it."""

    year: int
    source: Literal["edited", "shipped", "none"]
    status: YearStatus | None
    notice: str
    url: str
    published: date | None
    holidays: list[HolidayPlan]
    days_off: list[DayPublic]
    workdays: list[DayPublic]
    updated_by: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, view: YearView) -> YearPublic:
        """From the store's view."""
        plan = view.plan
        return cls(
            year=view.year,
            source=view.source,
            status=None if plan is None else plan.status,
            notice="" if plan is None else plan.notice,
            url="" if plan is None else plan.url,
            published=None if plan is None else plan.published,
            holidays=[] if plan is None else list(plan.holidays),
            days_off=[DayPublic(date=d, name=n) for d, n in view.holidays.items()],
            workdays=[DayPublic(date=d, name=n) for d, n in view.workdays.items()],
            updated_by=view.updated_by,
            updated_at=view.updated_at,
        )


class SupervisionPublic(BaseModel):
    """One 督办 record."""

    id: int
    order_number: str
    reason: str
    reason_label: str
    level: str
    level_label: str
    rule: str
    department: str | None
    escalate_to: str | None
    target_unknown: bool
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    detail: dict[str, object]

    @classmethod
    def of(cls, row: SupervisionRow) -> SupervisionPublic:
        """From a stored record."""
        return cls(
            id=row.id,
            order_number=row.order_number,
            reason=row.reason,
            reason_label=row.reason_label,
            level=row.level,
            level_label=row.level_label,
            rule=row.rule,
            department=row.department,
            escalate_to=row.escalate_to,
            target_unknown=row.target_unknown,
            raised_at=row.raised_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            detail=row.detail,
        )


class MarkPublic(BaseModel):
    """A due-soon or overdue limit of an open order."""

    order_number: str
    kind: str
    state: str
    due_at: datetime
    since: datetime

    @classmethod
    def of(cls, row: MarkRow) -> MarkPublic:
        """From a stored mark."""
        return cls(
            order_number=row.order_number, kind=row.kind, state=row.state, due_at=row.due_at, since=row.since
        )


@router.get("/calendar/{year}", response_model=YearPublic, tags=["calendar"])
async def get_year(year: YearPath, me: Me, store: Store) -> YearPublic:
    """The year's holidays and make-up working days, and whether they are edited, shipped or expected."""
    _require(me, Role.ADMIN)
    return YearPublic.of(await _run(store.get, year))


@router.put("/calendar/{year}", response_model=YearPublic, tags=["calendar"])
async def put_year(year: YearPath, body: YearPlan, me: Me, store: Store) -> YearPublic:
    """Replace the year's arrangement (admins); effective at once."""
    _require(me, Role.ADMIN)
    return YearPublic.of(await _run(store.put, year, body.model_dump(mode="json"), actor=me.user_id))


@router.delete("/calendar/{year}", response_model=YearPublic, tags=["calendar"])
async def reset_year(year: YearPath, me: Me, store: Store) -> YearPublic:
    """Drop the edit: the shipped arrangement applies again (admins)."""
    _require(me, Role.ADMIN)
    return YearPublic.of(await _run(store.reset, year))


@router.get("/supervision-orders", response_model=list[SupervisionPublic], tags=["supervision"])
async def list_supervision(
    request: Request,
    me: Me,
    open_only: bool = False,
    reason: Annotated[str | None, Query(pattern=r"^[a-z_]{1,16}$")] = None,
    order_number: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z-]{1,36}$")] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[SupervisionPublic]:
    """督办 records, newest first (supervisors and admins)."""
    _require(me, Role.SUPERVISOR, Role.ADMIN)
    rows = await _run(
        records.list_supervision,
        _context(request).sessions,
        order_number=order_number,
        reason=reason,
        open_only=open_only,
        before_id=before_id,
        limit=limit,
    )
    return [SupervisionPublic.of(r) for r in rows]


@router.post(
    "/supervision-orders/{record_id}/acknowledge", response_model=SupervisionPublic, tags=["supervision"]
)
async def acknowledge(
    request: Request, record_id: Annotated[int, Path(ge=1, le=2**31 - 1)], me: Me
) -> SupervisionPublic:
    """Acknowledge a record (supervisors and admins); 409 the second time."""
    _require(me, Role.SUPERVISOR, Role.ADMIN)
    row = await _run(records.acknowledge, _context(request).sessions, record_id, actor=me.user_id)
    return SupervisionPublic.of(row)


@router.get("/deadline-marks", response_model=list[MarkPublic], tags=["supervision"])
async def list_marks(
    request: Request,
    me: Me,
    state: Literal["due_soon", "overdue"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MarkPublic]:
    """Limits due soon or overdue as of the checker's last pass, soonest first (supervisors, admins)."""
    _require(me, Role.SUPERVISOR, Role.ADMIN)
    rows = await _run(records.marks_of, _context(request).sessions, state=state, limit=limit)
    return [MarkPublic.of(r) for r in rows]
