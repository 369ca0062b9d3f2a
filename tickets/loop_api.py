"""The centre's order-loop routes under ``/api/work-orders/{number}/...`` (issue 11).

Agents, supervisors and admins redispatch (改派), revisit by hand (回访 + 评价), close (办结), merge
(并单) and read an order's history, extensions, merged orders and likely duplicates; only supervisors
and admins decide extensions and reopen (重办). Any other role (a department user) gets 403: the
departments have their own routes. Agents act only on orders they may see (``tickets.access``;
others answer 404 as unknown numbers do). Refusals of the loop keep their ``error_id`` and status.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field, StringConstraints

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Principal, Role
from agent_desktop.errors import DesktopError
from hotline.body_limit import body_limit
from privacy.reads import audit_read
from tickets.access import OrderScope, scope_for
from tickets.api import (
    Duplicates,
    NumberPath,
    Tickets,
    _detail,
    _reachable,
    _run,
    _shown,
    centre_only,
    suggestions,
)
from tickets.duplicates import Probe
from tickets.loop import OrderLoop
from tickets.loop_schemas import (
    CloseIn,
    DecisionIn,
    DuplicatePublic,
    ExtensionPublic,
    MergeIn,
    RedispatchIn,
    ReopenIn,
    RevisitIn,
    RevisitTargetPublic,
)
from tickets.loop_store import revisit_target
from tickets.schemas import HistoryPublic, PhoneNumber, WorkOrderPublic, _In
from tickets.service import TicketService
from tickets.vocab import Category

__all__ = ["order_loop", "router"]

router = APIRouter(
    prefix="/api/work-orders", dependencies=[Depends(_principal), Depends(centre_only)], tags=["order-loop"]
)
DECIDING = (Role.SUPERVISOR, Role.ADMIN)
ExtensionPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
PREVIEW_BODY_LIMIT = 32 * 1024
"""A preview carries a form's caller number, address and text (at most 4,000 characters)."""


class DuplicatePreviewIn(_In):
    """The order form as typed so far: what the 并单 preview compares."""

    caller_number: PhoneNumber = ""
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    category: Category
    content: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] = ""
    days: int | None = Field(default=None, ge=1, le=365)
    limit: int = Field(default=10, ge=1, le=50)


def order_loop(request: Request) -> OrderLoop:
    """``app.state.order_loop``; made from the app's ticket service and kept when unset."""
    loop: OrderLoop | None = getattr(request.app.state, "order_loop", None)
    if loop is None:
        tickets: TicketService | None = getattr(request.app.state, "tickets", None)
        if tickets is None:
            tickets = TicketService(sessions=_context(request).sessions)
            request.app.state.tickets = tickets
        loop = OrderLoop(tickets.sessions, catalogue=tickets.catalogue, policy=tickets.policy)
        request.app.state.order_loop = loop
    return loop


Loop = Annotated[OrderLoop, Depends(order_loop)]


def _allow(me: Principal, roles: tuple[Role, ...]) -> None:
    if not me.may(*roles):
        raise DesktopError("forbidden", "your role may not do this", status_code=403)


async def _centre(request: Request, me: Me, service: Tickets, number: str) -> OrderScope:
    return await _reachable(request, me, service, number)


@router.post("/{number}/redispatch", response_model=WorkOrderPublic)
async def redispatch(
    request: Request, number: NumberPath, body: RedispatchIn, me: Me, service: Tickets, loop: Loop
) -> WorkOrderPublic:
    """改派 a returned (or not yet signed) order; its deadlines restart now."""
    scope = await _centre(request, me, service, number)
    d = body.departments
    row = await _run(loop.redispatch, number, main=d.main, assist=d.assist, actor=me.user_id)
    return await _detail(service, row, scope)


@router.get("/{number}/extensions", response_model=list[ExtensionPublic])
async def list_extensions(
    request: Request, number: NumberPath, me: Me, service: Tickets, loop: Loop
) -> list[ExtensionPublic]:
    """The order's 延期申请, oldest first."""
    await _centre(request, me, service, number)
    return [ExtensionPublic.of(x) for x in await _run(loop.extensions, number)]


async def _decide(
    request: Request, number: str, extension_id: int, body: DecisionIn, me: Principal, approve: bool
) -> ExtensionPublic:
    _allow(me, DECIDING)
    loop = order_loop(request)
    decided = await _run(
        loop.decide_extension, number, extension_id, approve=approve, note=body.note, actor=me.user_id
    )
    return ExtensionPublic.of(decided)


@router.post("/{number}/extensions/{extension_id}/approve", response_model=ExtensionPublic)
async def approve_extension(
    request: Request, number: NumberPath, extension_id: ExtensionPath, body: DecisionIn, me: Me
) -> ExtensionPublic:
    """Approve a 延期申请 (supervisors and admins): the handling deadline moves."""
    return await _decide(request, number, extension_id, body, me, approve=True)


@router.post("/{number}/extensions/{extension_id}/refuse", response_model=ExtensionPublic)
async def refuse_extension(
    request: Request, number: NumberPath, extension_id: ExtensionPath, body: DecisionIn, me: Me
) -> ExtensionPublic:
    """Refuse a 延期申请 (supervisors and admins)."""
    return await _decide(request, number, extension_id, body, me, approve=False)


@router.post("/{number}/revisit", response_model=WorkOrderPublic)
async def revisit(
    request: Request, number: NumberPath, body: RevisitIn, me: Me, service: Tickets, loop: Loop
) -> WorkOrderPublic:
    """A revisit done by hand: reached or not, solved, satisfaction (满意/基本满意/不满意)."""
    scope = await _centre(request, me, service, number)
    row = await _run(
        loop.record_revisit,
        number,
        reached=body.reached,
        solved=body.solved,
        satisfaction=body.satisfaction,
        via="manual",
        note=body.note,
        actor=me.user_id,
    )
    return await _detail(service, row, scope)


@router.post("/{number}/close", response_model=WorkOrderPublic)
async def close(
    request: Request, number: NumberPath, body: CloseIn, me: Me, service: Tickets, loop: Loop
) -> WorkOrderPublic:
    """办结 after the revisit."""
    scope = await _centre(request, me, service, number)
    row = await _run(loop.close, number, note=body.note, actor=me.user_id)
    return await _detail(service, row, scope)


@router.post("/{number}/reopen", response_model=WorkOrderPublic)
async def reopen(
    request: Request, number: NumberPath, body: ReopenIn, me: Me, service: Tickets, loop: Loop
) -> WorkOrderPublic:
    """重办 (supervisors and admins): back to the main department with fresh deadlines."""
    _allow(me, DECIDING)
    scope = await _reachable(request, me, service, number)
    row = await _run(loop.reopen, number, reason=body.reason, actor=me.user_id)
    return await _detail(service, row, scope)


@router.post("/{number}/merge", response_model=WorkOrderPublic)
async def merge(
    request: Request, number: NumberPath, body: MergeIn, me: Me, service: Tickets, loop: Loop
) -> WorkOrderPublic:
    """并单: the given orders become merged into this one (each must be visible to the reader)."""
    scope = await _centre(request, me, service, number)
    for other in dict.fromkeys(body.others):
        await _reachable(request, me, service, other)
    row = await _run(loop.merge, number, body.others, actor=me.user_id)
    return await _detail(service, row, scope)


@router.get("/{number}/history", response_model=list[HistoryPublic])
async def history(request: Request, number: NumberPath, me: Me, service: Tickets) -> list[HistoryPublic]:
    """The order's events, oldest first."""
    await _centre(request, me, service, number)
    await audit_read(request, me, "work_orders.history", object_id=number, objects=(number,))
    return [HistoryPublic.of(h) for h in await _run(service.history, number)]


@router.get("/{number}/merged", response_model=list[RevisitTargetPublic])
async def merged(
    request: Request, number: NumberPath, me: Me, service: Tickets, loop: Loop
) -> list[RevisitTargetPublic]:
    """The citizens to revisit for this order: its own caller, then those of the orders merged into it."""
    scope = await _centre(request, me, service, number)
    main = scope.shown(await _run(service.get, number))
    others = [scope.shown(m) for m in await _run(loop.merged, number) if scope.allows(m)]
    await audit_read(request, me, "work_orders.merged", object_id=number, objects=(o.number for o in others))
    targets = [revisit_target(main), *(revisit_target(m, merged_into=number) for m in others)]
    return [RevisitTargetPublic.of(t) for t in targets]


@router.get("/{number}/duplicates", response_model=list[DuplicatePublic])
async def duplicates(
    request: Request,
    number: NumberPath,
    me: Me,
    service: Tickets,
    finder: Duplicates,
    days: Annotated[int | None, Query(ge=1, le=365)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[DuplicatePublic]:
    """Likely duplicates of this order (并单 suggestions), best first, among the orders the reader may see."""
    scope = await _centre(request, me, service, number)
    found = await suggestions(finder, number, scope, days=days, limit=limit)
    await audit_read(
        request, me, "work_orders.duplicates", object_id=number, objects=(d.number for d in found)
    )
    return found


@router.post("/duplicates/preview", response_model=list[DuplicatePublic])
@body_limit(PREVIEW_BODY_LIMIT)
async def preview_duplicates(
    request: Request, body: DuplicatePreviewIn, me: Me, finder: Duplicates
) -> list[DuplicatePublic]:
    """Likely duplicates of an order still being typed (not saved), best first, among the orders the
    reader may see; nothing when neither a caller number, an address nor text is given."""
    if not (body.caller_number or body.address or body.content):
        return []
    probe = Probe(
        caller_number=body.caller_number,
        address=body.address,
        category=body.category.value,
        content=body.content,
        created_at=datetime.now(UTC),
    )
    scope = await scope_for(_context(request), me)
    found = await _run(finder.find_like, probe, window_days=body.days, limit=body.limit)
    shown = [DuplicatePublic.of(_shown(d, scope)) for d in found if scope.allows(d.order)]
    if shown:
        await audit_read(
            request, me, "work_orders.duplicates", object_id=None, objects=(d.number for d in shown)
        )
    return shown
