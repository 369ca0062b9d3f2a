"""Admin routes of tab 日历与时段: the working-day calendar (``/api/admin/calendar/{year}``) and the
emergency notice (``/api/admin/emergency``) and the opening hours per queue (``/api/admin/hours``).

The same store as ``/api/calendar/{year}`` (tickets.calendar_store: the year's holidays and 调休
working days, edited over the shipped ``ivr/flows/holidays_cn.yaml``; effective at once for the IVR's
working-day tests, new deadlines and the checker), with every change recorded in the admin change log
(area ``calendar``, the year as object) with the arrangement before and after. DELETE goes back to the
shipped year (2027 is shipped as ``expected`` until the State Council notice is out).

The emergency notice is the call flow's switch and spoken text (supervisor.centre_switches) plus until
when it plays (ivr.hours_notice; every node turns it off once that time has passed). A change is
recorded in the admin change log (area ``emergency``) with the notice before and after. The answer
also carries the main flow's working hours, which the flow's time conditions use.

Opening hours per queue (ivr.hours_queues): a special line closed at the hour a caller reaches it sends
the caller to ``general``. A change applies at once on this node and within seconds on the others;
recorded in the admin change log (area ``hours``, the queue as object).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from fastapi import APIRouter, Path, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker

from admin.audit_api import AdminUser, audited, sessions_of
from agent_desktop.errors import DesktopError
from ivr import hours_notice, hours_queues
from ivr.flow.calendar import YearPlan
from ivr.service import IvrService
from supervisor.centre_switches import NOTICE_MAX_CHARS, emergency_state, set_emergency_notice
from supervisor.schemas import PRINTABLE
from tickets.calendar_api import Store, YearPath, YearPublic
from tickets.calendar_store import YearView
from tickets.errors import TicketError

router = APIRouter(prefix="/api/admin", tags=["admin"])
AREA = "calendar"
MAX_NOTICE_DAYS = 90
P = ParamSpec("P")
T = TypeVar("T")


async def _run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
    except TicketError as exc:
        raise DesktopError(exc.error_id, str(exc), status_code=exc.status_code, details=exc.details) from exc


def _audit_view(view: YearView) -> dict[str, object] | None:
    if view.source == "none" or view.plan is None:
        return None
    return {"source": view.source, **view.plan.model_dump(mode="json")}


@router.get("/calendar/{year}", response_model=YearPublic)
async def get_year(year: YearPath, me: AdminUser, store: Store) -> YearPublic:
    """The year as the centre uses it: edited, shipped (``status`` ``expected`` or confirmed) or none."""
    return YearPublic.of(await _run(store.get, year))


@router.put("/calendar/{year}", response_model=YearPublic)
async def put_year(
    request: Request, year: YearPath, body: YearPlan, me: AdminUser, store: Store
) -> YearPublic:
    """Replace the year's arrangement; effective at once; audited."""
    before = await _run(store.get, year)
    after = await _run(store.put, year, body.model_dump(mode="json"), actor=me.user_id)
    days = sum((h.end - h.start).days + 1 for h in body.holidays)
    await audited(
        request, me, area=AREA, object_id=str(year), action="update",
        summary=f"修改 {year} 年放假调休安排：{len(body.holidays)} 个节日，放假 {days} 天",
        before=_audit_view(before), after=_audit_view(after),
    )  # fmt: skip
    return YearPublic.of(after)


@router.delete("/calendar/{year}", response_model=YearPublic)
async def reset_year(request: Request, year: YearPath, me: AdminUser, store: Store) -> YearPublic:
    """Drop the edit: the shipped arrangement applies again; audited."""
    before = await _run(store.get, year)
    if before.source != "edited":
        raise DesktopError("calendar_not_edited", f"{year} has no edit to drop", status_code=409,
                           details={"year": year, "source": before.source})  # fmt: skip
    after = await _run(store.reset, year)
    await audited(
        request, me, area=AREA, object_id=str(year), action="reset",
        summary=f"恢复 {year} 年放假安排为随系统发布的版本",
        before=_audit_view(before), after=_audit_view(after),
    )  # fmt: skip
    return YearPublic.of(after)


class EmergencyChange(BaseModel):
    """The notice on or off, optionally a new text, and until when it plays (None: until switched off)."""

    model_config = ConfigDict(extra="forbid")
    on: bool
    text: str | None = Field(default=None, min_length=1, max_length=NOTICE_MAX_CHARS, pattern=PRINTABLE)
    until: AwareDatetime | None = None


def _ivr(request: Request) -> IvrService:
    ivr: IvrService | None = getattr(request.app.state, "ivr", None)
    if ivr is None:
        raise DesktopError("ivr_unavailable", "the IVR is not running in this process", status_code=503)
    return ivr


def _emergency(ivr: IvrService, sessions: sessionmaker[Session]) -> dict[str, Any]:
    """The notice now, its window and the main flow's working hours (blocking)."""
    window = hours_notice.read_window(sessions)
    hours = [{"start": r.start, "end": r.end} for r in ivr.catalog.live().main.working_hours]
    return {
        **emergency_state(ivr),
        "until": None if window.until is None else window.until.isoformat(),
        "set_by": window.set_by,
        "working_hours": hours,
    }


def _audited_notice(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state[k] for k in ("on", "text", "until")}


@router.get("/emergency")
async def get_emergency(request: Request, me: AdminUser) -> dict[str, Any]:
    """The emergency notice (on, text, until when) and the working hours of the main flow."""
    return await asyncio.to_thread(_emergency, _ivr(request), sessions_of(request))


@router.put("/emergency")
async def put_emergency(request: Request, body: EmergencyChange, me: AdminUser) -> dict[str, Any]:
    """Switch the notice, speak a new text, set until when it plays; audited."""
    ivr, sessions = _ivr(request), sessions_of(request)
    now = datetime.now(UTC)
    if body.until is not None and not body.on:
        raise DesktopError("until_without_notice", "an end time needs the notice on", status_code=422)
    if body.until is not None and not now < body.until <= now + timedelta(days=MAX_NOTICE_DAYS):
        message = f"the end must be after now and within {MAX_NOTICE_DAYS} days"
        raise DesktopError(
            "until_out_of_range", message, status_code=422, details={"until": body.until.isoformat()}
        )
    text = None if body.text is None else body.text.strip()
    if text == "":
        raise DesktopError("notice_text_empty", "the notice text is empty", status_code=422)
    before = await asyncio.to_thread(_emergency, ivr, sessions)
    await asyncio.to_thread(set_emergency_notice, ivr, on=body.on, text=text)
    await asyncio.to_thread(hours_notice.set_until, sessions, body.until, by=me.user_id)
    after = await asyncio.to_thread(_emergency, ivr, sessions)
    until = f"，至 {body.until.isoformat(timespec='minutes')}" if body.until else ""
    await audited(
        request, me, area=hours_notice.AREA, object_id="notice", action="on" if body.on else "off",
        summary=("开启紧急通知" if body.on else "关闭紧急通知") + until,
        before=_audited_notice(before), after=_audited_notice(after),
    )  # fmt: skip
    return after


def notice_expiry(sessions: sessionmaker[Session], ivr: IvrService) -> hours_notice.NoticeExpiry:
    """The follower that turns the notice off once its window has passed (one per app node)."""

    def switch_off() -> bool:
        was_on = bool(emergency_state(ivr)["on"])
        set_emergency_notice(ivr, on=False, text=None)
        return was_on

    return hours_notice.NoticeExpiry(sessions=sessions, switch_off=switch_off)


QueuePath = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class HoursChange(BaseModel):
    """When a queue is open: on the centre's working days or every day, from ``start`` to ``end``."""

    model_config = ConfigDict(extra="forbid")
    days: Literal["working", "every_day"]
    start: str = Field(pattern=CLOCK)
    end: str = Field(pattern=CLOCK)


def _queue_hours(request: Request) -> hours_queues.QueueHours:
    found: hours_queues.QueueHours | None = getattr(request.app.state, "queue_hours", None)
    if found is None:
        raise DesktopError("hours_unavailable", "opening hours are not kept in this process", status_code=503)
    return found


def _hours_public(request: Request) -> list[dict[str, Any]]:
    known = _queue_hours(request).hours
    names = sorted(request.app.state.desktop.acd.engine.queues)
    return [
        {"queue": name, "always_open": name == hours_queues.ALWAYS_OPEN,
         "hours": None if name not in known else {"days": known[name].days, "start": known[name].start,
                                                    "end": known[name].end}}
        for name in names
    ]  # fmt: skip


def _hours_audit(hours: hours_queues.Hours | None) -> dict[str, str] | None:
    return None if hours is None else {"days": hours.days, "start": hours.start, "end": hours.end}


def _known_queue(request: Request, queue: str) -> None:
    if queue not in request.app.state.desktop.acd.engine.queues:
        raise DesktopError("unknown_queue", f"no queue {queue}", status_code=404, details={"queue": queue})
    if queue == hours_queues.ALWAYS_OPEN:
        raise DesktopError("queue_always_open", "the general line answers around the clock",
                           status_code=422, details={"queue": queue})  # fmt: skip


@router.get("/hours")
async def list_hours(request: Request, me: AdminUser) -> list[dict[str, Any]]:
    """Every queue with its opening hours (None: always open)."""
    await asyncio.to_thread(_queue_hours(request).refresh)
    return _hours_public(request)


@router.put("/hours/{queue}")
async def put_hours(
    request: Request, queue: QueuePath, body: HoursChange, me: AdminUser
) -> list[dict[str, Any]]:
    """Set a queue's opening hours; at once on this node; audited."""
    _known_queue(request, queue)
    if body.start == body.end:
        raise DesktopError("hours_empty", "start and end are the same time", status_code=422)
    live = _queue_hours(request)
    before = live.hours.get(queue)
    hours = hours_queues.Hours(queue, body.days, body.start, body.end)
    await asyncio.to_thread(hours_queues.put_hours, sessions_of(request), hours, by=me.user_id)
    await asyncio.to_thread(live.refresh)
    days = "工作日" if body.days == "working" else "每天"
    await audited(
        request, me, area="hours", object_id=queue, action="update",
        summary=f"设置队列 {queue} 开放时间：{days} {body.start}–{body.end}",
        before=_hours_audit(before), after=_hours_audit(hours),
    )  # fmt: skip
    return _hours_public(request)


@router.delete("/hours/{queue}")
async def drop_hours(request: Request, queue: QueuePath, me: AdminUser) -> list[dict[str, Any]]:
    """Make a queue always open again; audited."""
    _known_queue(request, queue)
    live = _queue_hours(request)
    before = live.hours.get(queue)
    await asyncio.to_thread(hours_queues.drop_hours, sessions_of(request), queue)
    await asyncio.to_thread(live.refresh)
    await audited(
        request, me, area="hours", object_id=queue, action="delete", summary=f"队列 {queue} 改为全天开放",
        before=_hours_audit(before), after=None,
    )  # fmt: skip
    return _hours_public(request)
