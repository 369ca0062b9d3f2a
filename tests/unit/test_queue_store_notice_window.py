"""Until when the emergency notice plays (ivr.hours_notice), on SQLite and PostgreSQL: a window that
has passed is claimed by exactly one app node, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from ivr import hours_notice
from tests.unit.test_queue_store import sessions

__all__ = ["sessions"]
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_given_no_window_then_nothing_is_claimed(sessions: sessionmaker[Session]) -> None:
    assert hours_notice.read_window(sessions) == hours_notice.Window(None, "", None)
    assert hours_notice.claim_expired(sessions, NOW) is None


def test_given_a_window_when_it_passes_then_one_claim_wins_and_the_window_is_cleared(
    sessions: sessionmaker[Session],
) -> None:
    until = NOW + timedelta(hours=1)
    hours_notice.set_until(sessions, until, by="admin", now=NOW)
    assert hours_notice.read_window(sessions).until == until
    assert hours_notice.claim_expired(sessions, until - timedelta(seconds=1)) is None
    assert hours_notice.claim_expired(sessions, until) == until
    assert hours_notice.claim_expired(sessions, until + timedelta(seconds=5)) is None
    window = hours_notice.read_window(sessions)
    assert (window.until, window.set_by) == (None, "system")


def test_given_a_window_when_set_again_then_the_new_end_replaces_it(sessions: sessionmaker[Session]) -> None:
    hours_notice.set_until(sessions, NOW + timedelta(hours=1), by="admin", now=NOW)
    hours_notice.set_until(sessions, None, by="admin2", now=NOW)
    assert hours_notice.read_window(sessions) == hours_notice.Window(None, "admin2", NOW)
