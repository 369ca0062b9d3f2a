"""Handle times written by the recorder equal those of the state log on the real PostgreSQL server
(the tests of tests/unit/test_kpis_recorded_handling.py, on a scratch database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from tests.pg import scratch_database
from tests.unit.test_kpis_recorded_handling import (
    test_kpis_from_recorded_handle_times_equal_those_from_the_state_log,
    test_recorded_handle_times_do_not_read_the_state_log,
    test_recorder_writes_wrap_up_when_it_ends,
)

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]

__all__ = [
    "test_kpis_from_recorded_handle_times_equal_those_from_the_state_log",
    "test_recorded_handle_times_do_not_read_the_state_log",
    "test_recorder_writes_wrap_up_when_it_ends",
]


@pytest.fixture
def sessions() -> Iterator[sessionmaker[Session]]:
    """A migrated scratch PostgreSQL database with agents 1001 and 1002."""
    with scratch_database("hotline_kpi_wrap") as url:
        migrate(url)
        engine = make_engine(url)
        sm = session_factory(engine)
        for agent_id in ("1001", "1002"):
            repo.upsert_agent(sm, agent_id=agent_id, name=agent_id, contact=f"PJSIP/{agent_id}", skills={})
        try:
            yield sm
        finally:
            engine.dispose()
