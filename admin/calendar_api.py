"""Admin routes for the working-day calendar (``/api/admin/calendar/{year}``, tab 日历与时段).

The same store as ``/api/calendar/{year}`` (tickets.calendar_store: the year's holidays and 调休
working days, edited over the shipped ``ivr/flows/holidays_cn.yaml``; effective at once for the IVR's
working-day tests, new deadlines and the checker), with every change recorded in the admin change log
(area ``calendar``, the year as object) with the arrangement before and after. DELETE goes back to the
shipped year (2027 is shipped as ``expected`` until the State Council notice is out).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from fastapi import APIRouter, Request

from admin.audit_api import AdminUser, audited
from agent_desktop.errors import DesktopError
from ivr.flow.calendar import YearPlan
from tickets.calendar_api import Store, YearPath, YearPublic
from tickets.calendar_store import YearView
from tickets.errors import TicketError

router = APIRouter(prefix="/api/admin", tags=["admin"])
AREA = "calendar"
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
