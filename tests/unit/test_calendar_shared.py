"""An edit stored through ``CalendarStore`` reaches what the IVR's time conditions and the deadlines read
(the process's shared calendar). The shared calendar is put back after the test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.bus import EventBus
from hotline.db.engine import make_engine, migrate, session_factory
from ivr.flow.calendar import default_calendar, shipped_calendar
from ivr.service import IvrService
from tickets.calendar_store import CalendarStore
from tickets.deadlines import DEFAULT_TIME_LIMITS_PATH, DeadlinePolicy

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite file; the shared calendar is restored afterwards."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    migrate(url)
    engine = make_engine(url)
    try:
        yield session_factory(engine)
    finally:
        default_calendar().adopt(shipped_calendar())
        engine.dispose()


def test_given_year_edited_when_ivr_and_deadlines_ask_then_they_see_the_edit(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ivr = IvrService(sessions=sessions, bus=EventBus(), sounds_dir=tmp_path, clock=lambda: datetime.now(UTC))
    policy = DeadlinePolicy.from_yaml(DEFAULT_TIME_LIMITS_PATH)
    monday = date(2026, 12, 14)
    assert ivr.deps.calendar.is_working_day(monday)
    plan = shipped_calendar().year_plan(2026)
    assert plan is not None
    extra = {"name": "本地假日", "start": monday.isoformat(), "end": monday.isoformat()}
    edited = plan.model_dump(mode="json") | {"holidays": [*plan.model_dump(mode="json")["holidays"], extra]}
    CalendarStore(sessions=sessions).put(2026, edited, actor="admin")
    assert not ivr.deps.calendar.is_working_day(monday)
    assert not policy.calendar.is_working_day(monday)
    assert ivr.deps.calendar.holiday_name(monday) == "本地假日"
    CalendarStore(sessions=sessions).reset(2026)
    assert ivr.deps.calendar.is_working_day(monday)
