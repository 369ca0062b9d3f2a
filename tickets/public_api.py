"""Public citizen routes (``/api/public``), no account needed: submit a matter, check its progress.

- ``POST /api/public/orders`` takes in a matter (channel ``web``) and answers its order number; the
  citizen gets the order-received SMS (``tickets.notify``).
- ``POST /api/public/orders/progress`` answers the progress of an order for its number plus the last
  four digits of the phone it was reported with: state, handling department, reply due time and, once
  replied, the reply text; never a name, number, address or the matter's text. An unknown number and
  a wrong pair get the same 404, so a number cannot be probed.

Both are rate-limited per client address, progress also per order number (``tickets.public_throttle``);
a locked client gets 429 with ``Retry-After``. The body is POSTed so the digits stay out of URLs and
access logs. Hostile or malformed bodies get 422 ``invalid_request`` before any work is done.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from agent_desktop.errors import DesktopError
from privacy.reads import client_of
from tickets import receipts
from tickets.api import ticket_service
from tickets.department_names import handling_name
from tickets.errors import TicketError
from tickets.loop_store import main_of
from tickets.public_schemas import PublicLookupIn, PublicOrderCreated, PublicOrderIn, PublicProgress
from tickets.public_throttle import PublicThrottle
from tickets.repository import get_work_order
from tickets.rows import WorkOrderRow
from tickets.service import TicketService
from tickets.sms_api import notifier
from tickets.vocab import Event, Status

__all__ = ["pages", "router"]

router = APIRouter(prefix="/api/public", tags=["public"])
pages = APIRouter(include_in_schema=False)
PAGE = Path(__file__).resolve().parent.parent / "agent_desktop" / "static" / "citizen_order.html"
WEB_INTAKE = "web"
"""``created_by`` of orders submitted on the public page."""
REPLIED = frozenset({Status.REPLIED, Status.CALLBACK_DONE, Status.EVALUATED, Status.CLOSED})
P = ParamSpec("P")
T = TypeVar("T")


def _throttle(request: Request) -> PublicThrottle:
    found: PublicThrottle | None = getattr(request.app.state, "public_throttle", None)
    if found is None:
        store = getattr(request.app.state, "public_throttle_store", None)
        found = PublicThrottle() if store is None else PublicThrottle(store=store)
        request.app.state.public_throttle = found
    return found


def _locked(wait_s: float) -> DesktopError:
    seconds = max(1, math.ceil(wait_s))
    return DesktopError(
        "too_many_requests",
        "too many requests from this address; try again later",
        status_code=429,
        details={"retry_after_s": seconds},
        headers={"Retry-After": str(seconds)},
    )


def _not_found() -> DesktopError:
    return DesktopError(
        "order_not_found", "no order with this number and these phone digits", status_code=404
    )


async def _run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
    except TicketError as exc:
        raise DesktopError(exc.error_id, str(exc), status_code=exc.status_code, details=exc.details) from exc


def _received(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@router.post("/orders", status_code=201, response_model=PublicOrderCreated)
async def submit_order(request: Request, response: Response, body: PublicOrderIn) -> PublicOrderCreated:
    """Take in a citizen's matter from the web; its order number (SMS receipt to the phone).

    With ``request_key``, a submit tried again with the same key and phone number (its answer was lost)
    answers the order taken in the first time, with status 200 instead of 201, and takes in nothing.
    """
    wait = await _throttle(request).submit(client_of(request))
    if wait > 0:
        raise _locked(wait)
    service = ticket_service(request)
    now = datetime.now(UTC)
    new = body.to_new(received=_received(now))
    intake = await _run(
        service.create_once, new, created_by=WEB_INTAKE, request_key=body.scoped_key(), now=now, receipt=True
    )
    row = intake.row
    if intake.created:
        await asyncio.to_thread(receipts.send, service.sessions, notifier(request), row)
    else:
        response.status_code = 200
    return PublicOrderCreated(
        number=row.number, status=row.status.value, status_label=row.status.label, created_at=row.created_at
    )


def _matches(row: WorkOrderRow, last4: str) -> bool:
    digits = "".join(c for c in row.caller.number if c.isdigit())
    return len(digits) >= 4 and digits[-4:] == last4


def _reply_text(service: TicketService, row: WorkOrderRow) -> str:
    if row.status not in REPLIED:
        return ""
    replies = [h for h in service.history(row.number) if h.event == Event.REPLY.value]
    text = replies[-1].detail.get("text") if replies else None
    return text if isinstance(text, str) else ""


def _progress(service: TicketService, row: WorkOrderRow) -> PublicProgress:
    """The order's progress; a merged order's is its main order's (the matter is handled there)."""
    main = main_of(service.sessions, number=row.number) if row.status is Status.MERGED else None
    handled = main or row
    return PublicProgress(
        number=row.number,
        status=handled.status.value,
        status_label=handled.status.label,
        category_label=row.category.label,
        created_at=row.created_at,
        department=handling_name(service.sessions, handled, service.catalogue),
        reply_due=handled.reply_due,
        replied=handled.status in REPLIED,
        reply=_reply_text(service, handled),
        merged_into=None if main is None else main.number,
    )


@router.post("/orders/progress", response_model=PublicProgress)
async def order_progress(request: Request, body: PublicLookupIn) -> PublicProgress:
    """The progress of the order ``number`` for the phone ending in ``phone_last4``."""
    throttle, address = _throttle(request), client_of(request)
    wait = await throttle.lookup(address, body.number)
    if wait > 0:
        raise _locked(wait)
    service = ticket_service(request)
    row = await asyncio.to_thread(get_work_order, service.sessions, number=body.number)
    if row is None or not _matches(row, body.phone_last4):
        raise _not_found()
    await throttle.found(address, body.number)
    return await asyncio.to_thread(_progress, service, row)


@pages.get("/citizen/order")
async def citizen_order_page() -> FileResponse:
    """The public page: submit a matter, check an order's progress."""
    return FileResponse(PAGE)
