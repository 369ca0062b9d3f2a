"""A department's SMS numbers (``/api/dept/departments/{code}/sms-numbers``): who gets its order texts.

The centre's admin reads and sets every department's numbers, a department admin those of their
department and the departments below it (``tickets.dept_users_api.manager``; anyone else 403, a
department out of reach 404 as an unknown one). Setting replaces the list: at most
``tickets.order_notices.MAX_NUMBERS`` mainland mobile numbers (422 ``invalid_value`` otherwise).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from agent_desktop.api import _principal
from agent_desktop.errors import DesktopError
from tickets.api import _run
from tickets.departments import CODE_PATTERN
from tickets.dept_portal import Portal, PortalDep, departments_by_code
from tickets.dept_users_api import Manager, Managing
from tickets.order_notices import MAX_NUMBERS, numbers_of, set_numbers

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(_principal)], tags=["departments"])
CodePath = Annotated[str, Path(pattern=CODE_PATTERN)]


class SmsNumbersIn(BaseModel):
    """The department's numbers (replacing the current ones)."""

    numbers: list[Annotated[str, Field(max_length=32)]] = Field(max_length=MAX_NUMBERS)


class SmsNumbersOut(BaseModel):
    """The department's numbers."""

    department: str
    numbers: list[str]


async def _reachable(p: Portal, boss: Manager, code: str) -> str:
    tree = await asyncio.to_thread(departments_by_code, p)
    if code not in tree or not boss.reaches(code):
        raise DesktopError("department_not_found", f"no department {code}", status_code=404)
    return code


@router.get("/departments/{code}/sms-numbers", response_model=SmsNumbersOut)
async def get_sms_numbers(code: CodePath, boss: Managing, p: PortalDep) -> SmsNumbersOut:
    """The numbers that get the department's order texts."""
    await _reachable(p, boss, code)
    return SmsNumbersOut(department=code, numbers=await _run(numbers_of, p.tickets.sessions, code))


@router.put("/departments/{code}/sms-numbers", response_model=SmsNumbersOut)
async def put_sms_numbers(code: CodePath, body: SmsNumbersIn, boss: Managing, p: PortalDep) -> SmsNumbersOut:
    """Replace the department's numbers."""
    await _reachable(p, boss, code)
    saved = await _run(set_numbers, p.tickets.sessions, code, body.numbers, actor=boss.user_id)
    return SmsNumbersOut(department=code, numbers=saved)
