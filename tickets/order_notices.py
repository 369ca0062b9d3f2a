"""SMS notices of the order loop: departments' numbers and the periodic job that texts each step once.

The job (``OrderNotices.run_pass``, every ``EVERY_S`` seconds in the centre) reads the new history
entries of the steps that concern a department or the citizen and the new 督办 records, and texts:

- ``dispatch`` / ``redispatch`` (派单, 改派): ``dispatched`` to the new main department;
- ``hand_down`` (下派): ``handed_down`` to the department handed down to;
- ``approve_extension`` / ``refuse_extension``: ``extension_approved`` / ``extension_refused`` to the
  department that asked;
- ``reply`` (答复): ``replied`` to the citizen (``tickets.notify`` decides whether they may get SMS);
- a new ``supervision_orders`` record: ``supervision`` to its department and, when escalated, to the
  department it went to;
- a ``deadline_marks`` row in state ``due_soon`` for the ``reply`` or ``handle`` limit of an order still
  before its reply: ``due_soon`` to the order's main department, once per order, limit and due time
  (kind ``due_soon_reply``/``due_soon_handle``, ref = the due time in seconds since ``DUE_EPOCH``),
  so a limit moved by an extension is reminded again;
- a citizen's receipt (``order_received``) still pending ``tickets.receipts.GRACE`` after its order was
  taken in: the node that took it in died before texting (``tickets.receipts``).

Once per step: a ``sms_notices`` row (order, kind, ref = history or record id) is committed before the
texts go out; a step that already has one is skipped, so a repeated pass or a second node never
texts twice (at most once: a crash between the claim and the send loses that step's texts). Only
entries newer than ``BACKLOG`` are read, so a first pass on an old database texts no history.
A department's numbers are in ``department_sms_numbers``; a department without any gets no text.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from tickets import receipts
from tickets.department_names import handling_department
from tickets.errors import TicketValidationError
from tickets.loop_models import WorkOrderExtension
from tickets.models import WorkOrder, WorkOrderHistory
from tickets.notify import Notifier, when
from tickets.order_notice_models import DepartmentSmsNumber, SmsNotice
from tickets.rowmap import work_order_rows
from tickets.rows import WorkOrderRow
from tickets.sms import OutboxGateway
from tickets.supervision_models import DeadlineMark, SupervisionOrder
from tickets.supervision_orders import LEVEL_LABELS, REASON_LABELS
from tickets.vocab import Status

log = logging.getLogger(__name__)

EVERY_S = 15.0
BACKLOG = timedelta(days=1)
SLACK = 1000
"""Ids below the newest notified one that are read again (transactions commit out of id order)."""
BATCH = 500
MAX_NUMBERS = 10
MOBILE = re.compile(r"^1[3-9]\d{9}$")
SUPERVISION = "supervision"
EVENT_KINDS = {
    "dispatch": "dispatched",
    "redispatch": "dispatched",
    "hand_down": "handed_down",
    "approve_extension": "extension_approved",
    "refuse_extension": "extension_refused",
    "reply": "replied",
}
"""History event -> message kind (``tickets.notify.TEMPLATES``)."""
DUE_SOON_LIMITS = {"reply": "答复", "handle": "办理"}
"""Limits whose due-soon mark texts the main department -> their name in the text."""
DUE_SOON_PREFIX = "due_soon_"
DUE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
"""A due-soon claim's ref counts seconds from here: ``sms_notices.ref`` is a 32-bit integer on
PostgreSQL, which Unix seconds outgrow in 2038 (these last until 2088)."""
BEFORE_REPLY = (Status.DISPATCHED.value, Status.SIGNED.value, Status.HANDLING.value)
"""Statuses in which the reply and handle limits still run (``tickets.checker.PENDING``)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def numbers_of(sm: sessionmaker[Session], department: str) -> list[str]:
    """The mobile numbers that get department ``department``'s messages, sorted."""
    with sm() as s:
        query = select(DepartmentSmsNumber.number).where(DepartmentSmsNumber.department == department)
        return sorted(s.scalars(query))


def check_numbers(numbers: Iterable[str]) -> list[str]:
    """The numbers stripped and deduplicated; ``invalid_value`` (422) for a non-mobile or too many."""
    cleaned = list(dict.fromkeys(n.strip() for n in numbers))
    bad = [n for n in cleaned if not MOBILE.match(n)]
    if bad:
        raise TicketValidationError(
            "invalid_value", "department SMS numbers are mainland mobile numbers", field="numbers", bad=bad
        )
    if len(cleaned) > MAX_NUMBERS:
        raise TicketValidationError(
            "invalid_value", f"at most {MAX_NUMBERS} numbers per department", field="numbers"
        )
    return cleaned


def set_numbers(
    sm: sessionmaker[Session],
    department: str,
    numbers: Iterable[str],
    *,
    actor: str,
    now: datetime | None = None,
) -> list[str]:
    """Replace department ``department``'s numbers (checked by ``check_numbers``); the new list."""
    cleaned = check_numbers(numbers)
    at = now if now is not None else _utc_now()
    with writing(sm) as s:
        s.execute(delete(DepartmentSmsNumber).where(DepartmentSmsNumber.department == department))
        s.add_all(
            DepartmentSmsNumber(department=department, number=n, updated_by=actor, updated_at=at)
            for n in cleaned
        )
    return sorted(cleaned)


@dataclass(frozen=True, slots=True)
class _Step:
    order_id: int
    kind: str
    ref: int


@dataclass(slots=True)
class OrderNotices:
    """Texts each notified step of the order loop once (see the module's docstring)."""

    sessions: sessionmaker[Session]
    notifier: Notifier
    clock: Callable[[], datetime] = field(default=_utc_now)

    def _floor(self, s: Session, *, supervision: bool) -> int:
        kind = SmsNotice.kind == SUPERVISION if supervision else SmsNotice.kind.in_(EVENT_KINDS)
        newest = s.scalar(select(func.max(SmsNotice.ref)).where(kind))
        if newest is None:
            table = SupervisionOrder.id if supervision else WorkOrderHistory.id
            newest = s.scalar(select(func.max(table))) or 0
            return max(0, newest - SLACK)
        return max(0, newest - SLACK)

    def _claim(self, step: _Step, at: datetime) -> bool:
        try:
            with writing(self.sessions) as s:
                s.add(SmsNotice(order_id=step.order_id, kind=step.kind, ref=step.ref, messages=0, at=at))
        except IntegrityError:
            return False
        return True

    def _done(self, step: _Step, messages: int) -> None:
        with writing(self.sessions) as s:
            notice = s.get(SmsNotice, (step.order_id, step.kind, step.ref))
            if notice is not None:
                notice.messages = messages

    def _order(self, order_id: int) -> WorkOrderRow | None:
        with self.sessions() as s:
            wo = s.get(WorkOrder, order_id)
            return None if wo is None else work_order_rows(s, [wo])[0]

    def _history_steps(self, since: datetime) -> list[tuple[_Step, dict[str, object]]]:
        with self.sessions() as s:
            floor = self._floor(s, supervision=False)
            done = select(SmsNotice.ref).where(
                SmsNotice.order_id == WorkOrderHistory.order_id,
                SmsNotice.kind == WorkOrderHistory.event,
                SmsNotice.ref == WorkOrderHistory.id,
            )
            query = (
                select(WorkOrderHistory)
                .where(
                    WorkOrderHistory.id > floor,
                    WorkOrderHistory.event.in_(EVENT_KINDS),
                    WorkOrderHistory.at >= since,
                    ~done.exists(),
                )
                .order_by(WorkOrderHistory.id)
                .limit(BATCH)
            )
            return [(_Step(h.order_id, h.event, h.id), dict(h.detail)) for h in s.scalars(query)]

    def _records(self, since: datetime) -> list[SupervisionOrder]:
        with self.sessions() as s:
            floor = self._floor(s, supervision=True)
            done = select(SmsNotice.ref).where(
                SmsNotice.order_id == SupervisionOrder.order_id,
                SmsNotice.kind == SUPERVISION,
                SmsNotice.ref == SupervisionOrder.id,
            )
            query = (
                select(SupervisionOrder)
                .where(SupervisionOrder.id > floor, SupervisionOrder.raised_at >= since, ~done.exists())
                .order_by(SupervisionOrder.id)
                .limit(BATCH)
            )
            found = list(s.scalars(query))
            s.expunge_all()
            return found

    def _due_soon_marks(self) -> list[tuple[_Step, str, datetime]]:
        kinds = [DUE_SOON_PREFIX + k for k in DUE_SOON_LIMITS]
        with self.sessions() as s:
            marks = (
                select(DeadlineMark.order_id, DeadlineMark.kind, DeadlineMark.due_at)
                .join(WorkOrder, WorkOrder.id == DeadlineMark.order_id)
                .where(
                    DeadlineMark.state == "due_soon",
                    DeadlineMark.kind.in_(DUE_SOON_LIMITS),
                    WorkOrder.status.in_(BEFORE_REPLY),
                )
                .order_by(DeadlineMark.order_id, DeadlineMark.kind)
            )
            marked = select(DeadlineMark.order_id).where(
                DeadlineMark.order_id == SmsNotice.order_id, DeadlineMark.state == "due_soon"
            )
            claimed_query = select(SmsNotice.order_id, SmsNotice.kind, SmsNotice.ref).where(
                SmsNotice.kind.in_(kinds), marked.exists()
            )
            claimed = {(n.order_id, n.kind, n.ref) for n in s.execute(claimed_query)}
            found: list[tuple[_Step, str, datetime]] = []
            for order_id, limit, due_at in s.execute(marks):
                due = due_at if due_at.tzinfo is not None else due_at.replace(tzinfo=UTC)
                step = _Step(order_id, DUE_SOON_PREFIX + limit, int((due - DUE_EPOCH).total_seconds()))
                if (step.order_id, step.kind, step.ref) not in claimed:
                    found.append((step, limit, due))
                    if len(found) >= BATCH:
                        break
            return found

    def _due_soon_texts(self, limit: str, due: datetime, row: WorkOrderRow) -> list[str]:
        department = handling_department(row)
        numbers = numbers_of(self.sessions, department) if department else []
        extra = {"limit": DUE_SOON_LIMITS[limit], "due": when(due)}
        return self.notifier.to_numbers(numbers, "due_soon", row, **extra)

    def _extension_department(self, detail: dict[str, object]) -> str | None:
        ref = detail.get("extension_id")
        if not isinstance(ref, int):
            return None
        with self.sessions() as s:
            x = s.get(WorkOrderExtension, ref)
            return None if x is None else x.department

    def _department_of(self, step: _Step, detail: dict[str, object]) -> str | None:
        if step.kind in ("dispatch", "redispatch"):
            found = detail.get("main")
        elif step.kind == "hand_down":
            found = detail.get("to")
        else:
            found = self._extension_department(detail)
        return found if isinstance(found, str) else None

    def _texts(self, step: _Step, detail: dict[str, object], row: WorkOrderRow) -> list[str]:
        kind = EVENT_KINDS[step.kind]
        if kind == "replied":
            return self.notifier.replied(row)
        department = self._department_of(step, detail)
        numbers = numbers_of(self.sessions, department) if department else []
        return self.notifier.to_numbers(numbers, kind, row)

    def _record_texts(self, record: SupervisionOrder, row: WorkOrderRow) -> list[str]:
        codes = [c for c in (record.department, record.escalate_to) if c]
        numbers: list[str] = []
        for code in dict.fromkeys(codes):
            numbers.extend(numbers_of(self.sessions, code))
        reason = REASON_LABELS.get(record.reason, record.reason)
        level = LEVEL_LABELS.get(record.level, record.level)
        return self.notifier.to_numbers(numbers, "supervision", row, reason=reason, level=level)

    def _notify(self, step: _Step, at: datetime, send: Callable[[WorkOrderRow], Sequence[str]]) -> int:
        if not self._claim(step, at):
            return 0
        row = self._order(step.order_id)
        sent = len(send(row)) if row is not None else 0
        self._done(step, sent)
        return sent

    def run_pass(self, now: datetime | None = None) -> int:
        """Text the steps, 督办 records and due-soon limits not notified yet; how many messages went out."""
        at = now if now is not None else self.clock()
        since = at - BACKLOG
        sent = 0
        for step, detail in self._history_steps(since):
            sent += self._notify(step, at, functools.partial(self._texts, step, detail))
        for record in self._records(since):
            step = _Step(record.order_id, SUPERVISION, record.id)
            sent += self._notify(step, at, functools.partial(self._record_texts, record))
        for step, limit, due in self._due_soon_marks():
            sent += self._notify(step, at, functools.partial(self._due_soon_texts, limit, due))
        for order_id in receipts.overdue(self.sessions, at):
            row = self._order(order_id)
            sent += len(receipts.send(self.sessions, self.notifier, row)) if row is not None else 0
        return sent


def order_notices(sessions: sessionmaker[Session], notifier: Notifier | None = None) -> OrderNotices:
    """The job on ``notifier`` (the centre's), or on one that stores messages in the outbox."""
    return OrderNotices(sessions, notifier if notifier is not None else Notifier(OutboxGateway(sessions)))


async def run_periodically(notices: OrderNotices, *, every_s: float = EVERY_S) -> None:
    """A pass now and then every ``every_s`` seconds until cancelled; a failed pass is logged."""
    while True:
        try:
            sent = await asyncio.to_thread(notices.run_pass)
            if sent:
                log.info("order notices: %d SMS", sent)
        except Exception:
            log.exception("order notices failed; trying again in %.0f s", every_s)
        await asyncio.sleep(every_s)
