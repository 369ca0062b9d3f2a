"""Opening hours per queue (ivr.hours_queues): the pure open/closed rule over the centre's calendar,
and the table on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from ivr import hours_queues
from ivr.flow import SHANGHAI
from ivr.flow.calendar import default_calendar
from tests.unit.test_queue_store import sessions

__all__ = ["sessions"]
OFFICE = hours_queues.Hours("social_security", "working", "08:30", "17:30")
NIGHT = hours_queues.Hours("surge", "every_day", "22:00", "06:00")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_given_office_hours_then_open_inside_them_on_working_days_only() -> None:
    calendar = default_calendar()
    assert OFFICE.open_at(_at("2026-11-25T08:30"), calendar)
    assert not OFFICE.open_at(_at("2026-11-25T17:30"), calendar)
    assert not OFFICE.open_at(_at("2026-11-28T10:00"), calendar), "a Saturday"
    assert not OFFICE.open_at(_at("2026-10-02T10:00"), calendar), "国庆节"
    assert OFFICE.open_at(_at("2026-10-10T10:00"), calendar), "a Saturday worked for 国庆节 (调休)"


def test_given_hours_over_midnight_then_open_until_the_morning() -> None:
    calendar = default_calendar()
    assert NIGHT.open_at(_at("2026-11-28T23:00"), calendar)
    assert NIGHT.open_at(_at("2026-11-29T05:59"), calendar)
    assert not NIGHT.open_at(_at("2026-11-29T12:00"), calendar)


def test_given_stored_hours_then_the_node_copy_decides_and_general_stays_open(
    sessions: sessionmaker[Session],
) -> None:
    now = _at("2026-11-28T10:00")
    live = hours_queues.QueueHours(sessions=sessions, calendar=default_calendar(), clock=lambda: now)
    hours_queues.put_hours(sessions, OFFICE, by="admin")
    hours_queues.put_hours(sessions, hours_queues.Hours("general", "working", "08:30", "17:30"), by="admin")
    assert live.is_open("social_security"), "not read yet"
    live.refresh()
    assert not live.is_open("social_security")
    assert live.is_open("general")
    assert live.is_open("enterprise")
    hours_queues.drop_hours(sessions, "social_security")
    live.refresh()
    assert live.is_open("social_security")
    assert set(hours_queues.read_hours(sessions)) == {"general"}
