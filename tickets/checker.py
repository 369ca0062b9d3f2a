"""The periodic deadline checker: one pass marks due-soon and overdue limits, raises 督办, escalates.

A pass is a handful of set-based statements in one write transaction, whatever the number of orders:

1. one upsert of ``deadline_marks`` from a single scan of the open orders, fanned out to the limits
   (``sign``, ``handle``, ``reply``) that run out before the due-soon cutoff
   (``due_soon_working_days`` working days after today, on the official calendar) and whose mark
   is missing or different, and one delete, read through the marks, of the marks whose order no
   longer qualifies (or is gone);
2. one 督办 record per overdue order and limit, to its main department (raised once: the record is
   unique per order and reason, so later passes add nothing);
3. the escalation rules of ``tickets.escalation``.

On PostgreSQL the pass sorts and hashes in ``WORK_MEM`` and refreshes a table's statistics after a
statement changed ``ANALYZE_AFTER`` rows or more of it, so the later anti-joins are planned on what
is there now (``bench/deadline_checker.py`` measures a pass at 500,000 open orders).

The clock is a parameter (``now``), so a test can run a pass on any day, a holiday included. The
calendar is the deadline policy's (the shared, editable one by default); with a ``CalendarStore``
the pass first picks up calendar edits made on other nodes.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    String,
    Subquery,
    and_,
    case,
    delete,
    func,
    inspect,
    literal,
    null,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, sessionmaker

from hotline.db.access import insert, writing
from hotline.db.models import UtcDateTime
from tickets import escalation as esc
from tickets.calendar_store import CalendarStore
from tickets.deadlines import DeadlinePolicy, default_policy
from tickets.models import WorkOrder
from tickets.supervision_models import DeadlineMark
from tickets.vocab import Status

log = logging.getLogger(__name__)

_BEFORE_REPLY = (Status.DISPATCHED, Status.SIGNED, Status.HANDLING)
PENDING: dict[str, tuple[Status, ...]] = {
    "sign": (Status.DISPATCHED,),
    "handle": _BEFORE_REPLY,
    "reply": _BEFORE_REPLY,
}
"""The statuses in which each limit is still running."""
ANALYZE_AFTER = 1000
"""A pass that changes at least this many marks or records refreshes their table's statistics."""
WORK_MEM = "64MB"
"""The pass's sort and hash memory on PostgreSQL: the repeat rule groups every order of the year by
caller and matter, which spilled to disk with the default 4 MB at 500,000 orders."""
_DUE: dict[str, InstrumentedAttribute[datetime | None]] = {
    "sign": WorkOrder.sign_due,
    "handle": WorkOrder.handle_due,
    "reply": WorkOrder.reply_due,
}


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one pass found and did."""

    at: datetime
    due_soon: int
    overdue: int
    raised: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        """For logs and JSON."""
        return {
            "at": self.at.isoformat(),
            "due_soon": self.due_soon,
            "overdue": self.overdue,
            "raised": self.raised,
        }


def _kinds() -> Subquery:
    """The three limit kinds as a one-column table (``kind``), portable to SQLite."""
    rows = [select(literal(kind, String).label("kind")) for kind in PENDING]
    return union_all(*rows).subquery("kinds")


def _late(cutoff: datetime) -> Select[Any]:
    """(order id, kind, due) of every running limit that runs out before ``cutoff``: one scan of
    the orders (those with any limit before the cutoff), each fanned out to its three kinds."""
    orders = (
        select(WorkOrder.id, WorkOrder.status, *(due.label(kind) for kind, due in _DUE.items()))
        .where(
            WorkOrder.status.in_(_BEFORE_REPLY),
            or_(
                and_(WorkOrder.status == Status.DISPATCHED.value, WorkOrder.sign_due <= cutoff),
                WorkOrder.handle_due <= cutoff,
                WorkOrder.reply_due <= cutoff,
            ),
        )
        .subquery("late")
    )
    kinds = _kinds()
    due = case(*((kinds.c.kind == kind, orders.c[kind]) for kind in _DUE), else_=null())
    sign_open = orders.c.status == Status.DISPATCHED.value
    return (
        select(orders.c.id.label("order_id"), kinds.c.kind.label("kind"), due.label("due_at"))
        .select_from(orders)
        .join(kinds, true())
        .where(due <= cutoff, or_(kinds.c.kind != "sign", sign_open))
    )


def _mark(session: Session, *, now: datetime, cutoff: datetime) -> int:
    """Bring ``deadline_marks`` up to date in two statements: one upsert of the new and changed
    marks (an outer join to the marks skips the unchanged ones), one delete of the marks whose
    order no longer qualifies or is gone (read through the marks, so as cheap as there are marks);
    the number of marks added, changed or removed."""
    late = _late(cutoff).subquery("limits")
    state = case((late.c.due_at < now, "overdue"), else_="due_soon")
    known = aliased(DeadlineMark)
    source = (
        select(late.c.order_id, late.c.kind, state, late.c.due_at, literal(now, UtcDateTime()))
        .select_from(late)
        .outerjoin(known, and_(known.order_id == late.c.order_id, known.kind == late.c.kind))
        .where(or_(known.order_id.is_(None), known.state != state, known.due_at != late.c.due_at))
    )
    stmt = insert(session)(DeadlineMark).from_select(["order_id", "kind", "state", "due_at", "since"], source)
    new = stmt.excluded
    changed = session.execute(
        stmt.on_conflict_do_update(
            index_elements=["order_id", "kind"],
            set_={
                "state": new.state,
                "due_at": new.due_at,
                "since": case((DeadlineMark.state == new.state, DeadlineMark.since), else_=new.since),
            },
            where=(DeadlineMark.state != new.state) | (DeadlineMark.due_at != new.due_at),
        )
    )
    still = select(WorkOrder.id).where(
        WorkOrder.id == DeadlineMark.order_id,
        WorkOrder.status.in_(_BEFORE_REPLY),
        or_(DeadlineMark.kind != "sign", WorkOrder.status == Status.DISPATCHED.value),
        case(*((DeadlineMark.kind == kind, due) for kind, due in _DUE.items()), else_=null()) <= cutoff,
    )
    gone = session.execute(
        delete(DeadlineMark).where(~still.exists()).execution_options(synchronize_session=False)
    )
    return _count(changed) + _count(gone)


def _count(result: object) -> int:
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _analyze(session: Session, table: str, changed: int) -> None:
    """Refresh the planner's statistics of ``table`` on PostgreSQL after a statement changed many of
    its rows: later statements (of this pass and the next) read it in anti-joins, and with the
    statistics from before the change the planner picks a nested loop over sequential scans. In the
    benchmark that took 1.2 s for 10,000 overdue records and 350 s for the repeat rule's 100,000 in
    the next pass, against a few hundred milliseconds with fresh statistics."""
    if changed >= ANALYZE_AFTER and _postgres(session):
        session.execute(text(f"ANALYZE {table}"))


@dataclass
class DeadlineChecker:
    """Runs checker passes over the orders of ``sessions``."""

    sessions: sessionmaker[Session]
    policy: DeadlinePolicy = field(default_factory=default_policy)
    config: esc.EscalationConfig = field(default_factory=esc.default_config)
    calendar_store: CalendarStore | None = None

    def _local_day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.policy.zone)

    def due_soon_cutoff(self, now: datetime) -> datetime:
        """Limits running out up to this moment are due soon (the end of the N-th working day after
        today; the end of today for N = 0)."""
        days = self.config.deadlines.due_soon_working_days
        if days == 0:
            return self._local_day_start(now.astimezone(self.policy.zone).date() + timedelta(days=1))
        return self.policy.add_working_days(now, days)

    def unresolved_before(self, now: datetime, working_days: int) -> datetime:
        """Orders dispatched before this moment have had ``working_days`` full working days after
        their dispatch day, all ended before today."""
        day = now.astimezone(self.policy.zone).date()
        left = working_days
        while left:
            day -= timedelta(days=1)
            left -= self.policy.calendar.is_working_day(day)
        return self._local_day_start(day)

    def run_pass(self, *, now: datetime | None = None) -> PassReport:
        """One pass at ``now`` (default: the current time)."""
        at = (now if now is not None else datetime.now(UTC)).astimezone(UTC)
        if self.calendar_store is not None:
            self.calendar_store.refresh_if_stale()
        cutoff = self.due_soon_cutoff(at)
        with writing(self.sessions) as session:
            if _postgres(session):
                session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
            _analyze(session, "deadline_marks", _mark(session, now=at, cutoff=cutoff))
            raised = self._raise_overdue(session, at)
            _analyze(session, "supervision_orders", sum(raised.values()))
            raised |= self._escalate(session, at)
            by_state = select(DeadlineMark.state, func.count()).group_by(DeadlineMark.state)
            counts = {state: int(n) for state, n in session.execute(by_state)}
        return PassReport(
            at=at, due_soon=counts.get("due_soon", 0), overdue=counts.get("overdue", 0), raised=raised
        )

    def _raise_overdue(self, session: Session, at: datetime) -> dict[str, int]:
        raised: dict[str, int] = {}
        for kind in PENDING:
            targets = select(DeadlineMark.order_id.label("order_id")).where(
                DeadlineMark.kind == kind, DeadlineMark.state == "overdue"
            )
            raised[f"{kind}_overdue"] = esc.raise_for(
                session,
                targets,
                reason=f"{kind}_overdue",
                rule=f"{kind}_limit",
                action=esc.Action.DEPARTMENT,
                now=at,
                detail={"limit": kind},
                with_tree=False,
            )
        return raised

    def _escalate(self, session: Session, at: datetime) -> dict[str, int]:
        rules = self.config.rules
        tree = inspect(session.connection()).has_table("departments")
        plans: list[tuple[str, esc.Targets, esc.Action, dict[str, Any]]] = []
        if rules.repeat.enabled:
            detail = {"min_orders": rules.repeat.min_orders, "within_days": rules.repeat.within_days}
            plans.append(("repeat", esc.repeat_targets(rules.repeat, now=at), rules.repeat.action, detail))
        if rules.unresolved.enabled:
            before = self.unresolved_before(at, rules.unresolved.working_days)
            targets = esc.unresolved_targets(rules.unresolved, dispatched_before=before)
            detail = {"working_days": rules.unresolved.working_days}
            plans.append(("unresolved", targets, rules.unresolved.action, detail))
        if rules.dissatisfied.enabled:
            detail = {"min_times": rules.dissatisfied.min_times}
            targets = esc.dissatisfied_targets(rules.dissatisfied)
            plans.append(("dissatisfied", targets, rules.dissatisfied.action, detail))
        raised: dict[str, int] = {}
        for reason, targets, action, detail in plans:
            raised[reason] = esc.raise_for(
                session,
                targets,
                reason=reason,
                rule=reason,
                action=action,
                now=at,
                detail=detail,
                with_tree=tree,
            )
            _analyze(session, "supervision_orders", raised[reason])
        return raised


async def run_periodically(checker: DeadlineChecker, *, every_s: float) -> None:
    """Run a pass now and then every ``every_s`` seconds until cancelled; a failed pass is logged
    and tried again at the next interval."""
    while True:
        try:
            report = await asyncio.to_thread(checker.run_pass)
            log.info("deadline check: %s", report.as_dict())
        except Exception:
            log.exception("deadline check failed; trying again in %.0f s", every_s)
        await asyncio.sleep(every_s)


__all__ = ["PENDING", "DeadlineChecker", "PassReport", "run_periodically"]
