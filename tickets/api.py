"""HTTP routes: ``/api/work-orders`` (intake, reading, dispatch, suggestion); the knowledge routes are
in ``tickets.knowledge_api``.

Authentication is the desktop's bearer token; the work-order routes are for the centre's roles (a
department user gets 403: the department portal has its own routes). Agents create orders and read
and dispatch the ones they may see (``tickets.access``: their own, and those of the caller of their
current or last-hour call); supervisors and admins read and dispatch all. An order out of reach
answers 404, as an unknown number does, so numbers cannot be probed; lists apply the same rule.
Every read is recorded in the read audit (``privacy.audit``).
Refusals of the work-order layer become ``DesktopError`` with the same ``error_id``, ``details``
and the status of the error class (404, 409, 422).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Principal, Role
from agent_desktop.errors import DesktopError
from privacy.reads import asked_for_caller, audit_read
from tickets import receipts
from tickets.access import OrderScope, scope_for, with_call_confidentiality
from tickets.duplicates import Duplicate, DuplicateFinder
from tickets.errors import TicketError
from tickets.loop_schemas import DuplicatePublic, WorkOrderCreated
from tickets.rows import WorkOrderRow
from tickets.schemas import (
    NUMBER_PATTERN,
    DepartmentSuggestionPublic,
    WorkOrderCreate,
    WorkOrderDispatch,
    WorkOrderPublic,
    WorkOrderUpdate,
)
from tickets.service import TicketService
from tickets.sms_api import notifier
from tickets.vocab import Category, Status

__all__ = ["router", "ticket_service"]

router = APIRouter(prefix="/api", dependencies=[Depends(_principal)])
NO_NUL = r"^[^\x00]*$"
P = ParamSpec("P")
T = TypeVar("T")


def ticket_service(request: Request) -> TicketService:
    """``app.state.tickets``; when unset, a default service on the desktop's sessions is made and kept."""
    service: TicketService | None = getattr(request.app.state, "tickets", None)
    if service is None:
        service = TicketService(sessions=_context(request).sessions)
        request.app.state.tickets = service
    return service


CENTRE_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


def centre_only(me: Me) -> Principal:
    """The signed-in user, if they work at the centre (agent, supervisor, admin); 403 for any other role
    (department users have their own routes)."""
    if not me.may(*CENTRE_ROLES):
        raise DesktopError("forbidden", "your role may not do this", status_code=403)
    return me


def duplicate_finder(request: Request) -> DuplicateFinder:
    """``app.state.duplicates``; a finder with the default window on the desktop's sessions when unset."""
    finder: DuplicateFinder | None = getattr(request.app.state, "duplicates", None)
    if finder is None:
        finder = DuplicateFinder(_context(request).sessions)
        request.app.state.duplicates = finder
    return finder


Tickets = Annotated[TicketService, Depends(ticket_service)]
Centre = [Depends(centre_only)]
Duplicates = Annotated[DuplicateFinder, Depends(duplicate_finder)]
NumberPath = Annotated[str, Path(pattern=NUMBER_PATTERN, max_length=36)]


async def _run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
    except TicketError as exc:
        raise DesktopError(exc.error_id, str(exc), status_code=exc.status_code, details=exc.details) from exc


def _names(service: TicketService) -> dict[str, str]:
    return {code: d.name for code, d in service.catalogue.departments.items()}


def _visible(scope: OrderScope, row: WorkOrderRow) -> WorkOrderRow:
    if scope.allows(row):
        return row
    raise DesktopError("work_order_not_found", f"no work order {row.number}", status_code=404)


async def _reachable(request: Request, me: Principal, service: TicketService, number: str) -> OrderScope:
    """The reader's scope, once order ``number`` is in it (404 otherwise)."""
    scope = await scope_for(_context(request), me)
    _visible(scope, await _run(service.get, number))
    return scope


def _shown(d: Duplicate, scope: OrderScope) -> Duplicate:
    return replace(d, order=scope.shown(d.order))


async def suggestions(
    finder: DuplicateFinder, number: str, scope: OrderScope, *, days: int | None = None, limit: int = 10
) -> list[DuplicatePublic]:
    """The likely duplicates of ``number`` (并单) that ``scope`` may see, as the reader sees them."""
    found = await _run(finder.find, number, window_days=days, limit=limit)
    return [DuplicatePublic.of(_shown(d, scope)) for d in found if scope.allows(d.order)]


async def _detail(service: TicketService, row: WorkOrderRow, scope: OrderScope) -> WorkOrderPublic:
    history = await _run(service.history, row.number)
    return WorkOrderPublic.of(scope.shown(row), names=_names(service), history=history)


@router.post(
    "/work-orders",
    status_code=201,
    response_model=WorkOrderCreated,
    tags=["work-orders"],
    dependencies=Centre,
)
async def create_work_order(
    request: Request, response: Response, body: WorkOrderCreate, me: Me, service: Tickets, finder: Duplicates
) -> WorkOrderCreated:
    """Take in a request (from a call when ``call_id`` is given); complaints and reports need 五要素.
    An order for a confidential call is confidential whatever the form says. The answer lists likely
    duplicates the reader may see (并单 suggestions).

    ``request_key`` makes the create safe to retry (``tickets.request_keys``): when this user already
    made an order with the key, the answer is that order, in the same form as a create's answer, with
    status 200 instead of 201 (nothing was created), and nothing is written again: no order, history,
    or citizen SMS. Its duplicate suggestions are listed as they are now and, being shown again, read
    audited again like any read.
    """
    ctx = _context(request)
    order = await with_call_confidentiality(ctx, body.to_new())
    intake = await _run(
        service.create_once, order, created_by=me.user_id, request_key=body.request_key, receipt=True
    )
    row = intake.row
    if intake.created:
        await asyncio.to_thread(receipts.send, service.sessions, notifier(request), row)
    else:
        response.status_code = 200
    scope = await scope_for(ctx, me)
    found = await suggestions(finder, row.number, scope)
    if found:
        await audit_read(
            request, me, "work_orders.duplicates", object_id=row.number, objects=(d.number for d in found)
        )
    detail = await _detail(service, row, scope)
    return WorkOrderCreated(**detail.model_dump(), duplicates=found)


@router.get(
    "/work-orders/suggest-department",
    response_model=list[DepartmentSuggestionPublic],
    tags=["work-orders"],
    dependencies=Centre,
)
async def suggest_department(
    service: Tickets,
    text: Annotated[str, Query(min_length=1, max_length=2000, pattern=NO_NUL)],
    category: Category | None = None,
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
) -> list[DepartmentSuggestionPublic]:
    """Dispatch-catalogue entries whose keywords occur in ``text``, best first, with a score in (0, 1)."""
    found = service.suggest(text, category=category, limit=limit)
    return [DepartmentSuggestionPublic.of(s) for s in found]


@router.get("/work-orders", response_model=list[WorkOrderPublic], tags=["work-orders"], dependencies=Centre)
async def list_work_orders(
    request: Request,
    me: Me,
    service: Tickets,
    caller: Annotated[str | None, Query(min_length=1, max_length=32, pattern=r"^[0-9+\-]+$")] = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[WorkOrderPublic]:
    """Orders the reader may see, newest first, by caller number (the screen-pop's caller history)
    and status."""
    scope = await scope_for(_context(request), me)
    rows = await _run(
        service.find,
        caller_number=caller,
        status=status,
        visible_to=scope.user_id,
        callers=scope.callers,
        limit=limit,
    )
    asked = asked_for_caller(caller)
    await audit_read(request, me, "work_orders.list", object_id=asked, objects=(r.number for r in rows))
    names = _names(service)
    return [WorkOrderPublic.of(scope.shown(r), names=names) for r in rows]


@router.get(
    "/work-orders/{number}", response_model=WorkOrderPublic, tags=["work-orders"], dependencies=Centre
)
async def get_work_order(request: Request, number: NumberPath, me: Me, service: Tickets) -> WorkOrderPublic:
    """One order with its history."""
    scope = await _reachable(request, me, service, number)
    await audit_read(request, me, "work_orders.read", object_id=number, objects=(number,))
    return await _detail(service, await _run(service.get, number), scope)


@router.patch(
    "/work-orders/{number}", response_model=WorkOrderPublic, tags=["work-orders"], dependencies=Centre
)
async def amend_work_order(
    request: Request, number: NumberPath, body: WorkOrderUpdate, me: Me, service: Tickets
) -> WorkOrderPublic:
    """Correct intake fields while the order has not been dispatched."""
    scope = await _reachable(request, me, service, number)
    row = await _run(service.amend, number, body.to_amendment(), actor=me.user_id)
    return await _detail(service, row, scope)


@router.post(
    "/work-orders/{number}/dispatch",
    response_model=WorkOrderPublic,
    tags=["work-orders"],
    dependencies=Centre,
)
async def dispatch_work_order(
    request: Request, number: NumberPath, body: WorkOrderDispatch, me: Me, service: Tickets
) -> WorkOrderPublic:
    """Send the order to its 主办 and 协办 departments and start the clock (intake → dispatched)."""
    scope = await _reachable(request, me, service, number)
    d = body.departments
    row = await _run(service.dispatch, number, main=d.main, assist=d.assist, actor=me.user_id)
    return await _detail(service, row, scope)
