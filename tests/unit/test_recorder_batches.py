"""The recorder writes the events it has at hand in one transaction, on a real SQLite file: in the
order they were published, and a refused write costs only itself (the batch is made again write by
write)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from hotline.bus import EventBus
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.recorder import BATCH_EVENTS, Recorder

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def at(seconds: float) -> float:
    return (T0 + timedelta(seconds=seconds)).timestamp()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate(url)
    eng = make_engine(url)
    sm = session_factory(eng)
    repo.upsert_agent(sm, agent_id="1001", name="1001", contact="PJSIP/1001", skills={})
    yield eng
    eng.dispose()


def commits_of(engine: Engine) -> list[int]:
    """A list that grows by one at each commit on ``engine``."""
    seen: list[int] = []
    event.listen(engine, "commit", lambda _conn: seen.append(1))
    return seen


def publish_call(bus: EventBus, call_id: str, agent_id: str, t: float) -> None:
    """A citizen's call from the IVR to the survey, as the IVR, the ACD and the agent state publish it."""
    base = {"queue": "general", "agent_id": None, "waited_s": 0.0}
    bus.publish(
        "call.ivr_started",
        {"call_id": call_id, "caller": "13800000031", "channel": "PJSIP/t-1", "dialed": "12345", "at": at(t)},
    )
    ivr_end = {"queue": "general", "keys": "0", "flow_version": "v1", "reason": "queue"}
    bus.publish("call.ivr_finished", {"call_id": call_id, "at": at(t + 3)} | ivr_end)
    changes: list[tuple[str, float, dict[str, Any]]] = [
        ("waiting", 3, {"reason": "queued"}),
        ("offered", 4, {"reason": "offered", "agent_id": agent_id}),
        ("connected", 6, {"reason": "answered", "agent_id": agent_id, "waited_s": 3.0}),
        ("ended", 30, {"reason": "finished", "agent_id": agent_id, "waited_s": 3.0}),
    ]
    for state, dt, extra in changes:
        bus.publish("call.changed", {"call_id": call_id, "state": state, "at": at(t + dt)} | base | extra)
    survey = {"score": 5, "key": "1", "flow_version": "v1"}
    bus.publish("call.survey", {"call_id": call_id, "at": at(t + 40)} | survey)


async def write_all(recorder: Recorder) -> None:
    task = asyncio.create_task(recorder.run())
    try:
        await recorder.drained()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        recorder.close()


CALL_KINDS = ["ivr_started", "ivr_finished", "waiting", "offered", "connected", "ended", "survey"]


async def test_given_calls_queued_together_then_written_in_one_transaction_in_publish_order(
    engine: Engine,
) -> None:
    sm = session_factory(engine)
    bus = EventBus()
    recorder = Recorder(bus=bus, sessions=sm)
    for n in range(3):
        publish_call(bus, f"c{n}", "1001", 100 * n)
    commits = commits_of(engine)

    await write_all(recorder)

    assert len(commits) == 1
    for n in range(3):
        assert [e.kind for e in repo.call_events(sm, call_id=f"c{n}")] == CALL_KINDS
        call = repo.get_call(sm, call_id=f"c{n}")
        assert call is not None
        assert (call.outcome, call.agent_id, call.talk_seconds, call.survey_score) == (
            "answered",
            "1001",
            24.0,
            5,
        )


async def test_given_more_events_than_a_batch_then_several_transactions_write_them_all(
    engine: Engine,
) -> None:
    sm = session_factory(engine)
    bus = EventBus()
    recorder = Recorder(bus=bus, sessions=sm)
    calls = BATCH_EVENTS // 7 + 5
    for n in range(calls):
        publish_call(bus, f"c{n}", "1001", n)
    commits = commits_of(engine)

    await write_all(recorder)

    assert len(commits) == 2
    assert len(repo.list_calls(sm, since=T0)) == calls
    assert all(c.survey_score == 5 for c in repo.list_calls(sm, since=T0))


async def test_given_a_refused_write_among_others_then_only_it_is_left_out(engine: Engine) -> None:
    sm = session_factory(engine)
    bus = EventBus()
    recorder = Recorder(bus=bus, sessions=sm)
    publish_call(bus, "good-1", "1001", 0)
    publish_call(bus, "refused", "9999", 100)
    publish_call(bus, "good-2", "1001", 200)
    commits = commits_of(engine)

    await write_all(recorder)

    assert len(commits) > 1
    for call_id in ("good-1", "good-2"):
        call = repo.get_call(sm, call_id=call_id)
        assert call is not None
        assert (call.outcome, call.agent_id, call.survey_score) == ("answered", "1001", 5)
        assert [e.kind for e in repo.call_events(sm, call_id=call_id)] == CALL_KINDS
    refused = repo.get_call(sm, call_id="refused")
    assert refused is not None
    assert (refused.agent_id, refused.offered_at, refused.answered_at) == (None, None, None)
    assert refused.survey_score == 5
    assert [e.kind for e in repo.call_events(sm, call_id="refused")] == CALL_KINDS
