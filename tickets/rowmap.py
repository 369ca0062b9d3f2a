"""Turning ORM objects into the immutable rows of ``tickets.rows`` (children loaded in one query each)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from tickets.models import WorkOrder, WorkOrderDepartment, WorkOrderHistory, WorkOrderLink
from tickets.rows import Caller, DepartmentAssignment, FiveElements, HistoryRow, NewWorkOrder, WorkOrderRow
from tickets.vocab import (
    Category,
    Channel,
    ContactPreference,
    DepartmentRole,
    SpecialGroup,
    Status,
    Urgency,
)


def _departments(s: Session, ids: list[int]) -> dict[int, list[DepartmentAssignment]]:
    out: dict[int, list[DepartmentAssignment]] = defaultdict(list)
    query = (
        select(WorkOrderDepartment)
        .where(WorkOrderDepartment.order_id.in_(ids))
        .order_by(
            WorkOrderDepartment.order_id, WorkOrderDepartment.role.desc(), WorkOrderDepartment.department
        )
    )
    for d in s.scalars(query):
        out[d.order_id].append(
            DepartmentAssignment(
                department=d.department, role=DepartmentRole(d.role), assigned_at=d.assigned_at
            )
        )
    return out


def _links(s: Session, ids: list[int]) -> dict[int, list[str]]:
    linked = aliased(WorkOrder)
    query = (
        select(WorkOrderLink.order_id, linked.number)
        .join(linked, linked.id == WorkOrderLink.linked_id)
        .where(WorkOrderLink.order_id.in_(ids))
        .order_by(WorkOrderLink.order_id, linked.number)
    )
    out: dict[int, list[str]] = defaultdict(list)
    for order_id, number in s.execute(query):
        out[order_id].append(number)
    return out


def work_order_rows(s: Session, orders: list[WorkOrder]) -> list[WorkOrderRow]:
    """Rows for ``orders`` in the same order, with departments and links."""
    ids = [o.id for o in orders]
    departments, links = (_departments(s, ids), _links(s, ids)) if ids else ({}, {})
    return [_row(o, tuple(departments.get(o.id, ())), tuple(links.get(o.id, ()))) for o in orders]


def _row(o: WorkOrder, departments: tuple[DepartmentAssignment, ...], links: tuple[str, ...]) -> WorkOrderRow:
    return WorkOrderRow(
        id=o.id,
        number=o.number,
        call_id=o.call_id,
        caller=Caller(
            name=o.caller_name,
            number=o.caller_number,
            contact_preference=ContactPreference(o.contact_preference),
            special_group=SpecialGroup(o.special_group),
            confidential=o.confidential,
        ),
        channel=Channel(o.channel),
        category=Category(o.category),
        matter=o.matter,
        matter_code=o.matter_code,
        content=o.content,
        elements=FiveElements(
            who=o.element_who,
            when=o.element_when,
            where=o.element_where,
            what=o.element_what,
            how=o.element_how,
        ),
        address=o.address,
        urgency=Urgency(o.urgency),
        status=Status(o.status),
        answered_directly=o.answered_directly,
        answer_article_id=o.answer_article_id,
        departments=departments,
        linked_numbers=links,
        sign_due=o.sign_due,
        handle_due=o.handle_due,
        reply_due=o.reply_due,
        created_by=o.created_by,
        created_at=o.created_at,
        updated_at=o.updated_at,
        dispatched_at=o.dispatched_at,
        closed_at=o.closed_at,
    )


def history_row(h: WorkOrderHistory) -> HistoryRow:
    """The immutable form of one history entry."""
    return HistoryRow(
        id=h.id,
        at=h.at,
        event=h.event,
        from_status=None if h.from_status is None else Status(h.from_status),
        to_status=Status(h.to_status),
        actor=h.actor,
        detail=dict(h.detail),
    )


def as_new(row: WorkOrderRow) -> NewWorkOrder:
    """The intake part of a stored order, for re-validating it after a change."""
    return NewWorkOrder(
        caller=row.caller,
        channel=row.channel,
        category=row.category,
        matter=row.matter,
        content=row.content,
        elements=row.elements,
    )
