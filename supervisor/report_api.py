"""Report routes (``/api/reports/queues`` and ``/api/reports/agents``): supervisors and admins only; a
supervisor's report holds the queues they supervise and the agents serving them (supervisor.kpi_scope,
as for ``/api/kpis``), an admin's the whole centre.

``period`` is day, week (Monday-based) or month in local time, ``date`` any day in it (today when
left out), ``format`` json, csv or xlsx. A date before 2000 or after today is refused with 422.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.api import Me
from agent_desktop.auth import Principal, Role
from supervisor.errors import SupervisorError
from supervisor.kpi_api import Scope
from supervisor.kpi_scope import KpiScope
from supervisor.report_export import file_name, to_csv, to_xlsx
from supervisor.reports import LOCAL, Period, ReportKind, Window, build_report, report_window

router = APIRouter(prefix="/api/reports", tags=["supervisor"])

Format = Literal["json", "csv", "xlsx"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _supervising(me: Me) -> Principal:
    if not me.may(Role.SUPERVISOR, Role.ADMIN):
        raise SupervisorError("forbidden", "your role may not do this", status_code=403)
    return me


def _window(
    period: Annotated[Period, Query(description="day, week (Monday-based) or month, local time")],
    day: Annotated[
        date | None, Query(alias="date", description="a day in the period; today if absent")
    ] = None,
) -> Window:
    now = datetime.now(UTC)
    try:
        return report_window(period, day or now.astimezone(LOCAL).date(), now)
    except ValueError as exc:
        raise SupervisorError(
            "date_out_of_range",
            str(exc),
            status_code=422,
            details={"date": day.isoformat() if day else None},
        ) from exc


Supervising = Annotated[Principal, Depends(_supervising)]
ReportWindow = Annotated[Window, Depends(_window)]
FormatQuery = Annotated[Format, Query(alias="format", description="json, csv or xlsx")]


async def _answer(request: Request, kind: ReportKind, window: Window, fmt: Format, scope: KpiScope) -> Any:
    sessions: sessionmaker[Session] = request.app.state.desktop.sessions
    report = await asyncio.to_thread(build_report, sessions, kind, window, scope)
    if fmt == "json":
        return report
    content = to_csv(report, kind) if fmt == "csv" else to_xlsx(report, kind)
    disposition = f'attachment; filename="{file_name(report, kind, fmt)}"'
    return Response(content, media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": disposition})


@router.get("/queues", response_model=None)
async def queue_report(
    request: Request, _: Supervising, scope: Scope, window: ReportWindow, fmt: FormatQuery = "json"
) -> Any:
    """Per-queue figures of a day, week or month with the centre's total and its hourly or daily
    breakdown, as JSON, CSV or XLSX."""
    return await _answer(request, ReportKind.QUEUES, window, fmt, scope)


@router.get("/agents", response_model=None)
async def agent_report(
    request: Request, _: Supervising, scope: Scope, window: ReportWindow, fmt: FormatQuery = "json"
) -> Any:
    """Per-agent figures of a day, week or month (calls, talk and wrap-up, pause by reason, occupancy,
    transfers, three-way calls) with their total and the centre's breakdown, as JSON, CSV or XLSX."""
    return await _answer(request, ReportKind.AGENTS, window, fmt, scope)
