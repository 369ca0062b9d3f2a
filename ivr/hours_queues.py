"""Opening hours per queue (table ``opening_hours``): when a special line takes callers.

A 12345 centre answers around the clock on its general line (duty seats out of hours), while a special
line (专席: 12333, enterprise, ...) is staffed in office hours. A queue with a row here is open on the
row's days (``working``: the centre's working days, 调休 included, from tickets.calendar_store;
``every_day``) from ``start`` to ``end`` (local time of the call flows; an ``end`` not after ``start``
wraps midnight). A caller the flow sends to a closed queue waits in ``general`` instead, keeping
the caller's place from then on (AcdService.queue_or_default asks :meth:`QueueHours.is_open`). A
queue without a row is always open; ``general`` cannot be closed.

Every app node keeps the rows in memory (no database read per call) and reads them again every few
seconds, and at once on the node that saved a change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import String, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from hotline.db.access import insert, writing
from hotline.db.models import Base
from ivr.flow.calendar import ChineseCalendar

log = logging.getLogger(__name__)
Sessions = sessionmaker[Session]
DAYS = ("working", "every_day")
ALWAYS_OPEN = "general"
REFRESH_S = 5.0


class OpeningHoursRow(Base):
    """The opening hours of one queue."""

    __tablename__ = "opening_hours"

    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    days: Mapped[str] = mapped_column(String(16))
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class Hours:
    """When one queue is open."""

    queue: str
    days: str
    start: str
    end: str

    def open_at(self, moment: datetime, calendar: ChineseCalendar) -> bool:
        """Whether the queue takes callers at the local ``moment``."""
        if self.days == "working" and not calendar.is_working_day(moment.date()):
            return False
        start, end, now = time.fromisoformat(self.start), time.fromisoformat(self.end), moment.time()
        now = now.replace(tzinfo=None)
        return start <= now < end if start < end else now >= start or now < end


def read_hours(sm: Sessions) -> dict[str, Hours]:
    """Every queue's hours."""
    with sm() as s:
        rows = s.execute(select(OpeningHoursRow)).scalars().all()
        return {r.queue: Hours(r.queue, r.days, r.start, r.end) for r in rows}


def put_hours(sm: Sessions, hours: Hours, *, by: str, now: datetime | None = None) -> None:
    """Store one queue's hours (replacing any)."""
    values = {
        "queue": hours.queue, "days": hours.days, "start": hours.start, "end": hours.end,
        "updated_by": by[:32], "updated_at": now or datetime.now(UTC),
    }  # fmt: skip
    with writing(sm) as s:
        stmt = insert(s)(OpeningHoursRow).values(values)
        changed = {k: v for k, v in values.items() if k != "queue"}
        s.execute(stmt.on_conflict_do_update(index_elements=["queue"], set_=changed))


def drop_hours(sm: Sessions, queue: str) -> None:
    """Make ``queue`` always open again."""
    with writing(sm) as s:
        s.execute(delete(OpeningHoursRow).where(OpeningHoursRow.queue == queue))


class QueueHours:
    """This node's copy of the opening hours, asked at every queue entry."""

    def __init__(
        self, *, sessions: Sessions, calendar: ChineseCalendar, clock: Callable[[], datetime]
    ) -> None:
        self._sm = sessions
        self._calendar = calendar
        self._clock = clock
        self.hours: dict[str, Hours] = {}

    def is_open(self, queue: str) -> bool:
        """Whether ``queue`` takes callers now (no hours, or ``general``: always)."""
        hours = self.hours.get(queue)
        return queue == ALWAYS_OPEN or hours is None or hours.open_at(self._clock(), self._calendar)

    def refresh(self) -> None:
        """Read the rows again (blocking)."""
        self.hours = read_hours(self._sm)

    async def run(self, every_s: float = REFRESH_S) -> None:
        """Read the rows at start and every ``every_s`` until cancelled."""
        while True:
            try:
                await asyncio.to_thread(self.refresh)
            except SQLAlchemyError:
                log.warning("opening hours unreadable; the last ones read stay", exc_info=True)
            await asyncio.sleep(every_s)
