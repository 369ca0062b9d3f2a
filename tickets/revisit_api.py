"""HTTP routes of the revisit work list (回访): ``/api/revisits``.

Agents, supervisors and admins revisit (department users and anonymous callers are refused). The list
shows citizens' numbers masked; every read is recorded in the read audit. An agent records a result by
hand (``POST .../manual``), or has the centre ring their own phone (the one they are signed in with,
else the one in their profile) and then the citizen (``POST .../call``). Refusals of the
revisit layer keep their ``error_id`` and status (404, 409, 422).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Principal, Role
from agent_desktop.errors import DesktopError
from hotline.db.agents import get_agent
from hotline.dialing import DialError
from privacy.reads import audit_read
from tickets.errors import TicketError
from tickets.loop import OrderLoop
from tickets.revisit import RevisitService, WorkItem
from tickets.revisit_dialer import RevisitDialer
from tickets.revisit_rules import TargetState
from tickets.revisit_schemas import (
    AttemptPublic,
    ManualRevisit,
    RevisitCall,
    RevisitDetailPublic,
    RevisitItemPublic,
    RevisitPolicyPublic,
)
from tickets.schemas import NUMBER_PATTERN

__all__ = ["revisit_service", "router"]

router = APIRouter(prefix="/api/revisits", dependencies=[Depends(_principal)], tags=["revisits"])
NumberPath = Annotated[str, Path(pattern=NUMBER_PATTERN, max_length=36)]
P = ParamSpec("P")
T = TypeVar("T")


def revisit_service(request: Request) -> RevisitService:
    """``app.state.revisits``; when unset, a service on the desktop's sessions is made and kept."""
    service: RevisitService | None = getattr(request.app.state, "revisits", None)
    if service is None:
        sessions = _context(request).sessions
        service = RevisitService(sessions=sessions, loop=OrderLoop(sessions))
        request.app.state.revisits = service
    return service


def _revisitor(me: Me) -> Principal:
    if not me.may(Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        raise DesktopError("forbidden", "your role may not do this", status_code=403)
    return me


Revisits = Annotated[RevisitService, Depends(revisit_service)]
Revisitor = Annotated[Principal, Depends(_revisitor)]


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] | None = getattr(request.app.state, "revisit_clock", None)
    return clock() if clock is not None else datetime.now(UTC)


async def _run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
    except TicketError as exc:
        raise DesktopError(exc.error_id, str(exc), status_code=exc.status_code, details=exc.details) from exc


def _public(service: RevisitService, items: list[WorkItem]) -> list[RevisitItemPublic]:
    return [RevisitItemPublic.of(i, max_attempts=service.policy.max_attempts) for i in items]


async def _detail(request: Request, service: RevisitService, number: str) -> RevisitDetailPublic:
    items = await _run(service.work_list, _now(request), number=number)
    attempts = await _run(service.history, number)
    if not items and not attempts:
        raise DesktopError(
            "revisit_not_found", f"order {number} has no citizen to revisit", status_code=404, details={}
        )
    return RevisitDetailPublic(
        number=number, citizens=_public(service, items), attempts=[AttemptPublic.of(a) for a in attempts]
    )


async def _phone_of(request: Request, user_id: str) -> str:
    """The phone the user is signed in with at the ACD, else the one configured in their profile."""
    ctx = _context(request)
    signed_in = ctx.acd.engine.store.get_agent(user_id)
    if signed_in is not None and signed_in.contact:
        return signed_in.contact
    profile = await asyncio.to_thread(get_agent, ctx.sessions, agent_id=user_id)
    return profile.contact if profile is not None else ""


@router.get("", response_model=list[RevisitItemPublic])
async def revisit_list(
    request: Request,
    me: Revisitor,
    service: Revisits,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[RevisitItemPublic]:
    """The work list: citizens of replied orders (and of orders merged into them) to revisit."""
    items = await _run(service.work_list, _now(request), limit=limit)
    await audit_read(
        request, me, "revisits.list", object_id=None, objects=(i.target.order_number for i in items)
    )
    return _public(service, items)


@router.get("/policy", response_model=RevisitPolicyPublic)
async def revisit_policy(_: Revisitor, service: Revisits) -> RevisitPolicyPublic:
    """When and how often the centre calls citizens back by itself."""
    return RevisitPolicyPublic.of(service.policy)


@router.get("/{number}", response_model=RevisitDetailPublic)
async def revisit_detail(
    request: Request, number: NumberPath, me: Revisitor, service: Revisits
) -> RevisitDetailPublic:
    """An order's citizens to revisit with every attempt made (phone and by hand)."""
    detail = await _detail(request, service, number)
    await audit_read(
        request, me, "revisits.read", object_id=number, objects=(c.citizen_order for c in detail.citizens)
    )
    return detail


@router.post("/{number}/manual", response_model=RevisitDetailPublic)
async def revisit_by_hand(
    request: Request, number: NumberPath, body: ManualRevisit, me: Revisitor, service: Revisits
) -> RevisitDetailPublic:
    """Record an agent's revisit: not reached (counts as an attempt), or reached with the answers."""
    await _run(
        service.manual,
        number,
        body.citizen_order,
        reached=body.reached,
        solved=body.solved,
        satisfaction=body.satisfaction,
        note=body.note,
        actor=me.user_id,
        now=_now(request),
    )
    return await _detail(request, service, number)


@router.post("/{number}/call", status_code=202)
async def revisit_call(
    request: Request, number: NumberPath, body: RevisitCall, me: Revisitor, service: Revisits
) -> dict[str, str]:
    """Ring the agent's own phone, then the citizen (the agent records the result by hand)."""
    dialer: RevisitDialer | None = getattr(request.app.state, "revisit_dialer", None)
    if dialer is None:
        raise DesktopError("telephony_unavailable", "the centre cannot place calls now", status_code=503)
    items = await _run(service.work_list, _now(request), number=number)
    item = next((i for i in items if i.target.order_number == body.citizen_order), None)
    if item is None or item.plan.state is not TargetState.PENDING:
        raise DesktopError(
            "revisit_not_callable",
            "this citizen is not waiting for a revisit",
            status_code=409,
            details={"citizen_order": body.citizen_order},
        )
    contact = await _phone_of(request, me.user_id)
    if not contact:
        raise DesktopError(
            "no_phone", "you have no phone: sign in on the agent page or configure one", status_code=409
        )
    try:
        leg = await dialer.ring_agent_first(
            contact=contact, agent_id=me.user_id, number=item.target.caller_number, order_number=number
        )
    except DialError as exc:
        raise DesktopError("number_not_dialable", str(exc), status_code=409) from exc
    return {"leg": leg, "citizen_order": body.citizen_order}
