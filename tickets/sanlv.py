"""三率 per department: the figures of the orders dispatched in a period, by main department (主办),
each department's row rolled up over its subtree (docs/SANLV.md defines every figure).

Rules: the cohort is every order whose first ``dispatch`` history entry falls in the window; an order
belongs to its current main department. Per order, SQL picks the first ``sign`` and the first
``reply`` entry (their ``on_time`` flags, written by ``tickets.loop`` against the deadline then in
force) and the last ``evaluate`` entry (the citizen's final word), and counts ``return`` entries;
extension requests and 督办 records are counted from their tables. The database sums per main
department (SQLite and PostgreSQL alike); this module only rolls the sums up the department tree
and works out the rates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from supervisor.reports import Window
from tickets.departments import Department, all_departments
from tickets.loop_models import WorkOrderExtension
from tickets.models import WorkOrder, WorkOrderDepartment, WorkOrderHistory
from tickets.supervision_models import SupervisionOrder
from tickets.vocab import DepartmentRole, Event, ExtensionStatus, Satisfaction, Status

COUNTS = (
    "dispatched",
    "signed_on_time",
    "evaluated",
    "solved",
    "satisfied",
    "replied",
    "replied_on_time",
    "overdue_sign",
    "overdue_handle",
    "overdue_reply",
    "returns",
    "extensions_requested",
    "extensions_approved",
    "escalations",
)
RATES = {
    "response_rate": ("signed_on_time", "dispatched"),
    "solve_rate": ("solved", "evaluated"),
    "satisfaction_rate": ("satisfied", "evaluated"),
    "on_time_rate": ("replied_on_time", "replied"),
}
"""Each rate as (numerator, denominator); ``None`` when the denominator is 0."""
SATISFIED = (Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value)
BEFORE_SIGN = (Status.DISPATCHED.value,)
BEFORE_REPLY = (Status.DISPATCHED.value, Status.SIGNED.value, Status.HANDLING.value)

H = WorkOrderHistory
Counts = dict[str, int]


def _flag(column: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((column, 1), else_=0)), 0)


def _cohort(window: Window) -> Any:
    first = (
        select(H.order_id)
        .where(H.event == Event.DISPATCH.value)
        .group_by(H.order_id)
        .having(and_(func.min(H.at) >= window.start, func.min(H.at) < window.end))
        .subquery("first_dispatch")
    )
    return (
        select(WorkOrderDepartment.order_id, WorkOrderDepartment.department)
        .join(first, first.c.order_id == WorkOrderDepartment.order_id)
        .where(WorkOrderDepartment.role == DepartmentRole.MAIN.value)
        .cte("cohort")
    )


def _steps(cohort: Any) -> Any:
    def pick(event: Event, first: bool = True) -> Any:
        chosen = case((H.event == event.value, H.id))
        return (func.min(chosen) if first else func.max(chosen)).label(f"{event.value}_id")

    return (
        select(
            H.order_id,
            pick(Event.SIGN),
            pick(Event.REPLY),
            pick(Event.EVALUATE, first=False),
            func.sum(case((H.event == Event.RETURN.value, 1), else_=0)).label("returns"),
        )
        .where(H.order_id.in_(select(cohort.c.order_id)))
        .group_by(H.order_id)
        .subquery("steps")
    )


def _order_figures(cohort: Any, now: datetime) -> Select[Any]:
    steps = _steps(cohort)
    sign, reply, ev = aliased(H, name="sign"), aliased(H, name="reply"), aliased(H, name="ev")
    sign_late = sign.detail["on_time"].as_boolean().is_(False)
    reply_late = reply.detail["on_time"].as_boolean().is_(False)
    wo = WorkOrder
    return (
        select(
            cohort.c.department,
            func.count().label("dispatched"),
            _flag(sign.detail["on_time"].as_boolean().is_(True)).label("signed_on_time"),
            _flag(ev.id.is_not(None)).label("evaluated"),
            _flag(ev.detail["solved"].as_boolean().is_(True)).label("solved"),
            _flag(ev.detail["satisfaction"].as_string().in_(SATISFIED)).label("satisfied"),
            _flag(reply.id.is_not(None)).label("replied"),
            _flag(reply.detail["on_time"].as_boolean().is_(True)).label("replied_on_time"),
            _flag(
                or_(
                    and_(sign.id.is_not(None), sign_late),
                    and_(sign.id.is_(None), wo.status.in_(BEFORE_SIGN), wo.sign_due < now),
                )
            ).label("overdue_sign"),
            _flag(
                or_(
                    and_(reply.id.is_not(None), reply.at > wo.handle_due),
                    and_(reply.id.is_(None), wo.status.in_(BEFORE_REPLY), wo.handle_due < now),
                )
            ).label("overdue_handle"),
            _flag(
                or_(
                    and_(reply.id.is_not(None), reply_late),
                    and_(reply.id.is_(None), wo.status.in_(BEFORE_REPLY), wo.reply_due < now),
                )
            ).label("overdue_reply"),
            func.coalesce(func.sum(steps.c.returns), 0).label("returns"),
        )
        .select_from(cohort)
        .join(wo, wo.id == cohort.c.order_id)
        .outerjoin(steps, steps.c.order_id == cohort.c.order_id)
        .outerjoin(sign, sign.id == steps.c.sign_id)
        .outerjoin(reply, reply.id == steps.c.reply_id)
        .outerjoin(ev, ev.id == steps.c.evaluate_id)
        .group_by(cohort.c.department)
    )


def _extension_figures(cohort: Any) -> Select[Any]:
    x = WorkOrderExtension
    return (
        select(
            cohort.c.department,
            func.count(x.id).label("extensions_requested"),
            _flag(x.status == ExtensionStatus.APPROVED.value).label("extensions_approved"),
        )
        .join(x, x.order_id == cohort.c.order_id)
        .group_by(cohort.c.department)
    )


def _escalation_figures(cohort: Any) -> Select[Any]:
    so = SupervisionOrder
    return (
        select(cohort.c.department, func.count(so.id).label("escalations"))
        .join(so, so.order_id == cohort.c.order_id)
        .group_by(cohort.c.department)
    )


def own_counts(session: Session, window: Window, now: datetime) -> dict[str, Counts]:
    """The counts of the window's cohort per main department (not rolled up)."""
    cohort = _cohort(window)
    found: dict[str, Counts] = {}
    for query in (_order_figures(cohort, now), _extension_figures(cohort), _escalation_figures(cohort)):
        for row in session.execute(query).mappings():
            counts = found.setdefault(str(row["department"]), dict.fromkeys(COUNTS, 0))
            counts.update({k: int(v or 0) for k, v in row.items() if k in COUNTS})
    return found


def with_rates(counts: Mapping[str, int]) -> dict[str, Any]:
    """``counts`` with the four rates (fractions 0..1, ``None`` over nothing)."""
    rates = {name: (counts[num] / counts[den] if counts[den] else None) for name, (num, den) in RATES.items()}
    return {**counts, **rates}


def _add(into: Counts, more: Mapping[str, int]) -> None:
    for key in COUNTS:
        into[key] += more.get(key, 0)


def roll_up(departments: Iterable[Department], own: Mapping[str, Mapping[str, int]]) -> dict[str, Counts]:
    """Each department's counts summed over itself and every department below it."""
    nodes = list(departments)
    children: dict[str | None, list[str]] = {}
    for d in nodes:
        children.setdefault(d.parent_code, []).append(d.code)
    rolled: dict[str, Counts] = {}

    def total(code: str, depth: int) -> Counts:
        if code in rolled:
            return rolled[code]
        counts = dict.fromkeys(COUNTS, 0)
        _add(counts, own.get(code, {}))
        for child in children.get(code, []) if depth < 16 else []:
            _add(counts, total(child, depth + 1))
        rolled[code] = counts
        return counts

    for d in nodes:
        total(d.code, 0)
    return rolled


def _row(d: Department, counts: Mapping[str, int]) -> dict[str, Any]:
    return {
        "department": d.code,
        "name": d.name,
        "level": d.level.value,
        "parent": d.parent_code,
        **with_rates(counts),
    }


def tree_order(departments: Iterable[Department], top: str | None = None) -> list[Department]:
    """The departments below ``top`` (every top-level one when ``None``) and ``top`` itself, depth
    first: each department followed by its children, siblings by code."""
    nodes = sorted(departments, key=lambda d: d.code)
    children: dict[str | None, list[Department]] = {}
    for d in nodes:
        children.setdefault(d.parent_code, []).append(d)
    start = [d for d in nodes if d.code == top] if top is not None else children.get(None, [])
    ordered: list[Department] = []
    stack = list(reversed(start))
    while stack and len(ordered) < len(nodes):
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children.get(node.code, [])))
    return ordered


def department_report(
    sm: sessionmaker[Session], window: Window, *, now: datetime, department: str | None = None
) -> dict[str, Any]:
    """The 三率 report of ``window``: a row per department (all, or ``department``'s subtree) in tree
    order, each rolled up over its subtree, and a total (the centre's, or ``department``'s own row);
    ValueError for an unknown ``department``."""
    with sm() as s:
        own = own_counts(s, window, now)
        departments = all_departments(s)
    rolled = roll_up(departments, own)
    shown = tree_order(departments, department)
    rows = [_row(d, rolled[d.code]) for d in shown]
    if department is None:
        centre = dict.fromkeys(COUNTS, 0)
        for counts in own.values():
            _add(centre, counts)
        total = {"department": None, "name": "全市", "level": None, "parent": None, **with_rates(centre)}
    else:
        found = [r for r in rows if r["department"] == department]
        if not found:
            raise ValueError(f"no department {department}")
        total = found[0]
    return {
        "period": window.period.value,
        "from": window.start,
        "to": window.end,
        "as_of": now,
        "department": department,
        "rows": rows,
        "total": dict(total),
    }


def empty_counts() -> Counts:
    """Every count at zero (for callers that sum their own)."""
    return dict.fromkeys(COUNTS, 0)


__all__ = [
    "COUNTS",
    "RATES",
    "SATISFIED",
    "department_report",
    "empty_counts",
    "own_counts",
    "roll_up",
    "tree_order",
    "with_rates",
]
