"""Reading and acknowledging 督办 records (``supervision_orders``) and deadline marks.

The centre (supervisors, admins) lists every record; a department sees the records addressed to it
or escalated to it (``supervision_for``, called by the department portal with the codes of the
department and its subtree). Acknowledging is the one change a record gets, and only once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from tickets.errors import IllegalTransitionError, TicketNotFoundError
from tickets.models import WorkOrder
from tickets.supervision_models import DeadlineMark, SupervisionOrder

REASON_LABELS = {
    "sign_overdue": "签收超时",
    "handle_overdue": "办理超时",
    "reply_overdue": "答复超时",
    "repeat": "重复诉求",
    "unresolved": "长期未办结",
    "dissatisfied": "多次不满意",
}
LEVEL_LABELS = {"department": "督办", "escalated": "升级督办", "leadership": "领导督办"}


@dataclass(frozen=True, slots=True)
class SupervisionRow:
    """One 督办 record with its order's number."""

    id: int
    order_number: str
    reason: str
    level: str
    rule: str
    department: str | None
    escalate_to: str | None
    target_unknown: bool
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    detail: dict[str, Any]

    @property
    def reason_label(self) -> str:
        """The reason in Chinese."""
        return REASON_LABELS.get(self.reason, self.reason)

    @property
    def level_label(self) -> str:
        """The level in Chinese."""
        return LEVEL_LABELS.get(self.level, self.level)


@dataclass(frozen=True, slots=True)
class MarkRow:
    """A limit of an open order that is due soon or overdue."""

    order_number: str
    kind: str
    state: str
    due_at: datetime
    since: datetime


_Query = Select[SupervisionOrder, str]


def _query() -> _Query:
    return select(SupervisionOrder, WorkOrder.number).join(
        WorkOrder, WorkOrder.id == SupervisionOrder.order_id
    )


def _row(record: SupervisionOrder, number: str) -> SupervisionRow:
    return SupervisionRow(
        id=record.id,
        order_number=number,
        reason=record.reason,
        level=record.level,
        rule=record.rule,
        department=record.department,
        escalate_to=record.escalate_to,
        target_unknown=record.target_unknown,
        raised_at=record.raised_at,
        acknowledged_at=record.acknowledged_at,
        acknowledged_by=record.acknowledged_by,
        detail=dict(record.detail),
    )


def _page(query: _Query, *, open_only: bool, before_id: int | None, limit: int) -> _Query:
    if open_only:
        query = query.where(SupervisionOrder.acknowledged_at.is_(None))
    if before_id is not None:
        query = query.where(SupervisionOrder.id < before_id)
    return query.order_by(SupervisionOrder.id.desc()).limit(limit)


def list_supervision(
    sm: sessionmaker[Session],
    *,
    order_number: str | None = None,
    reason: str | None = None,
    open_only: bool = False,
    before_id: int | None = None,
    limit: int = 50,
) -> list[SupervisionRow]:
    """Records newest first (the centre's view)."""
    query = _query()
    if order_number is not None:
        query = query.where(WorkOrder.number == order_number)
    if reason is not None:
        query = query.where(SupervisionOrder.reason == reason)
    with sm() as session:
        rows = session.execute(_page(query, open_only=open_only, before_id=before_id, limit=limit))
        return [_row(r, n) for r, n in rows]


def supervision_for(
    session: Session,
    department_codes: Collection[str],
    *,
    open_only: bool = False,
    before_id: int | None = None,
    limit: int = 50,
) -> list[SupervisionRow]:
    """The records addressed to, or escalated to, any of ``department_codes``, newest first."""
    codes = list(department_codes)
    if not codes:
        return []
    query = _query().where(
        or_(SupervisionOrder.department.in_(codes), SupervisionOrder.escalate_to.in_(codes))
    )
    rows = session.execute(_page(query, open_only=open_only, before_id=before_id, limit=limit))
    return [_row(r, n) for r, n in rows]


def get_supervision(sm: sessionmaker[Session], record_id: int) -> SupervisionRow:
    """One record; ``TicketNotFoundError`` if there is none."""
    with sm() as session:
        found = session.execute(_query().where(SupervisionOrder.id == record_id)).first()
    if found is None:
        raise TicketNotFoundError("supervision_not_found", f"no supervision record {record_id}", id=record_id)
    return _row(*found)


def acknowledge(
    sm: sessionmaker[Session], record_id: int, *, actor: str, now: datetime | None = None
) -> SupervisionRow:
    """Mark a record acknowledged by ``actor``; ``supervision_already_acknowledged`` (409) the
    second time."""
    at = now if now is not None else datetime.now(UTC)
    with writing(sm) as session:
        changed = session.execute(
            update(SupervisionOrder)
            .where(SupervisionOrder.id == record_id, SupervisionOrder.acknowledged_at.is_(None))
            .values(acknowledged_at=at, acknowledged_by=actor)
            .execution_options(synchronize_session=False)
        )
        done = bool(getattr(changed, "rowcount", 0))
    row = get_supervision(sm, record_id)
    if not done:
        raise IllegalTransitionError(
            "supervision_already_acknowledged",
            f"supervision record {record_id} was acknowledged already",
            id=record_id,
            acknowledged_by=row.acknowledged_by,
        )
    return row


def marks_of(sm: sessionmaker[Session], *, state: str | None = None, limit: int = 100) -> list[MarkRow]:
    """Due-soon and overdue limits as of the last pass, soonest due first."""
    query = select(DeadlineMark, WorkOrder.number).join(WorkOrder, WorkOrder.id == DeadlineMark.order_id)
    if state is not None:
        query = query.where(DeadlineMark.state == state)
    with sm() as session:
        rows = session.execute(query.order_by(DeadlineMark.due_at).limit(limit))
        return [MarkRow(n, m.kind, m.state, m.due_at, m.since) for m, n in rows]
