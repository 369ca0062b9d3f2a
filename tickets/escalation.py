"""Escalation rules (``tickets/data/escalation.yaml``) as set-based INSERT … SELECT statements.

Each rule selects the orders it applies to in one query and raises one 督办 record per order and
reason (``supervision_orders``, unique on both; ``ON CONFLICT DO NOTHING`` makes a second pass a
no-op). The three rule kinds (Suzhou's defaults):

- ``repeat``: the same caller with the same matter code ``min_orders`` times within ``within_days``
  (the newest open order of the group is escalated), or an open order with ``min_orders - 1``
  linked or merged orders;
- ``unresolved``: dispatched and still not closed after ``working_days`` working days;
- ``dissatisfied``: evaluated ``dissatisfied`` (history event ``evaluate``) ``min_times`` times.

``escalate_parent`` addresses the parent of the order's main department in ``departments`` when
that table exists; otherwise, or when the department is not in it, the target is left empty and
``target_unknown`` is set.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Select,
    String,
    column,
    func,
    literal,
    literal_column,
    null,
    select,
    table,
    true,
    union,
    union_all,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from hotline.db.access import insert
from hotline.db.models import UtcDateTime
from tickets.errors import CatalogueError
from tickets.models import WorkOrder, WorkOrderDepartment, WorkOrderHistory, WorkOrderLink
from tickets.supervision_models import SupervisionOrder
from tickets.vocab import Event, Status

DEFAULT_ESCALATION_PATH = Path(__file__).resolve().parent / "data" / "escalation.yaml"
OPEN = (
    Status.DISPATCHED,
    Status.SIGNED,
    Status.HANDLING,
    Status.REPLIED,
    Status.CALLBACK_DONE,
    Status.EVALUATED,
    Status.RETURNED,
)
"""Dispatched and not yet closed or merged away."""
Targets = Select[Any]
"""A query whose one column, ``order_id``, lists the orders a rule applies to."""
DEPARTMENTS = table("departments", column("code", String), column("parent_code", String))


class Action(StrEnum):
    """Where an escalated matter goes."""

    ESCALATE_PARENT = "escalate_parent"
    LEADERSHIP = "leadership"
    DEPARTMENT = "department"


_LEVEL = {
    Action.ESCALATE_PARENT: "escalated",
    Action.LEADERSHIP: "leadership",
    Action.DEPARTMENT: "department",
}


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    action: Action


class RepeatRule(_Rule):
    """The same matter ``min_orders`` times."""

    min_orders: int = Field(default=3, ge=2, le=100)
    within_days: int = Field(default=365, ge=1, le=3650)
    action: Action = Action.ESCALATE_PARENT


class UnresolvedRule(_Rule):
    """Not closed ``working_days`` working days after dispatch."""

    working_days: int = Field(default=30, ge=1, le=366)
    action: Action = Action.ESCALATE_PARENT


class DissatisfiedRule(_Rule):
    """Evaluated dissatisfied ``min_times`` times."""

    min_times: int = Field(default=2, ge=1, le=20)
    action: Action = Action.LEADERSHIP


class Rules(BaseModel):
    """The three rules; each may be disabled."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    repeat: RepeatRule = RepeatRule()
    unresolved: UnresolvedRule = UnresolvedRule()
    dissatisfied: DissatisfiedRule = DissatisfiedRule()


class DeadlineWindow(BaseModel):
    """How early an order counts as due soon."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    due_soon_working_days: int = Field(default=1, ge=0, le=30)


class EscalationConfig(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str = Field(default="escalation_rules", pattern=r"^escalation_rules$")
    deadlines: DeadlineWindow = DeadlineWindow()
    rules: Rules = Rules()

    @classmethod
    def from_yaml(cls, path: Path | str) -> EscalationConfig:
        """Load a file such as ``tickets/data/escalation.yaml``."""
        try:
            raw: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
            return cls.model_validate(raw)
        except (yaml.YAMLError, ValidationError) as exc:
            raise CatalogueError("escalation_invalid", f"{path}: {exc}", source=str(path)) from exc


@functools.lru_cache(maxsize=1)
def default_config() -> EscalationConfig:
    """The shipped rules."""
    return EscalationConfig.from_yaml(DEFAULT_ESCALATION_PATH)


def _open(order_id: ColumnElement[int]) -> Targets:
    return select(WorkOrder.id.label("order_id")).where(WorkOrder.id == order_id, WorkOrder.status.in_(OPEN))


def repeat_targets(rule: RepeatRule, *, now: datetime) -> Targets:
    """Order ids the repeat rule applies to."""
    since = now - timedelta(days=rule.within_days)
    newest_open = func.max(WorkOrder.id).filter(WorkOrder.status.in_(OPEN))
    newest = (
        select(newest_open.label("order_id"))
        .where(
            WorkOrder.matter_code.is_not(None), WorkOrder.caller_number != "", WorkOrder.created_at >= since
        )
        .group_by(WorkOrder.caller_number, WorkOrder.matter_code)
        .having(func.count() >= rule.min_orders, newest_open.is_not(None))
    )
    ends = union_all(
        select(WorkOrderLink.order_id.label("oid")), select(WorkOrderLink.linked_id.label("oid"))
    ).subquery()
    counted = (
        select(ends.c.oid.label("order_id"))
        .group_by(ends.c.oid)
        .having(func.count() + 1 >= rule.min_orders)
        .subquery()
    )
    # Count the links first, then look the few orders up by key (a join before the grouping
    # hashed every order: 0.25 s at 500,000 orders for 2,500 linked ones).
    linked = select(counted.c.order_id).where(_open(counted.c.order_id).exists())
    return select(union(newest, linked).subquery().c.order_id)


def unresolved_targets(rule: UnresolvedRule, *, dispatched_before: datetime) -> Targets:
    """Order ids dispatched before ``dispatched_before`` (the start of the local day when the limit
    has run out for orders dispatched the day before) and still open."""
    return select(WorkOrder.id.label("order_id")).where(
        WorkOrder.status.in_(OPEN), WorkOrder.dispatched_at < dispatched_before
    )


def dissatisfied_targets(rule: DissatisfiedRule) -> Targets:
    """Order ids evaluated dissatisfied ``min_times`` times and still open."""
    satisfaction = WorkOrderHistory.detail["satisfaction"].as_string()
    counted = (
        select(WorkOrderHistory.order_id.label("order_id"))
        .where(WorkOrderHistory.event == Event.EVALUATE.value, satisfaction == "dissatisfied")
        .group_by(WorkOrderHistory.order_id)
        .having(func.count() >= rule.min_times)
        .subquery()
    )
    return select(counted.c.order_id).where(_open(counted.c.order_id).exists())


def raise_for(
    session: Session,
    targets: Targets,
    *,
    reason: str,
    rule: str,
    action: Action,
    now: datetime,
    detail: Mapping[str, object],
    with_tree: bool,
) -> int:
    """Raise a 督办 record of ``reason`` for each order of ``targets`` that has none; the count raised."""
    picked = targets.subquery()
    main = (
        select(WorkOrderDepartment.order_id, WorkOrderDepartment.department)
        .where(WorkOrderDepartment.role == "main")
        .subquery()
    )
    escalate_to: ColumnElement[Any] = literal(None, String)
    unknown: ColumnElement[Any] = literal(False, Boolean)
    query = (
        select(picked.c.order_id).select_from(picked).outerjoin(main, main.c.order_id == picked.c.order_id)
    )
    if action is Action.ESCALATE_PARENT:
        if with_tree:
            query = query.outerjoin(DEPARTMENTS, DEPARTMENTS.c.code == main.c.department)
            escalate_to, unknown = DEPARTMENTS.c.parent_code, DEPARTMENTS.c.code.is_(None)
        else:
            unknown = true()
    query = query.add_columns(
        literal(reason, String),
        literal(_LEVEL[action], String),
        literal(rule, String),
        main.c.department,
        escalate_to if action is Action.ESCALATE_PARENT else null(),
        unknown,
        literal(now, UtcDateTime()),
        literal(dict(detail), JSON),
    )
    existing = SupervisionOrder.__table__.alias("existing")
    raised = select(existing.c.id).where(
        existing.c.order_id == picked.c.order_id, existing.c.reason == reason
    )
    query = query.where(~raised.exists())
    names = ["order_id", "reason", "level", "rule", "department", "escalate_to", "target_unknown"]
    stmt = (
        insert(session)(SupervisionOrder.__table__)
        .from_select([*names, "raised_at", "detail"], query)
        .on_conflict_do_nothing(index_elements=["order_id", "reason"])
    )
    return inserted(session, stmt)


def inserted(session: Session, stmt: Any) -> int:
    """Execute an INSERT … SELECT and return how many rows it added. (On PostgreSQL through a
    ``RETURNING`` CTE: psycopg's row count of a Core INSERT … SELECT reads -1 there.)"""
    if session.get_bind().dialect.name == "postgresql":
        added = stmt.returning(literal_column("1")).cte("added")
        return int(session.execute(select(func.count()).select_from(added)).scalar_one())
    return int(cast(CursorResult[Any], session.execute(stmt)).rowcount or 0)
