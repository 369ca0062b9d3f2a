"""Typed data access for work orders: each function takes a ``sessionmaker`` and runs one transaction.

Rules, in the style of ``hotline.db.repository``: arguments are keyword-only; a function returns
after its write committed, with immutable rows (``tickets.rows``); refusals raise ``tickets.errors``
types before anything is written.

- Numbers look like ``12345-20261123-000123``: prefix, the local calendar day of creation (Beijing
  time by default) and a per-day sequence taken from ``work_order_counters`` with one
  ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING`` in the creating transaction. Concurrent creators
  queue on the counter row (PostgreSQL row lock, SQLite ``BEGIN IMMEDIATE``), so no two orders get
  the same number and a rolled-back creation gives its number back.
- Status changes go through ``tickets.machine.next_status`` with the order row locked, and append a
  history row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from tickets import machine, receipts
from tickets.errors import IllegalTransitionError, TicketNotFoundError, TicketValidationError
from tickets.models import WorkOrder, WorkOrderCounter, WorkOrderHistory, WorkOrderLink
from tickets.order_steps import as_utc, assign, locked, log_event, transition
from tickets.rowmap import as_new, history_row, work_order_rows
from tickets.rows import Deadlines, FiveElements, HistoryRow, NewWorkOrder, WorkOrderRow
from tickets.vocab import (
    BEIJING,
    CATEGORIES_NEEDING_FIVE_ELEMENTS,
    FIVE_ELEMENTS,
    Event,
    Status,
    Urgency,
)

__all__ = [
    "BEIJING",
    "NUMBER_PREFIX",
    "add_work_order",
    "amend_work_order",
    "apply_event",
    "check_new_order",
    "create_work_order",
    "dispatch_work_order",
    "format_number",
    "get_work_order",
    "list_work_orders",
    "work_order_history",
]

Sessions = sessionmaker[Session]
NUMBER_PREFIX = "12345"
CREATED = "created"
AMENDED = "amended"


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def format_number(day_key: str, sequence: int, *, prefix: str = NUMBER_PREFIX) -> str:
    """``prefix-YYYYMMDD-NNNNNN``; the sequence widens past six digits rather than wrapping."""
    return f"{prefix}-{day_key}-{sequence:06d}"


def _next_sequence(s: Session, day_key: str) -> int:
    table = WorkOrderCounter.__table__.c
    stmt = (
        _insert(s)(WorkOrderCounter)
        .values(day=day_key, last=1)
        .on_conflict_do_update(index_elements=[table.day], set_={"last": table.last + 1})
        .returning(table.last)
    )
    sequence: int = s.execute(stmt).scalar_one()
    return sequence


def check_new_order(order: NewWorkOrder) -> None:
    """Refuse (``TicketValidationError``) an order that may not be stored: a complaint or report without
    五要素, an article id without a direct answer."""
    if order.category in CATEGORIES_NEEDING_FIVE_ELEMENTS:
        missing = order.elements.missing()
        if missing:
            raise TicketValidationError(
                "five_elements_missing",
                f"a {order.category.value} needs all five elements; missing: {', '.join(missing)}",
                missing=missing,
                category=order.category.value,
            )
    if order.answer_article_id is not None and not order.answered_directly:
        raise TicketValidationError(
            "invalid_value",
            "answer_article_id is only meaningful for a direct answer",
            field="answer_article_id",
        )


def _linked_ids(s: Session, numbers: tuple[str, ...]) -> dict[str, int]:
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    query = select(WorkOrder.number, WorkOrder.id).where(WorkOrder.number.in_(wanted))
    found = {number: order_id for number, order_id in s.execute(query)}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise TicketValidationError(
            "unknown_linked_order", "linked work orders do not exist", numbers=unknown
        )
    return found


def _new_order(order: NewWorkOrder, *, number: str, created_by: str, now: datetime) -> WorkOrder:
    c, e = order.caller, order.elements
    return WorkOrder(
        number=number,
        call_id=order.call_id,
        caller_name=c.name,
        caller_number=c.number,
        contact_preference=c.contact_preference.value,
        special_group=c.special_group.value,
        confidential=c.confidential,
        channel=order.channel.value,
        category=order.category.value,
        matter=order.matter,
        matter_code=order.matter_code,
        content=order.content,
        element_who=e.who,
        element_when=e.when,
        element_where=e.where,
        element_what=e.what,
        element_how=e.how,
        address=order.address,
        urgency=order.urgency.value,
        status=Status.INTAKE.value,
        answered_directly=False,
        answer_article_id=None,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )


def create_work_order(
    sm: Sessions,
    *,
    order: NewWorkOrder,
    created_by: str,
    now: datetime | None = None,
    zone: tzinfo = BEIJING,
    prefix: str = NUMBER_PREFIX,
    receipt: bool = False,
) -> WorkOrderRow:
    """Store a new order in ``intake`` (or ``closed`` when answered directly) under a fresh number;
    with ``receipt``, the citizen's receipt SMS is due (``tickets.receipts``)."""
    now = as_utc(now, "now")
    check_new_order(order)
    with writing(sm) as s:
        return add_work_order(
            s, order=order, created_by=created_by, now=now, zone=zone, prefix=prefix, receipt=receipt
        )


def add_work_order(
    s: Session,
    *,
    order: NewWorkOrder,
    created_by: str,
    now: datetime,
    zone: tzinfo = BEIJING,
    prefix: str = NUMBER_PREFIX,
    request_key: str | None = None,
    receipt: bool = False,
) -> WorkOrderRow:
    """``create_work_order``'s writes in ``s``, the caller's write transaction (``now`` aware UTC,
    ``order`` already checked); ``request_key`` is stored with the order (``tickets.request_keys``),
    ``receipt`` writes the pending receipt SMS in the same transaction (``tickets.receipts``)."""
    links = _linked_ids(s, order.linked_numbers)
    day_key = now.astimezone(zone).strftime("%Y%m%d")
    number = format_number(day_key, _next_sequence(s, day_key), prefix=prefix)
    wo = _new_order(order, number=number, created_by=created_by, now=now)
    wo.request_key = request_key
    s.add(wo)
    s.flush()
    for linked_id in links.values():
        s.add(WorkOrderLink(order_id=wo.id, linked_id=linked_id, kind="related", created_at=now))
    detail = {"call_id": order.call_id} if order.call_id else {}
    log_event(s, wo, event=CREATED, before=None, actor=created_by, at=now, detail=detail)
    if receipt:
        receipts.add_pending(s, wo.id, now)
    if order.answered_directly:
        transition(s, wo, Event.ANSWER_DIRECTLY, actor=created_by, at=now)
        wo.answered_directly = True
        wo.answer_article_id = order.answer_article_id
        wo.closed_at = now
    s.flush()
    return work_order_rows(s, [wo])[0]


def apply_event(
    sm: Sessions,
    *,
    number: str,
    event: Event,
    actor: str,
    now: datetime | None = None,
    detail: Mapping[str, object] | None = None,
) -> WorkOrderRow:
    """Apply one closed-loop ``event`` to order ``number``; ``IllegalTransitionError`` if not allowed."""
    now = as_utc(now, "now")
    with writing(sm) as s:
        wo = locked(s, number)
        transition(s, wo, event, actor=actor, at=now, detail=detail)
        if wo.status == Status.CLOSED.value:
            wo.closed_at = now
        s.flush()
        return work_order_rows(s, [wo])[0]


def dispatch_work_order(
    sm: Sessions,
    *,
    number: str,
    main: str,
    assist: list[str] | tuple[str, ...] = (),
    deadlines_for: Callable[[WorkOrderRow], Deadlines],
    actor: str,
    now: datetime | None = None,
) -> WorkOrderRow:
    """Send order ``number`` to ``main`` (主办) and ``assist`` (协办) departments and set its deadlines.

    ``intake`` orders take the ``dispatch`` event, ``returned`` ones ``redispatch``; the departments
    replace any earlier assignment. ``deadlines_for`` sees the order as it was before dispatch.
    """
    now = as_utc(now, "now")
    helpers = list(dict.fromkeys(a for a in assist if a != main))
    with writing(sm) as s:
        wo = locked(s, number)
        event = Event.REDISPATCH if wo.status == Status.RETURNED.value else Event.DISPATCH
        machine.next_status(Status(wo.status), event)
        due = deadlines_for(work_order_rows(s, [wo])[0])
        assign(s, wo, main, helpers, now)
        wo.sign_due, wo.handle_due, wo.reply_due = due.sign_due, due.handle_due, due.reply_due
        wo.dispatched_at = now
        detail = {"main": main, "assist": helpers, "reply_due": due.reply_due.isoformat()}
        transition(s, wo, event, actor=actor, at=now, detail=detail)
        s.flush()
        return work_order_rows(s, [wo])[0]


def get_work_order(sm: Sessions, *, number: str) -> WorkOrderRow | None:
    """The order ``number``, or ``None``."""
    with sm() as s:
        wo = s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one_or_none()
        return None if wo is None else work_order_rows(s, [wo])[0]


def list_work_orders(
    sm: Sessions,
    *,
    caller_number: str | None = None,
    status: Status | None = None,
    created_by: str | None = None,
    visible_to: str | None = None,
    callers: Collection[str] = (),
    limit: int = 50,
) -> list[WorkOrderRow]:
    """Orders newest first, filtered by exact caller number, status and creator.

    ``visible_to`` keeps only orders that user created and the non-confidential orders of ``callers``
    (the rule of ``tickets.access.OrderScope``).
    """
    query = select(WorkOrder).order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(max(0, limit))
    if caller_number is not None:
        query = query.where(WorkOrder.caller_number == caller_number)
    if status is not None:
        query = query.where(WorkOrder.status == status.value)
    if created_by is not None:
        query = query.where(WorkOrder.created_by == created_by)
    if visible_to is not None:
        others = and_(WorkOrder.confidential.is_(False), WorkOrder.caller_number.in_(sorted(set(callers))))
        query = query.where(or_(WorkOrder.created_by == visible_to, others))
    with sm() as s:
        return work_order_rows(s, list(s.scalars(query)))


def work_order_history(sm: Sessions, *, number: str) -> list[HistoryRow]:
    """The events of order ``number`` in the order they happened."""
    with sm() as s:
        order_id = s.scalars(select(WorkOrder.id).where(WorkOrder.number == number)).one_or_none()
        if order_id is None:
            raise TicketNotFoundError("work_order_not_found", f"no work order {number}", number=number)
        query = (
            select(WorkOrderHistory)
            .where(WorkOrderHistory.order_id == order_id)
            .order_by(WorkOrderHistory.at, WorkOrderHistory.id)
        )
        return [history_row(h) for h in s.scalars(query)]


def amend_work_order(
    sm: Sessions,
    *,
    number: str,
    actor: str,
    now: datetime | None = None,
    matter: str | None = None,
    matter_code: str | None = None,
    content: str | None = None,
    address: str | None = None,
    urgency: Urgency | None = None,
    elements: FiveElements | None = None,
) -> WorkOrderRow:
    """Change the given intake fields (``None`` = unchanged) of an order still at ``intake``.

    Recorded as an ``amended`` history event naming the fields; a complaint or report must still
    have all five elements afterwards. ``IllegalTransitionError`` (``not_amendable``) past intake.
    """
    now = as_utc(now, "now")
    given: dict[str, object] = {"matter": matter, "matter_code": matter_code, "content": content}
    given |= {"address": address, "urgency": None if urgency is None else urgency.value}
    if elements is not None:
        given |= {f"element_{n}": getattr(elements, n) for n in FIVE_ELEMENTS}
    changes = {k: v for k, v in given.items() if v is not None}
    with writing(sm) as s:
        wo = locked(s, number)
        if wo.status != Status.INTAKE.value:
            raise IllegalTransitionError(
                "not_amendable", f"work order {number} is past intake", number=number, status=wo.status
            )
        for name, value in changes.items():
            setattr(wo, name, value)
        row = work_order_rows(s, [wo])[0]
        check_new_order(as_new(row))
        wo.updated_at = now
        log_event(
            s,
            wo,
            event=AMENDED,
            before=Status.INTAKE,
            actor=actor,
            at=now,
            detail={"fields": sorted(changes)},
        )
        s.flush()
        return work_order_rows(s, [wo])[0]
