"""Handle times written by the recorder (``calls.wrap_seconds``) give the KPIs the state log gives.

The recorder runs on a real SQLite file and is fed the bus events the ACD publishes for three agents'
calls; the KPIs are then computed from the records as written and again with ``wrap_seconds`` cleared
(the state-log path of older records): the results must be identical, and with the records written the
handle times no longer depend on the state log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.bus import EventBus
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.db.models import AgentStateLog, Call
from hotline.handling import HandlingTracker
from hotline.recorder import Recorder
from supervisor.kpis import QueueKpis, queue_kpis

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NOW = T0 + timedelta(seconds=400)


def at(seconds: float) -> float:
    """Epoch seconds ``seconds`` after T0, as the bus carries them."""
    return (T0 + timedelta(seconds=seconds)).timestamp()


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite database with agents 1001 and 1002."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate(url)
    engine = make_engine(url)
    sm = session_factory(engine)
    for agent_id in ("1001", "1002"):
        repo.upsert_agent(sm, agent_id=agent_id, name=agent_id, contact=f"PJSIP/{agent_id}", skills={})
    yield sm
    engine.dispose()


class Centre:
    """A bus with a recorder; publishes what the ACD service publishes."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.bus = EventBus()
        self.recorder = Recorder(bus=self.bus, sessions=sessions)

    def call(self, call_id: str, agent: str, queued: float, answered: float, ended: float) -> None:
        """A citizen's call queued, offered to ``agent``, answered and ended."""
        self.bus.publish(
            "call.ivr_started",
            {
                "call_id": call_id,
                "caller": "13800000021",
                "channel": "PJSIP/t",
                "dialed": "12345",
                "at": at(0),
            },
        )
        base = {"call_id": call_id, "queue": "general", "tags": []}
        steps: list[tuple[str, float, str | None, str]] = [
            ("waiting", queued, None, "queued"),
            ("offered", answered - 1, agent, "offered"),
            ("connected", answered, agent, "answered"),
            ("ended", ended, agent, "finished"),
        ]
        for state, when, agent_id, reason in steps:
            data = {"state": state, "agent_id": agent_id, "reason": reason, "waited_s": answered - queued}
            self.bus.publish("call.changed", base | data | {"at": at(when)})

    def agent(self, agent_id: str, when: float, state: str, call_id: str | None = None, **extra: Any) -> None:
        """An ``agent.changed`` of ``agent_id``."""
        data = {"status": "available", "pause_reason": None} | extra
        self.bus.publish(
            "agent.changed",
            {"agent_id": agent_id, "state": state, "call_id": call_id, "at": at(when)} | data,
        )

    async def write_all(self) -> None:
        """Run the recorder until everything published is written."""
        task = asyncio.create_task(self.recorder.run())
        try:
            await self.recorder.drained()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self.recorder.close()


def kpis(session: Session, interval: timedelta | None = None) -> list[QueueKpis]:
    """The centre's KPIs over the hour from T0, at NOW."""
    return queue_kpis(session, start=T0, end=T0 + timedelta(hours=1), interval=interval, now=NOW)


async def record_shift(sessions: sessionmaker[Session]) -> None:
    """c: 60 s talk, 30 s wrap-up (a pause chosen during it); d: 30 s talk, no wrap-up; e: 60 s talk,
    30 s wrap-up ended by the next call f; f: 10 s talk, still in wrap-up at NOW (100 s by then)."""
    n = Centre(sessions)
    n.agent("1001", 5, "idle")
    n.agent("1002", 5, "idle")
    n.call("c", "1001", 5, 10, 70)
    n.agent("1001", 10, "on_call", "c")
    n.agent("1001", 70, "wrap_up")
    n.agent("1001", 80, "wrap_up", status="paused", pause_reason="小休")
    n.agent("1001", 100, "idle", status="paused", pause_reason="小休")
    n.call("d", "1002", 15, 20, 50)
    n.agent("1002", 20, "on_call", "d")
    n.agent("1002", 50, "idle")
    n.call("e", "1001", 150, 200, 260)
    n.agent("1001", 200, "on_call", "e")
    n.agent("1001", 260, "wrap_up")
    n.call("f", "1001", 280, 290, 300)
    n.agent("1001", 290, "on_call", "f")
    n.agent("1001", 300, "wrap_up")
    await n.write_all()


async def test_recorder_writes_wrap_up_when_it_ends(sessions: sessionmaker[Session]) -> None:
    await record_shift(sessions)

    with sessions() as s:
        rows = {c.call_id: (c.talk_seconds, c.wrap_seconds) for c in s.query(Call).order_by(Call.call_id)}
    assert rows == {"c": (60.0, 30.0), "d": (30.0, 0.0), "e": (60.0, 30.0), "f": (10.0, None)}


async def test_kpis_from_recorded_handle_times_equal_those_from_the_state_log(
    sessions: sessionmaker[Session],
) -> None:
    await record_shift(sessions)

    with sessions() as s:
        recorded = kpis(s)
        per_quarter = kpis(s, timedelta(minutes=15))
        s.execute(update(Call).values(wrap_seconds=None))
        s.flush()
        from_log = kpis(s)
        from_log_per_quarter = kpis(s, timedelta(minutes=15))
        s.rollback()

    assert recorded == from_log
    assert per_quarter == from_log_per_quarter
    # (60 + 30) + (30 + 0) + (60 + 30) + (10 + 100) over 4 answered calls
    assert (recorded[0].answered, recorded[0].aht_s) == (4, 80.0)


async def test_recorded_handle_times_do_not_read_the_state_log(sessions: sessionmaker[Session]) -> None:
    await record_shift(sessions)

    with sessions() as s:
        s.execute(delete(AgentStateLog).where(AgentStateLog.agent_id == "1002"))
        s.flush()
        kept = kpis(s)[0]
        s.execute(update(Call).values(wrap_seconds=None))
        s.flush()
        lost = kpis(s)[0]
        s.rollback()

    assert kept.aht_s == 80.0
    # without the record, d's handling is gone with agent 1002's log: (90 + 90 + 110) / 3
    assert lost.aht_s == 96.7


def test_tracker_writes_nothing_across_a_gap_in_the_events() -> None:
    t = HandlingTracker()
    assert t.changed("1001", "on_call", "a", 0.0) is None
    assert t.changed("1001", "on_call", "a", 5.0) is None
    assert t.changed("1001", "on_call", "b", 60.0) is None
    assert t.changed("1001", "wrap_up", None, 90.0) is None
    assert t.changed("1001", "wrap_up", None, 95.0) is None
    assert t.changed("1001", "logged_out", None, 100.0) == ("b", 10.0)
    assert t.changed("1001", "idle", None, 110.0) is None
    assert t.changed("1002", "wrap_up", None, 120.0) is None
