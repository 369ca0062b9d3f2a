"""HTTP routes: ``/api/work-orders`` (intake, reading, dispatch, suggestion) and ``/api/knowledge``.

Authentication is the desktop's bearer token. Agents create orders and read and dispatch the ones
they created; supervisors and admins read and dispatch all; only admins add knowledge articles.
Another agent's order answers 404, as an unknown number does, so numbers cannot be probed.
Refusals of the work-order layer become ``DesktopError`` with the same ``error_id``, ``details``
and the status of the error class (404, 409, 422).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Principal, Role
from agent_desktop.errors import DesktopError
from tickets.errors import TicketError
from tickets.rows import WorkOrderRow
from tickets.schemas import (
    NUMBER_PATTERN,
    ArticleCreate,
    ArticleHitPublic,
    ArticlePublic,
    DepartmentSuggestionPublic,
    WorkOrderCreate,
    WorkOrderDispatch,
    WorkOrderPublic,
    WorkOrderUpdate,
)
from tickets.service import TicketService
from tickets.vocab import Category, Status

__all__ = ["router", "ticket_service"]

router = APIRouter(prefix="/api", dependencies=[Depends(_principal)])
P = ParamSpec("P")
T = TypeVar("T")


def ticket_service(request: Request) -> TicketService:
    """``app.state.tickets``; when unset, a default service on the desktop's sessions is made and kept."""
    service: TicketService | None = getattr(request.app.state, "tickets", None)
    if service is None:
        service = TicketService(sessions=_context(request).sessions)
        request.app.state.tickets = service
    return service


Tickets = Annotated[TicketService, Depends(ticket_service)]
NumberPath = Annotated[str, Path(pattern=NUMBER_PATTERN, max_length=36)]
SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)


async def _run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
    except TicketError as exc:
        raise DesktopError(exc.error_id, str(exc), status_code=exc.status_code, details=exc.details) from exc


def _names(service: TicketService) -> dict[str, str]:
    return {code: d.name for code, d in service.catalogue.departments.items()}


def _visible(me: Principal, row: WorkOrderRow) -> WorkOrderRow:
    if me.may(*SUPERVISING) or row.created_by == me.user_id:
        return row
    raise DesktopError("work_order_not_found", f"no work order {row.number}", status_code=404)


async def _detail(service: TicketService, row: WorkOrderRow) -> WorkOrderPublic:
    history = await _run(service.history, row.number)
    return WorkOrderPublic.of(row, names=_names(service), history=history)


@router.post("/work-orders", status_code=201, response_model=WorkOrderPublic, tags=["work-orders"])
async def create_work_order(body: WorkOrderCreate, me: Me, service: Tickets) -> WorkOrderPublic:
    """Take in a request (from a call when ``call_id`` is given); complaints and reports need 五要素."""
    row = await _run(service.create, body.to_new(), created_by=me.user_id)
    return await _detail(service, row)


@router.get(
    "/work-orders/suggest-department",
    response_model=list[DepartmentSuggestionPublic],
    tags=["work-orders"],
)
async def suggest_department(
    service: Tickets,
    text: Annotated[str, Query(min_length=1, max_length=2000)],
    category: Category | None = None,
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
) -> list[DepartmentSuggestionPublic]:
    """Dispatch-catalogue entries whose keywords occur in ``text``, best first, with a score in (0, 1)."""
    found = service.suggest(text, category=category, limit=limit)
    return [DepartmentSuggestionPublic.of(s) for s in found]


@router.get("/work-orders", response_model=list[WorkOrderPublic], tags=["work-orders"])
async def list_work_orders(
    me: Me,
    service: Tickets,
    caller: Annotated[str | None, Query(min_length=1, max_length=32, pattern=r"^[0-9+\-]+$")] = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[WorkOrderPublic]:
    """Orders newest first, by caller number (the screen-pop's caller history) and status."""
    visible_to = None if me.may(*SUPERVISING) else me.user_id
    rows = await _run(service.find, caller_number=caller, status=status, visible_to=visible_to, limit=limit)
    names = _names(service)
    return [WorkOrderPublic.of(r, names=names) for r in rows]


@router.get("/work-orders/{number}", response_model=WorkOrderPublic, tags=["work-orders"])
async def get_work_order(number: NumberPath, me: Me, service: Tickets) -> WorkOrderPublic:
    """One order with its history."""
    row = _visible(me, await _run(service.get, number))
    return await _detail(service, row)


@router.patch("/work-orders/{number}", response_model=WorkOrderPublic, tags=["work-orders"])
async def amend_work_order(
    number: NumberPath, body: WorkOrderUpdate, me: Me, service: Tickets
) -> WorkOrderPublic:
    """Correct intake fields while the order has not been dispatched."""
    _visible(me, await _run(service.get, number))
    row = await _run(service.amend, number, body.to_amendment(), actor=me.user_id)
    return await _detail(service, row)


@router.post("/work-orders/{number}/dispatch", response_model=WorkOrderPublic, tags=["work-orders"])
async def dispatch_work_order(
    number: NumberPath, body: WorkOrderDispatch, me: Me, service: Tickets
) -> WorkOrderPublic:
    """Send the order to its 主办 and 协办 departments and start the clock (intake → dispatched)."""
    _visible(me, await _run(service.get, number))
    d = body.departments
    row = await _run(service.dispatch, number, main=d.main, assist=d.assist, actor=me.user_id)
    return await _detail(service, row)


@router.get("/knowledge", response_model=list[ArticleHitPublic], tags=["knowledge"])
async def search_knowledge(
    service: Tickets,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[ArticleHitPublic]:
    """Knowledge-base articles for a question, best first."""
    hits = await _run(service.search_knowledge, q, limit=limit)
    return [ArticleHitPublic.of(h) for h in hits]


@router.get("/knowledge/{article_id}", response_model=ArticlePublic, tags=["knowledge"])
async def get_article(
    article_id: Annotated[int, Path(ge=1, le=2**31 - 1)], service: Tickets
) -> ArticlePublic:
    """One article."""
    return ArticlePublic.of(await _run(service.article, article_id))


@router.post("/knowledge", status_code=201, response_model=ArticlePublic, tags=["knowledge"])
async def add_article(body: ArticleCreate, me: Me, service: Tickets) -> ArticlePublic:
    """Add an article (admins only)."""
    if not me.may(Role.ADMIN):
        raise DesktopError("forbidden", "your role may not do this", status_code=403)
    row = await _run(
        service.add_article, title=body.title, body=body.body, tags=body.tags, created_by=me.user_id
    )
    return ArticlePublic.of(row)
