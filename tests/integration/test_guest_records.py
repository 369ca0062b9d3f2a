"""Video call records on SQLite and PostgreSQL: written once per call, ended with an outcome, counted
apart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import make_engine, migrate, session_factory
from hotline.db.errors import InvalidValueError
from hotline.guest_models import VideoCall
from hotline.guest_records import count_video_calls, record_ended, record_started
from tests.pg import scratch_database

pytestmark = [pytest.mark.timeout(90)]

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hotline.db'}"
        migrate(url)
        engine = make_engine(url)
        yield session_factory(engine)
        engine.dispose()
        return
    with scratch_database("hotline_video") as url:
        migrate(url)
        engine = make_engine(url)
        yield session_factory(engine)
        engine.dispose()


def test_given_video_calls_when_they_end_then_records_and_counts_per_outcome(
    sessions: sessionmaker[Session],
) -> None:
    record_started(sessions, call_id="c1", guest="sg01", at=T0)
    record_started(sessions, call_id="c1", guest="sg09", at=T0 + timedelta(minutes=5))  # a repeat: ignored
    record_started(sessions, call_id="c2", guest="sg02", at=T0 + timedelta(minutes=1))
    record_started(sessions, call_id="c3", guest="sg03", at=T0 + timedelta(minutes=2))
    record_started(sessions, call_id="late", guest="sg04", at=T0 + timedelta(hours=2))
    record_ended(sessions, call_id="c1", outcome="answered", answered=True, at=T0 + timedelta(minutes=9))
    record_ended(sessions, call_id="c2", outcome="no_agent", answered=False, at=T0 + timedelta(minutes=4))
    record_ended(sessions, call_id="nobody", outcome="left", answered=False, at=T0)  # never started: no row

    with sessions() as session:
        c1, c2 = session.get(VideoCall, "c1"), session.get(VideoCall, "c2")
        assert session.get(VideoCall, "nobody") is None
    assert c1 is not None
    assert c2 is not None
    assert (c1.guest, c1.started_at, c1.outcome) == ("sg01", T0, "answered")
    assert c1.answered_at == c1.ended_at == T0 + timedelta(minutes=9)
    assert (c2.answered_at, c2.outcome) == (None, "no_agent")
    counts = count_video_calls(sessions, start=T0, end=T0 + timedelta(hours=1))
    assert counts == {"answered": 1, "no_agent": 1, "": 1, "total": 3}
    assert count_video_calls(sessions, start=T0 + timedelta(days=1), end=T0 + timedelta(days=2)) == {
        "total": 0
    }
    with pytest.raises(InvalidValueError):
        record_started(sessions, call_id="naive", guest="sg05", at=datetime(2026, 12, 6, 2, 0))
