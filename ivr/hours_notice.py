"""Until when the emergency notice plays (table ``emergency_notice_window``, one row).

The notice itself is the call flow's ``emergency_announcement`` flag and its spoken text
(supervisor.centre_switches); an admin may also say until when it runs. Every app node checks the
row every few seconds (:class:`NoticeExpiry`): once ``until`` has passed, the one node whose
conditional update clears it turns the flag off and records the change in the admin change log
(user ``system``, area ``emergency``), so a notice is never left on by a forgotten switch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, String, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from admin.audit import Change, json_diff, record_change
from hotline.db.access import insert, writing
from hotline.db.models import Base

log = logging.getLogger(__name__)
Sessions = sessionmaker[Session]
ROW_ID = 1
AREA = "emergency"
CHECK_EVERY_S = 5.0


class EmergencyNoticeWindow(Base):
    """The one row saying until when the emergency notice plays (``until`` None: until switched off)."""

    __tablename__ = "emergency_notice_window"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    until: Mapped[datetime | None]
    set_by: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class Window:
    """Until when the notice plays, who said so and when."""

    until: datetime | None
    set_by: str
    set_at: datetime | None


def read_window(sm: Sessions) -> Window:
    """The stored window (empty when never set)."""
    with sm() as s:
        row = s.get(EmergencyNoticeWindow, ROW_ID)
        if row is None:
            return Window(None, "", None)
        return Window(row.until, row.set_by, row.set_at)


def set_until(sm: Sessions, until: datetime | None, *, by: str, now: datetime | None = None) -> Window:
    """Store ``until`` (None: no end)."""
    at = now or datetime.now(UTC)
    values = {"id": ROW_ID, "until": until, "set_by": by[:32], "set_at": at}
    with writing(sm) as s:
        stmt = insert(s)(EmergencyNoticeWindow).values(values)
        s.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"], set_={k: v for k, v in values.items() if k != "id"}
            )
        )
    return Window(until, by[:32], at)


def claim_expired(sm: Sessions, now: datetime) -> datetime | None:
    """Clear ``until`` if it has passed; the ``until`` cleared, or None (not due, or another node won)."""
    with writing(sm) as s:
        due = s.execute(
            select(EmergencyNoticeWindow.until).where(
                EmergencyNoticeWindow.id == ROW_ID, EmergencyNoticeWindow.until <= now
            )
        ).scalar_one_or_none()
        if due is None:
            return None
        result = s.execute(
            update(EmergencyNoticeWindow)
            .where(EmergencyNoticeWindow.id == ROW_ID, EmergencyNoticeWindow.until == due)
            .values(until=None, set_by="system", set_at=now)
        )
        won = getattr(result, "rowcount", 0)
    return due if won == 1 else None


class NoticeExpiry:
    """Turns the notice off once its window has passed (``switch_off`` is blocking: run in a thread)."""

    def __init__(
        self,
        *,
        sessions: Sessions,
        switch_off: Callable[[], bool],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        every_s: float = CHECK_EVERY_S,
    ) -> None:
        self._sm = sessions
        self._switch_off = switch_off
        self._clock = clock
        self._every_s = every_s

    async def check_once(self) -> datetime | None:
        """One check; the ``until`` that ended the notice, or None."""
        now = self._clock()
        try:
            due = await asyncio.to_thread(claim_expired, self._sm, now)
            if due is None:
                return None
            was_on = await asyncio.to_thread(self._switch_off)
        except Exception:
            log.warning("emergency notice window not checked", exc_info=True)
            return None
        change = Change(
            user_id="system", role="system", area=AREA, object_id="notice", action="expire",
            summary=f"紧急通知到期（{due.isoformat()}）自动关闭",
            diff=json_diff({"on": was_on, "until": due.isoformat()}, {"on": False, "until": None}, name=AREA),
        )  # fmt: skip
        await asyncio.to_thread(record_change, self._sm, change)
        log.info("emergency notice ended: its window closed at %s", due.isoformat())
        return due

    async def run(self) -> None:
        """Check until cancelled."""
        while True:
            await asyncio.sleep(self._every_s)
            try:
                await self.check_once()
            except SQLAlchemyError:
                log.warning("emergency notice window unreadable", exc_info=True)
