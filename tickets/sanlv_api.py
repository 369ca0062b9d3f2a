"""The 三率 report route, ``GET /api/reports/departments`` (figures defined in docs/SANLV.md).

``period`` (day, Monday-based week, month; local time), ``date`` and ``format`` (json, csv, xlsx) work
as on the supervisor's reports (``supervisor.report_api``). Supervisors and admins see every department
or, with ``department``, one department's subtree (404 ``department_not_found`` for an unknown code).
A department user sees their own department's subtree: without ``department`` it is theirs, a
department outside it answers 403 ``department_out_of_scope``. Every other role gets 403.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.api import Me
from agent_desktop.auth import Principal, Role
from agent_desktop.errors import DesktopError
from supervisor.report_api import MEDIA_TYPES, FormatQuery, ReportWindow
from supervisor.report_export import Column, csv_of, xlsx_of
from supervisor.reports import LOCAL
from tickets.departments import CODE_PATTERN, Level, get_department
from tickets.dept_portal import acting_of, portal
from tickets.sanlv import department_report

router = APIRouter(prefix="/api/reports", tags=["reports"])

DepartmentQuery = Annotated[
    str | None,
    Query(pattern=CODE_PATTERN, max_length=32, description="a department code: its subtree only"),
]


def _count(name: str) -> Column:
    return Column(HEADERS[name], lambda row: row.get(name))


def _rate(name: str) -> Column:
    return Column(HEADERS[name], lambda row: row.get(name), "percent")


HEADERS = {
    "dispatched": "派单量",
    "signed_on_time": "按时签收",
    "response_rate": "响应率",
    "evaluated": "已评价",
    "solved": "已解决",
    "solve_rate": "解决率",
    "satisfied": "满意及基本满意",
    "satisfaction_rate": "满意率",
    "replied": "已答复",
    "replied_on_time": "按时答复",
    "on_time_rate": "按时办结率",
    "overdue_sign": "签收超期",
    "overdue_handle": "办理超期",
    "overdue_reply": "答复超期",
    "returns": "退单",
    "extensions_requested": "延期申请",
    "extensions_approved": "延期同意",
    "escalations": "督办",
}
LEVEL_LABELS = {level.value: level.label for level in Level}
COLUMNS = [
    Column("部门编码", lambda row: row.get("department") or "", "text"),
    Column("部门", lambda row: row.get("name"), "text"),
    Column("层级", lambda row: LEVEL_LABELS.get(row.get("level") or "", "合计"), "text"),
    *[_rate(n) if n.endswith("_rate") else _count(n) for n in HEADERS],
]
"""The file columns: the department, then every count and rate in the order of ``HEADERS``."""


def _sessions(request: Request) -> sessionmaker[Session]:
    sm: sessionmaker[Session] = request.app.state.desktop.sessions
    return sm


def _known(sm: sessionmaker[Session], code: str) -> bool:
    with sm() as s:
        return get_department(s, code) is not None


async def _department_in_reach(request: Request, me: Principal, wanted: str | None) -> str | None:
    """The department whose subtree ``me`` is shown (``None``: all), or a 403/404 refusal."""
    if me.may(Role.SUPERVISOR, Role.ADMIN):
        if wanted is not None and not await asyncio.to_thread(_known, _sessions(request), wanted):
            raise DesktopError(
                "department_not_found",
                f"no department {wanted}",
                status_code=404,
                details={"department": wanted},
            )
        return wanted
    if me.role is not Role.DEPARTMENT:
        raise DesktopError("forbidden", "your role may not do this", status_code=403)
    who = await asyncio.to_thread(acting_of, portal(request), me.user_id)
    if who is None:
        raise DesktopError("department_user_disabled", "this department user is disabled", status_code=403)
    if wanted is not None and wanted not in who.scope:
        raise DesktopError(
            "department_out_of_scope",
            "you see only your own department and those below it",
            status_code=403,
            details={"department": wanted},
        )
    return wanted or who.department.code


def file_name(report: Mapping[str, Any], extension: str) -> str:
    """An ASCII file name such as ``sanlv-week-2026-11-23-cgj.xlsx`` (the period's first local day)."""
    start: datetime = report["from"]
    scope = f"-{report['department']}" if report["department"] else ""
    return f"sanlv-{report['period']}-{start.astimezone(LOCAL).date().isoformat()}{scope}.{extension}"


def _file(report: Mapping[str, Any], fmt: str) -> Response:
    rows = [*report["rows"]]
    if report["department"] is None:
        rows.append(report["total"])
    content = csv_of(COLUMNS, rows) if fmt == "csv" else xlsx_of([("部门三率", COLUMNS, rows)])
    disposition = f'attachment; filename="{file_name(report, fmt)}"'
    return Response(content, media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": disposition})


@router.get("/departments", response_model=None)
async def departments_report(
    request: Request,
    me: Me,
    window: ReportWindow,
    fmt: FormatQuery = "json",
    department: DepartmentQuery = None,
) -> Any:
    """三率 per department for the orders first dispatched in a day, week or month, each department
    rolled up over its subtree, with the total; as JSON, CSV or XLSX."""
    scope = await _department_in_reach(request, me, department)
    now = datetime.now(UTC)
    report = await asyncio.to_thread(department_report, _sessions(request), window, now=now, department=scope)
    return report if fmt == "json" else _file(report, fmt)
