"""What a department sees: orders whose main department (主办) is in its subtree, their attachments, and
working-day countdowns to the sign, handle and reply deadlines.

Rules: scope is decided in the query (``departments`` is the reader's subtree), so an order outside it
is never loaded for the reader: a single read out of scope is ``None``, as an unknown number is.
Countdowns count working time on the official calendar in local time: every second of a working day
counts, weekends and public holidays do not, 调休 make-up days do. A deadline is ``overdue`` once it
has passed, ``soon`` when less than one working day of working time is left, else ``ok``; the sign
countdown runs while the order waits to be signed, the handle and reply ones until it is replied to.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import WRITE_OPTION
from ivr.flow.calendar import ChineseCalendar
from tickets.attachments import StoredFile
from tickets.department_models import WorkOrderAttachment
from tickets.models import WorkOrder, WorkOrderDepartment
from tickets.rowmap import work_order_rows
from tickets.rows import WorkOrderRow
from tickets.vocab import DepartmentRole, Status

Sessions = sessionmaker[Session]
Level = Literal["ok", "soon", "overdue"]
WORKING_DAY_S = 86400.0
MAX_SPAN_DAYS = 400
SIGN_OPEN = frozenset({Status.DISPATCHED})
HANDLE_OPEN = frozenset({Status.DISPATCHED, Status.SIGNED, Status.HANDLING})


@dataclass(frozen=True, slots=True)
class Countdown:
    """Time left until one deadline (negative once it has passed)."""

    due: datetime
    seconds_left: float
    working_seconds_left: float
    level: Level


@dataclass(frozen=True, slots=True)
class AttachmentRow:
    """A stored reply attachment of an order."""

    id: int
    order_id: int
    department: str
    name: str
    content_type: str
    size: int
    sha256: str
    stored_path: str
    uploaded_by: str
    uploaded_at: datetime


def main_department(row: WorkOrderRow) -> str | None:
    """The order's main department (主办), if it was dispatched."""
    return next((d.department for d in row.departments if d.role is DepartmentRole.MAIN), None)


def _scoped(departments: Collection[str]) -> ColumnElement[bool]:
    mains = select(WorkOrderDepartment.order_id).where(
        WorkOrderDepartment.role == DepartmentRole.MAIN.value,
        WorkOrderDepartment.department.in_(sorted(set(departments))),
    )
    return WorkOrder.id.in_(mains)


def scoped_orders(
    sm: Sessions, *, departments: Collection[str], statuses: Collection[Status] = (), limit: int = 100
) -> list[WorkOrderRow]:
    """Orders whose main department is in ``departments``, nearest handling deadline first, optionally
    only in ``statuses``."""
    query = (
        select(WorkOrder)
        .where(_scoped(departments))
        .order_by(WorkOrder.handle_due.asc().nulls_last(), WorkOrder.id)
        .limit(max(0, limit))
    )
    if statuses:
        query = query.where(WorkOrder.status.in_(sorted(s.value for s in statuses)))
    with sm() as s:
        return work_order_rows(s, list(s.scalars(query)))


def scoped_order(sm: Sessions, *, number: str, departments: Collection[str]) -> WorkOrderRow | None:
    """Order ``number`` when its main department is in ``departments``; ``None`` otherwise or if unknown."""
    query = select(WorkOrder).where(WorkOrder.number == number, _scoped(departments))
    with sm() as s:
        found = s.scalars(query).one_or_none()
        return None if found is None else work_order_rows(s, [found])[0]


def _attachment_row(a: WorkOrderAttachment) -> AttachmentRow:
    return AttachmentRow(
        id=a.id,
        order_id=a.order_id,
        department=a.department,
        name=a.name,
        content_type=a.content_type,
        size=a.size,
        sha256=a.sha256,
        stored_path=a.stored_path,
        uploaded_by=a.uploaded_by,
        uploaded_at=a.uploaded_at,
    )


def attachments_of(sm: Sessions, *, order_id: int) -> list[AttachmentRow]:
    """The order's reply attachments, oldest first."""
    query = select(WorkOrderAttachment).where(WorkOrderAttachment.order_id == order_id)
    with sm() as s:
        return [_attachment_row(a) for a in s.scalars(query.order_by(WorkOrderAttachment.id))]


def attachment(sm: Sessions, *, order_id: int, attachment_id: int) -> AttachmentRow | None:
    """One attachment of order ``order_id``; ``None`` if it belongs to another order or does not exist."""
    with sm() as s:
        found = s.get(WorkOrderAttachment, attachment_id)
        return None if found is None or found.order_id != order_id else _attachment_row(found)


def add_attachments(
    sm: Sessions,
    *,
    order_id: int,
    department: str,
    files: Sequence[StoredFile],
    uploaded_by: str,
    now: datetime | None = None,
) -> list[AttachmentRow]:
    """Record the stored files of one reply."""
    at = now or datetime.now(UTC)
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        rows = [
            WorkOrderAttachment(
                order_id=order_id,
                department=department,
                name=f.name,
                content_type=f.content_type,
                size=f.size,
                sha256=f.sha256,
                stored_path=f.stored_path,
                uploaded_by=uploaded_by,
                uploaded_at=at,
            )
            for f in files
        ]
        s.add_all(rows)
        s.flush()
        return [_attachment_row(r) for r in rows]


def working_seconds(calendar: ChineseCalendar, zone: tzinfo, start: datetime, end: datetime) -> float:
    """Seconds of working days between ``start`` and ``end`` in ``zone`` (negative when ``end`` is
    earlier); spans longer than ``MAX_SPAN_DAYS`` are cut there."""
    if end < start:
        return -working_seconds(calendar, zone, end, start)
    a, b = start.astimezone(zone), end.astimezone(zone)
    total = 0.0
    day: date = a.date()
    for _ in range(MAX_SPAN_DAYS):
        if day > b.date():
            break
        if calendar.is_working_day(day):
            opens = datetime.combine(day, time(0), tzinfo=zone)
            closes = opens + timedelta(days=1)
            total += max(0.0, (min(b, closes) - max(a, opens)).total_seconds())
        day += timedelta(days=1)
    return total


def countdown(calendar: ChineseCalendar, zone: tzinfo, due: datetime, now: datetime) -> Countdown:
    """Time left until ``due`` at ``now``, with its level."""
    left = working_seconds(calendar, zone, now, due)
    level: Level = "overdue" if due < now else "soon" if left < WORKING_DAY_S else "ok"
    return Countdown(due, (due - now).total_seconds(), left, level)


def countdowns(
    row: WorkOrderRow, calendar: ChineseCalendar, zone: tzinfo, now: datetime
) -> dict[str, Countdown | None]:
    """The ``sign``, ``handle`` and ``reply`` countdowns of ``row``; ``None`` for a step already done
    (or a deadline the order does not have)."""

    def one(due: datetime | None, open_in: frozenset[Status]) -> Countdown | None:
        if due is None or row.status not in open_in:
            return None
        return countdown(calendar, zone, due, now)

    return {
        "sign": one(row.sign_due, SIGN_OPEN),
        "handle": one(row.handle_due, HANDLE_OPEN),
        "reply": one(row.reply_due, HANDLE_OPEN),
    }
