"""Two app nodes on one Asterisk and one PostgreSQL database record a fallback-queue call once.

Each node is what ``hotline.app.Centre`` wires for it: its own AMI connection, ACD service, AMI consumer,
bus and recorder. With the FastAGI service down, the citizen goes straight to the static fallback queue;
both nodes hear the same AMI events and both publish ``call.fallback``, ``call.fallback_answered`` and
``call.fallback_ended``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from acd.ami_consume import AmiConsumer
from acd.engine import AcdEngine
from acd.model import QueueConfig
from acd.service import AcdService
from acd.store import MemoryStore
from agent_desktop.hub import DesktopHub
from hotline.ami.client import AmiClient
from hotline.bus import EventBus, Subscription
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.recorder import Recorder
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.calls import CallDriver, user_event
from tests.pg import scratch_database

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(120)]

FALLBACK_EXTENSION = "1003"
FALLBACK_PHONE = "Local/7103*1*0.2@hotline-sim-agent"


class Node:
    """The parts of one app node that turn AMI events into records."""

    def __init__(self, sandbox: AsteriskSandbox, sessions: sessionmaker[Session]) -> None:
        c = sandbox.config
        self.bus = EventBus()
        self.ami = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
        engine = AcdEngine(queues=[QueueConfig("general", "general")], store=MemoryStore())
        self.acd = AcdService(
            engine=engine, ami=self.ami, bus=self.bus, notifier=DesktopHub(self.bus), ring_timeout_s=6.0
        )
        AmiConsumer(ami=self.ami, service=self.acd, bus=self.bus).install()
        self.recorder = Recorder(bus=self.bus, sessions=sessions)
        self.ended: Subscription = self.bus.subscribe("call.fallback_ended")
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Record, and listen to Asterisk."""
        self._task = asyncio.create_task(self.recorder.run())
        await self.ami.start()

    async def stop(self) -> None:
        """Stop listening; everything published is written first."""
        await self.acd.close()
        await self.ami.close()
        await self.recorder.drained()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.recorder.close()


@pytest.fixture
def shared_db() -> Iterator[sessionmaker[Session]]:
    """A migrated scratch PostgreSQL database both nodes write to."""
    with scratch_database("hotline_fallback_nodes") as url:
        migrate(url)
        engine = make_engine(url)
        try:
            yield session_factory(engine)
        finally:
            engine.dispose()


@pytest.fixture
async def nodes(sandbox: AsteriskSandbox, shared_db: sessionmaker[Session]) -> AsyncIterator[list[Node]]:
    """Two running nodes."""
    started = [Node(sandbox, shared_db), Node(sandbox, shared_db)]
    for node in started:
        await node.start()
    try:
        yield started
    finally:
        for node in started:
            await node.stop()


async def _contact(driver: CallDriver, contact: str | None) -> None:
    if contact is None:
        await driver.ami.send_action(
            {"Action": "DBDel", "Family": "hotline/contact", "Key": FALLBACK_EXTENSION}
        )
        return
    await driver.ami.send_action(
        {"Action": "DBPut", "Family": "hotline/contact", "Key": FALLBACK_EXTENSION, "Val": contact}
    )


async def test_given_two_nodes_when_caller_is_answered_in_fallback_queue_then_each_step_is_recorded_once(
    nodes: list[Node], shared_db: sessionmaker[Session], driver: CallDriver
) -> None:
    await _contact(driver, FALLBACK_PHONE)
    try:
        call = await driver.call("13600136011", keys="")
        fallback = await driver.wait_event(user_event("HotlineFallback", call.call_id), timeout=20)
        assert fallback.event.get("Reason") == "agi_FAILURE"
        for node in nodes:
            while (event := await asyncio.wait_for(node.ended.get(), 30)).data["call_id"] != call.call_id:
                pass
            assert event.topic == "call.fallback_ended"
        for node in nodes:
            await node.recorder.drained()
    finally:
        await _contact(driver, None)

    events = repo.call_events(shared_db, call_id=call.call_id)
    assert [(e.kind, e.once_key) for e in events] == [
        ("fallback", "call.fallback"),
        ("answered", "call.fallback_answered"),
        ("hangup", "call.fallback_ended"),
    ]
    assert dict(events[1].detail)["via"] == "fallback"
    row = repo.get_call(shared_db, call_id=call.call_id)
    assert row is not None
    assert (row.kind, row.caller, row.dialed, row.queue, row.outcome) == (
        "citizen",
        "13600136011",
        "12345",
        "hotline-fallback",
        "answered",
    )
    assert row.answered_at is not None
    assert row.ended_at is not None
    assert row.answered_at <= row.ended_at
    assert [c.call_id for c in repo.list_calls(shared_db)] == [call.call_id]
