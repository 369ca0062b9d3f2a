"""The editable working-day calendar: admins' edits of whole years, stored in ``calendar_years``.

The shipped file (``ivr/flows/holidays_cn.yaml``) is the base; a year stored here replaces the
shipped year. ``CalendarStore.refresh`` applies the stored years to the process's shared calendar
(``ivr.flow.calendar.default_calendar``) in place, so the IVR's time conditions, the deadlines of
new dispatches and the deadline checker read the edited calendar. A ``put`` refreshes at once on
its own node; other app nodes pick the edit up at their next refresh (the checker refreshes before
every pass), and ``refresh_if_stale`` re-reads only when the stored years changed (the newest
``updated_at`` and the number of years are the cache key).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import insert, writing
from ivr.flow.calendar import ChineseCalendar, YearPlan, default_calendar, shipped_calendar
from tickets.errors import TicketValidationError
from tickets.supervision_models import CalendarYear

MIN_YEAR, MAX_YEAR = 2000, 2100
Source = Literal["edited", "shipped", "none"]


@dataclass(frozen=True, slots=True)
class YearView:
    """A year as the centre uses it: its plan, where it comes from, and its days off and on."""

    year: int
    plan: YearPlan | None
    source: Source
    """``edited`` (stored here), ``shipped`` (the file) or ``none`` (weekends only)."""
    updated_by: str | None
    updated_at: datetime | None
    holidays: dict[date, str]
    workdays: dict[date, str]


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise TicketValidationError("calendar_year_out_of_range", f"year {year} is out of range", year=year)


def parse_plan(year: int, raw: Any) -> YearPlan:
    """``raw`` as a plan for ``year``; ``TicketValidationError`` (``calendar_invalid``) if it is not."""
    _check_year(year)
    try:
        plan = YearPlan.model_validate(raw).check_year(year)
        ChineseCalendar.from_plans({year: plan})
    except (ValidationError, ValueError) as exc:
        raise TicketValidationError("calendar_invalid", f"calendar {year}: {exc}", year=year) from exc
    return plan


@dataclass
class CalendarStore:
    """Reads and writes edited years and keeps ``calendar`` (the shared one by default) current."""

    sessions: sessionmaker[Session]
    calendar: ChineseCalendar = field(default_factory=default_calendar)
    base: ChineseCalendar = field(default_factory=shipped_calendar)
    _key: tuple[int, datetime | None] | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def _stamp(self, session: Session) -> tuple[int, datetime | None]:
        count, newest = session.execute(
            select(func.count(), func.max(CalendarYear.updated_at)).select_from(CalendarYear)
        ).one()
        return int(count), newest

    def refresh(self) -> ChineseCalendar:
        """Re-read the edited years and apply them to ``calendar``; returns it."""
        with self._lock, self.sessions() as session:
            key = self._stamp(session)
            rows = session.scalars(select(CalendarYear)).all()
            plans = {r.year: YearPlan.model_validate(r.plan) for r in rows}
            self.calendar.adopt(self.base.with_plans(plans))
            self._key = key
        return self.calendar

    def refresh_if_stale(self) -> bool:
        """Refresh when the stored years changed since the last refresh; whether it did."""
        with self.sessions() as session:
            key = self._stamp(session)
        if key == self._key:
            return False
        self.refresh()
        return True

    def get(self, year: int) -> YearView:
        """The year as the centre uses it (edited, else shipped, else weekends only)."""
        _check_year(year)
        with self.sessions() as session:
            row = session.get(CalendarYear, year)
            stored = (
                None if row is None else (YearPlan.model_validate(row.plan), row.updated_by, row.updated_at)
            )
        plan: YearPlan | None
        by: str | None
        at: datetime | None
        source: Source
        if stored is not None:
            plan, by, at = stored
            source = "edited"
        else:
            plan, by, at = self.base.year_plan(year), None, None
            source = "shipped" if plan is not None else "none"
        holidays, workdays = (ChineseCalendar.from_plans({year: plan}) if plan else ChineseCalendar()).days()
        return YearView(
            year=year,
            plan=plan,
            source=source,
            updated_by=by,
            updated_at=at,
            holidays=holidays,
            workdays=workdays,
        )

    def put(self, year: int, raw: Any, *, actor: str, now: datetime | None = None) -> YearView:
        """Store ``raw`` as the arrangement of ``year`` (replacing any earlier edit) and refresh."""
        plan = parse_plan(year, raw)
        at = now if now is not None else datetime.now(UTC)
        values = {"year": year, "plan": plan.model_dump(mode="json"), "updated_by": actor, "updated_at": at}
        with writing(self.sessions) as session:
            stmt = insert(session)(CalendarYear).values(values)
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[CalendarYear.year],
                    set_={k: stmt.excluded[k] for k in ("plan", "updated_by", "updated_at")},
                )
            )
        self.refresh()
        return self.get(year)

    def reset(self, year: int) -> YearView:
        """Drop the edit of ``year``: the shipped arrangement applies again."""
        _check_year(year)
        with writing(self.sessions) as session:
            row = session.get(CalendarYear, year)
            if row is not None:
                session.delete(row)
        self.refresh()
        return self.get(year)
