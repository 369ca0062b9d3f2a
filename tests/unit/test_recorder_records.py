"""The recorder on a real SQLite file: consultation legs are not citizen calls, and the static fallback
queue's events, which every app node publishes, are recorded once whatever the order of the nodes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.bus import EventBus
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.recorder import Recorder, has_consult_tag

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CITIZEN = "13800000021"


def at(seconds: float) -> float:
    """The epoch timestamp ``seconds`` after T0, as the bus carries it."""
    return (T0 + timedelta(seconds=seconds)).timestamp()


def when(seconds: float) -> datetime:
    """The recorded timestamp ``seconds`` after T0."""
    return T0 + timedelta(seconds=seconds)


class Node:
    """One app node's bus and recorder, writing to the shared database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.bus = EventBus()
        self.recorder = Recorder(bus=self.bus, sessions=sessions)

    async def write_all(self) -> None:
        """Run the recorder until everything published so far is written."""
        task = asyncio.create_task(self.recorder.run())
        try:
            await self.recorder.drained()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self.recorder.close()

    def changed(self, call_id: str, state: str, seconds: float, **extra: Any) -> None:
        """Publish a ``call.changed`` as the ACD service does."""
        data = {"queue": "general", "agent_id": None, "reason": state, "waited_s": 0.0} | extra
        self.bus.publish("call.changed", {"call_id": call_id, "state": state, "at": at(seconds)} | data)

    def fallback(
        self, call_id: str, seconds: float, *, channel: str, answered_by: str | None = None, dialled: str = ""
    ) -> None:
        """Publish what the AMI consumer publishes for a caller in the static fallback queue."""
        self.bus.publish(
            "call.fallback",
            {
                "call_id": call_id,
                "caller": CITIZEN,
                "channel": channel,
                "reason": "heartbeat_stale",
                "dialled": dialled,
                "at": at(seconds),
            },
        )
        if answered_by is not None:
            self.bus.publish(
                "call.fallback_answered",
                {"call_id": call_id, "member": answered_by, "waited_s": 12.0, "at": at(seconds + 12)},
            )
        self.bus.publish("call.fallback_ended", {"call_id": call_id, "at": at(seconds + 60)})


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


def kinds(sm: sessionmaker[Session], call_id: str) -> list[str]:
    """The kinds of a call's recorded events, in order."""
    return [e.kind for e in repo.call_events(sm, call_id=call_id)]


def test_consult_tag_is_found_in_text_or_list() -> None:
    assert has_consult_tag("vip,consult")
    assert has_consult_tag(["consult"])
    assert not has_consult_tag("vip,consultant")
    assert not has_consult_tag(None)


async def test_given_attended_transfer_to_a_queue_then_stand_in_is_a_consultation_and_citizen_call_shows_it(
    sessions: sessionmaker[Session],
) -> None:
    n = Node(sessions)
    n.bus.publish(
        "call.ivr_started",
        {"call_id": "c", "caller": CITIZEN, "channel": "PJSIP/trunk-1", "dialed": "12345", "at": at(0)},
    )
    n.changed("c", "waiting", 5, reason="queued")
    n.changed("c", "offered", 6, agent_id="1001", reason="offered")
    n.changed("c", "connected", 7, agent_id="1001", reason="answered", waited_s=2.0)
    consult = {"call_id": "c", "agent_id": "1001", "target": "queue:enterprise", "queue": "general"}
    n.bus.publish("call.consult", consult | {"phase": "started", "at": at(30)})
    n.changed("s", "waiting", 31, queue="enterprise", reason="queued")
    n.changed("s", "offered", 32, queue="enterprise", agent_id="1002", reason="offered")
    offer = {"call_id": "s", "agent_id": "1002", "caller": CITIZEN, "queue": "enterprise"}
    n.bus.publish("agent.offer", offer | {"ivr": {"keys": "", "tags": "consult"}})
    n.changed("s", "connected", 33, queue="enterprise", agent_id="1002", reason="answered", waited_s=2.0)
    n.bus.publish("call.consult", consult | {"phase": "completed", "at": at(50)})
    n.changed("c", "ended", 50, agent_id="1001", reason="finished", waited_s=2.0)
    n.changed("s", "ended", 200, queue="enterprise", agent_id="1002", reason="finished", waited_s=2.0)
    await n.write_all()

    assert [c.call_id for c in repo.list_calls(sessions)] == ["c"]
    stand_ins = repo.list_calls(sessions, kind="consult")
    assert [(s.call_id, s.agent_id, s.outcome, s.talk_seconds) for s in stand_ins] == [
        ("s", "1002", "answered", 167.0)
    ]
    citizen = repo.get_call(sessions, call_id="c")
    assert citizen is not None
    assert (citizen.kind, citizen.agent_id, citizen.outcome, citizen.talk_seconds) == (
        "citizen",
        "1001",
        "answered",
        43.0,
    )
    steps = [(e.kind, e.detail.get("phase")) for e in repo.call_events(sessions, call_id="c")]
    assert ("consult", "started") in steps
    assert ("consult", "completed") in steps
    assert repo.calls_from_caller(sessions, caller=CITIZEN, since=T0, before=when(3600)) == [citizen]


async def test_given_call_changed_with_consult_tag_then_an_unoffered_consultation_is_no_abandoned_call(
    sessions: sessionmaker[Session],
) -> None:
    n = Node(sessions)
    n.changed("s", "waiting", 0, queue="enterprise", reason="queued", tags="consult")
    n.changed("s", "ended", 20, queue="enterprise", reason="abandoned", waited_s=20.0, tags="consult")
    await n.write_all()

    assert repo.list_calls(sessions) == []
    row = repo.get_call(sessions, call_id="s")
    assert row is not None
    assert (row.kind, row.outcome, row.wait_seconds) == ("consult", "abandoned", 20.0)


async def test_given_consultation_leg_sent_to_fallback_then_it_is_recorded_as_consultation(
    sessions: sessionmaker[Session],
) -> None:
    n = Node(sessions)
    n.fallback("s", 0, channel="Local/s@hotline-consult-wait-0000002a;2", answered_by="Local/1001@phones")
    await n.write_all()

    row = repo.get_call(sessions, call_id="s")
    assert row is not None
    assert (row.kind, row.caller, row.dialed, row.outcome) == ("consult", CITIZEN, "", "answered")
    assert repo.list_calls(sessions) == []
    assert repo.count_calls_from_caller(sessions, caller=CITIZEN, since=T0, before=when(3600)) == 0


async def test_given_a_caller_of_an_old_hotline_number_sent_to_fallback_then_that_number_is_recorded(
    sessions: sessionmaker[Session],
) -> None:
    n = Node(sessions)
    n.fallback("old", 0, channel="PJSIP/carrier_a-0000003", dialled="12333")
    await n.write_all()

    row = repo.get_call(sessions, call_id="old")
    assert row is not None
    assert row.dialed == "12333"


async def test_given_two_nodes_publish_the_same_fallback_then_each_step_is_recorded_once(
    sessions: sessionmaker[Session],
) -> None:
    a, b = Node(sessions), Node(sessions)
    a.fallback("f", 0, channel="PJSIP/trunk-0000001", answered_by="Local/1001@phones")
    b.fallback("f", 0.004, channel="PJSIP/trunk-0000001", answered_by="Local/1001@phones")
    await asyncio.gather(a.write_all(), b.write_all())

    row = repo.get_call(sessions, call_id="f")
    assert row is not None
    assert (row.kind, row.dialed, row.queue, row.outcome, row.wait_seconds) == (
        "citizen",
        "12345",
        "hotline-fallback",
        "answered",
        12.0,
    )
    assert kinds(sessions, "f") == ["fallback", "answered", "hangup"]
    assert row.ended_at in (when(60), when(60.004))


@pytest.mark.parametrize("acd_node_first", [True, False])
async def test_given_acd_gives_up_a_call_for_fallback_then_the_record_ends_alike_in_either_node_order(
    sessions: sessionmaker[Session], acd_node_first: bool
) -> None:
    acd_node, other = Node(sessions), Node(sessions)
    acd_node.changed("f", "waiting", 0, reason="queued")
    acd_node.changed("f", "ended", 30, reason="abandoned", waited_s=30.0)
    for n in (acd_node, other):
        n.fallback("f", 30, channel="PJSIP/trunk-0000002", answered_by="Local/1002@phones")
    for n in (acd_node, other) if acd_node_first else (other, acd_node):
        await n.write_all()

    row = repo.get_call(sessions, call_id="f")
    assert row is not None
    assert (row.outcome, row.answered_at, row.ended_at, row.wait_seconds) == (
        "answered",
        when(42),
        when(90),
        12.0,
    )
    assert sorted(kinds(sessions, "f")) == ["answered", "ended", "fallback", "hangup", "waiting"]


async def test_given_call_answered_on_one_node_when_another_sees_it_abandoned_later_then_still_answered(
    sessions: sessionmaker[Session],
) -> None:
    first, second = Node(sessions), Node(sessions)
    first.changed("c", "waiting", 0, reason="queued")
    first.changed("c", "offered", 1, agent_id="1001", reason="offered")
    first.changed("c", "connected", 2, agent_id="1001", reason="answered", waited_s=2.0)
    first.changed("c", "ended", 40, agent_id="1001", reason="finished", waited_s=2.0)
    second.changed("c", "waiting", 41, reason="queued")
    second.changed("c", "ended", 70, reason="abandoned", waited_s=29.0)
    await first.write_all()
    await second.write_all()

    row = repo.get_call(sessions, call_id="c")
    assert row is not None
    assert (row.outcome, row.agent_id, row.wait_seconds, row.talk_seconds, row.ended_at) == (
        "answered",
        "1001",
        2.0,
        38.0,
        when(70),
    )
