"""Transactions of the order loop: one locked order, one checked event, its history entry, one commit.

Rules, as in ``tickets.repository``: keyword-only arguments; the order row is locked first; the event
is checked with ``tickets.machine`` before anything is written; a refusal raises a ``tickets.errors``
type and leaves the database as it was. ``step`` runs the ordinary steps: an optional ``prepare``
sees the locked order, may refuse or change it, and returns the detail of the history entry.
Extensions and merges need more than one row and have functions of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from tickets import machine
from tickets.errors import IllegalTransitionError, TicketNotFoundError, TicketValidationError
from tickets.loop_models import WorkOrderExtension
from tickets.models import WorkOrder, WorkOrderDepartment, WorkOrderHistory, WorkOrderLink
from tickets.order_steps import locked, transition
from tickets.rowmap import work_order_rows
from tickets.rows import ExtensionRow, RevisitTarget, WorkOrderRow
from tickets.vocab import DepartmentRole, Event, ExtensionStatus, Status

Sessions = sessionmaker[Session]
Prepare = Callable[[Session, WorkOrder], Mapping[str, object]]
MERGED_LINK = "merged"


def step(
    sm: Sessions,
    *,
    number: str,
    event: Event | Callable[[Status], Event],
    actor: str,
    now: datetime,
    prepare: Prepare | None = None,
) -> WorkOrderRow:
    """Apply ``event`` (or the event it picks for the locked order's status) to order ``number``;
    ``prepare`` checks and changes the locked order first."""
    with writing(sm) as s:
        wo = locked(s, number)
        if not isinstance(event, Event):
            event = event(Status(wo.status))
        machine.next_status(Status(wo.status), event)
        detail = prepare(s, wo) if prepare is not None else {}
        transition(s, wo, event, actor=actor, at=now, detail=detail)
        if wo.status == Status.CLOSED.value:
            wo.closed_at = now
        s.flush()
        return work_order_rows(s, [wo])[0]


def main_department(s: Session, wo: WorkOrder) -> str | None:
    """The order's current 主办 department, if it was ever dispatched."""
    query = select(WorkOrderDepartment.department).where(
        WorkOrderDepartment.order_id == wo.id, WorkOrderDepartment.role == DepartmentRole.MAIN.value
    )
    return s.scalars(query).first()


def hand_down_to(s: Session, wo: WorkOrder, to_department: str, at: datetime) -> str | None:
    """Make ``to_department`` the 主办 in place of the current one (dropping it as 协办 if it was);
    returns the department it replaced."""
    before = main_department(s, wo)
    s.execute(
        delete(WorkOrderDepartment).where(
            WorkOrderDepartment.order_id == wo.id,
            (WorkOrderDepartment.role == DepartmentRole.MAIN.value)
            | (WorkOrderDepartment.department == to_department),
        )
    )
    s.add(
        WorkOrderDepartment(
            order_id=wo.id, department=to_department, role=DepartmentRole.MAIN.value, assigned_at=at
        )
    )
    return before


def count_events_since(s: Session, wo: WorkOrder, event: Event, *, since_event: Event) -> int:
    """How many ``event`` entries the order has after its latest ``since_event`` entry."""
    latest = select(func.max(WorkOrderHistory.id)).where(
        WorkOrderHistory.order_id == wo.id, WorkOrderHistory.event == since_event.value
    )
    query = select(func.count()).where(
        WorkOrderHistory.order_id == wo.id,
        WorkOrderHistory.event == event.value,
        WorkOrderHistory.id > func.coalesce(latest.scalar_subquery(), 0),
    )
    return int(s.scalar(query) or 0)


def merged_into(s: Session, wo: WorkOrder) -> WorkOrder | None:
    """The main order a merged order was merged into."""
    query = (
        select(WorkOrder)
        .join(WorkOrderLink, WorkOrderLink.linked_id == WorkOrder.id)
        .where(WorkOrderLink.order_id == wo.id, WorkOrderLink.kind == MERGED_LINK)
    )
    return s.scalars(query).first()


def _extension_row(x: WorkOrderExtension, number: str) -> ExtensionRow:
    return ExtensionRow(
        id=x.id,
        number=number,
        department=x.department,
        working_days=x.working_days,
        reason=x.reason,
        status=ExtensionStatus(x.status),
        requested_by=x.requested_by,
        requested_at=x.requested_at,
        decided_by=x.decided_by,
        decided_at=x.decided_at,
        note=x.note,
    )


def _approved_days(s: Session, wo: WorkOrder) -> int:
    query = select(func.coalesce(func.sum(WorkOrderExtension.working_days), 0)).where(
        WorkOrderExtension.order_id == wo.id, WorkOrderExtension.status == ExtensionStatus.APPROVED.value
    )
    return int(s.scalar(query) or 0)


def add_extension(
    sm: Sessions,
    *,
    number: str,
    department: str,
    working_days: int,
    reason: str,
    max_working_days: int,
    actor: str,
    now: datetime,
) -> ExtensionRow:
    """Record a 延期申请: one open request per order; approved and asked days within the maximum."""
    with writing(sm) as s:
        wo = locked(s, number)
        machine.next_status(Status(wo.status), Event.REQUEST_EXTENSION)
        is_open = WorkOrderExtension.status == ExtensionStatus.REQUESTED.value
        if s.scalars(
            select(WorkOrderExtension.id).where(WorkOrderExtension.order_id == wo.id, is_open)
        ).first():
            raise IllegalTransitionError(
                "extension_pending",
                f"work order {number} already has an open extension request",
                number=number,
            )
        left = max_working_days - _approved_days(s, wo)
        if working_days > left:
            raise TicketValidationError(
                "extension_too_long",
                f"at most {left} more working days may be granted for {number}",
                working_days=working_days,
                remaining=max(left, 0),
            )
        x = WorkOrderExtension(
            order_id=wo.id,
            department=department,
            working_days=working_days,
            reason=reason,
            status=ExtensionStatus.REQUESTED.value,
            requested_by=actor,
            requested_at=now,
            note="",
        )
        s.add(x)
        s.flush()
        detail = {"extension_id": x.id, "department": department, "working_days": working_days}
        transition(s, wo, Event.REQUEST_EXTENSION, actor=actor, at=now, detail=detail | {"reason": reason})
        return _extension_row(x, number)


ExtendDeadlines = Callable[[WorkOrder, int], Mapping[str, object]]


def settle_extension(
    sm: Sessions,
    *,
    number: str,
    extension_id: int,
    approve: bool,
    note: str,
    extend: ExtendDeadlines,
    actor: str,
    now: datetime,
) -> ExtensionRow:
    """Approve (``extend`` moves the order's deadlines) or refuse an open 延期申请."""
    with writing(sm) as s:
        wo = locked(s, number)
        x = s.get(WorkOrderExtension, extension_id, with_for_update=True)
        if x is None or x.order_id != wo.id:
            raise TicketNotFoundError(
                "extension_not_found", f"no extension {extension_id} for {number}", extension_id=extension_id
            )
        if x.status != ExtensionStatus.REQUESTED.value:
            raise IllegalTransitionError(
                "extension_decided", f"extension {extension_id} was already {x.status}", status=x.status
            )
        event = Event.APPROVE_EXTENSION if approve else Event.REFUSE_EXTENSION
        machine.next_status(Status(wo.status), event)
        detail: dict[str, object] = {"extension_id": x.id, "working_days": x.working_days, "note": note}
        if approve:
            detail |= extend(wo, x.working_days)
        x.status = (ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED).value
        x.decided_by, x.decided_at, x.note = actor, now, note
        transition(s, wo, event, actor=actor, at=now, detail=detail)
        s.flush()
        return _extension_row(x, number)


def extensions(sm: Sessions, *, number: str) -> list[ExtensionRow]:
    """The order's extension requests, oldest first."""
    with sm() as s:
        order_id = s.scalars(select(WorkOrder.id).where(WorkOrder.number == number)).one_or_none()
        if order_id is None:
            raise TicketNotFoundError("work_order_not_found", f"no work order {number}", number=number)
        query = (
            select(WorkOrderExtension)
            .where(WorkOrderExtension.order_id == order_id)
            .order_by(WorkOrderExtension.id)
        )
        return [_extension_row(x, number) for x in s.scalars(query)]


def _link_merged(s: Session, other: WorkOrder, main: WorkOrder, at: datetime) -> None:
    link = s.get(WorkOrderLink, (other.id, main.id))
    if link is None:
        s.add(WorkOrderLink(order_id=other.id, linked_id=main.id, kind=MERGED_LINK, created_at=at))
    else:
        link.kind = MERGED_LINK


def merge_orders(
    sm: Sessions, *, main: str, others: Sequence[str], actor: str, now: datetime
) -> WorkOrderRow:
    """Merge ``others`` into ``main`` (并单): each becomes ``merged`` and links to the main order,
    which records ``merge_in``. Orders are locked in number order, so concurrent merges queue."""
    with writing(sm) as s:
        rows = {n: locked(s, n) for n in sorted({main, *others})}
        target = rows[main]
        machine.next_status(Status(target.status), Event.MERGE_IN)
        for number in others:
            other = rows[number]
            transition(s, other, Event.MERGE, actor=actor, at=now, detail={"into": main})
            _link_merged(s, other, target, now)
        transition(s, target, Event.MERGE_IN, actor=actor, at=now, detail={"merged": list(others)})
        s.flush()
        return work_order_rows(s, [target])[0]


def merged_orders(sm: Sessions, *, number: str) -> list[WorkOrderRow]:
    """The orders merged into ``number``, oldest first."""
    with sm() as s:
        main = s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one_or_none()
        if main is None:
            raise TicketNotFoundError("work_order_not_found", f"no work order {number}", number=number)
        query = (
            select(WorkOrder)
            .join(WorkOrderLink, WorkOrderLink.order_id == WorkOrder.id)
            .where(WorkOrderLink.linked_id == main.id, WorkOrderLink.kind == MERGED_LINK)
            .order_by(WorkOrder.created_at, WorkOrder.id)
        )
        return work_order_rows(s, list(s.scalars(query)))


def main_of(sm: Sessions, *, number: str) -> WorkOrderRow | None:
    """The main order the order ``number`` was merged into (None: not merged, or unknown)."""
    with sm() as s:
        wo = s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one_or_none()
        main = None if wo is None else merged_into(s, wo)
        return None if main is None else work_order_rows(s, [main])[0]


def revisit_target(row: WorkOrderRow, merged_into: str | None = None) -> RevisitTarget:
    """Whom to call back for ``row``."""
    return RevisitTarget(number=row.number, status=row.status, caller=row.caller, merged_into=merged_into)


AFTER_REPLY = frozenset({Status.REPLIED, Status.CALLBACK_DONE, Status.EVALUATED, Status.CLOSED})


def _check_merged_revisit(s: Session, wo: WorkOrder) -> None:
    main = merged_into(s, wo)
    if main is None or Status(main.status) not in AFTER_REPLY:
        raise IllegalTransitionError(
            "main_not_replied",
            f"work order {wo.number} was merged into an order not replied to yet",
            number=wo.number,
            main=None if main is None else main.number,
        )


def revisit(
    sm: Sessions,
    *,
    number: str,
    events: Sequence[Event],
    detail: Mapping[str, object],
    close: bool,
    actor: str,
    now: datetime,
) -> WorkOrderRow:
    """Record a revisit as ``events`` (each with ``detail``), then ``close`` the order if asked and
    allowed. A merged order is revisited once its main order has been replied to; it never closes."""
    with writing(sm) as s:
        wo = locked(s, number)
        status = Status(wo.status)
        if status is Status.MERGED:
            _check_merged_revisit(s, wo)
        chain = [*events, Event.CLOSE] if close and status is not Status.MERGED else list(events)
        for event in chain:
            status = machine.next_status(status, event)
        attempt = {}
        if Event.CALL_BACK_FAILED in chain:
            count = count_events_since(s, wo, Event.CALL_BACK_FAILED, since_event=Event.REPLY)
            attempt = {"attempt": count + 1}
        for event in chain:
            transition(s, wo, event, actor=actor, at=now, detail=dict(detail) | attempt)
        if wo.status == Status.CLOSED.value:
            wo.closed_at = now
        s.flush()
        return work_order_rows(s, [wo])[0]
