"""An offer outlives the app node that rang it: two app processes share Redis, the database and the
session's Asterisk; node B rings an agent for a waiting caller and is SIGKILLed while the phone rings.

Node B alone knew that agent leg, so before the leg directory (acd.leg_directory) the call stayed
"offered" for good: an agent who answered talked on a call the records never saw answered (it ended
"abandoned" when the caller hung up), and a phone nobody answered left the caller on hold music with no
agent ever offered again. Now node A adopts the leg once B should have settled it and settles it from
Asterisk's view.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from acd.model import AgentState
from acd.store_redis import RedisStore
from hotline.db import repository as repo
from hotline.db.engine import make_engine, session_factory
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.app_nodes import node_pair
from tests.integration.calls import CallDriver, eventually
from tests.integration.desktop import DesktopClient

pytestmark = [pytest.mark.asterisk, pytest.mark.redis, pytest.mark.timeout(180)]

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ADMIN = "offer-node-admin"
RING_TIMEOUT_S = 6
ADOPTED_WITHIN_S = 60.0
"""The ring timeout, the ringing node's own watch (5 s) and the wait before adoption (10 s), with room."""


@dataclass
class Nodes:
    """Node A (serving FastAGI) and node B, their shared records and ACD store."""

    url_a: str
    url_b: str
    proc_b: subprocess.Popen[bytes]
    sessions: sessionmaker[Session]
    store: RedisStore


@pytest.fixture
def nodes(sandbox: AsteriskSandbox, tmp_path: Path) -> Iterator[Nodes]:
    with node_pair(
        sandbox, tmp_path, redis_url=REDIS_URL, admin_password=ADMIN, ring_timeout_s=RING_TIMEOUT_S
    ) as pair:
        engine = make_engine(pair.database_url)
        store = RedisStore.from_url(REDIS_URL, prefix=pair.prefix)
        try:
            yield Nodes(pair.urls[0], pair.urls[1], pair.procs[1], session_factory(engine), store)
        finally:
            store.r.close()
            engine.dispose()


async def agent(url: str, agent_id: str, contact: str) -> DesktopClient:
    """Agent ``agent_id`` (general) on the phone ``contact``, signed in on the node at ``url``."""
    admin = DesktopClient(url)
    await admin.sign_in("admin", ADMIN)
    await admin.put_agent(
        agent_id, name=agent_id, contact=contact, skills={"general": 1}, password=f"pw-{agent_id}"
    )
    await admin.close()
    desk = DesktopClient(url)
    await desk.sign_in(agent_id, f"pw-{agent_id}")
    return desk


async def rung_by_b_then_b_killed(
    nodes: Nodes, driver: CallDriver, desk_b: DesktopClient, agent_id: str, caller: str
) -> str:
    """A caller waits; agent ``agent_id`` on node B becomes available, so B rings them; B dies as the
    phone rings. The call's id."""
    call = await driver.call(caller, keys="0")

    def queued() -> bool:
        row = repo.get_call(nodes.sessions, call_id=call.call_id)
        return row is not None and row.queued_at is not None

    await eventually(queued, timeout=30)
    await desk_b.status("available")
    leg = await driver.wait_event(
        lambda e: e.name == "Newchannel" and e.get("Uniqueid", "").startswith("hl-"), timeout=20
    )
    nodes.proc_b.kill()
    nodes.proc_b.wait()
    assert leg.event.get("Channel", "").startswith(f"Local/{agent_id}*")
    return call.call_id


def answered_by(nodes: Nodes, call_id: str, agent_id: str) -> bool:
    row = repo.get_call(nodes.sessions, call_id=call_id)
    return row is not None and row.outcome == "answered" and row.agent_id == agent_id


async def test_given_the_ringing_node_killed_when_the_agent_answers_then_the_call_is_answered_and_ended(
    nodes: Nodes, driver: CallDriver
) -> None:
    desk = await agent(nodes.url_b, "7801", "Local/7801*30*3@hotline-sim-agent")  # rings 3 s, talks 30 s
    try:
        call_id = await rung_by_b_then_b_killed(nodes, driver, desk, "7801", "13700007801")
        await eventually(lambda: answered_by(nodes, call_id, "7801"), timeout=ADOPTED_WITHIN_S, interval=0.5)

        def talk_ended() -> bool:
            found = nodes.store.get_agent("7801")
            return found is not None and found.state is not AgentState.OFFERED and not found.current_call_id

        await eventually(talk_ended, timeout=45, interval=0.5)
        row = repo.get_call(nodes.sessions, call_id=call_id)
        assert row is not None
        assert row.talk_seconds is not None
        assert row.talk_seconds > 0
    finally:
        await desk.close()


async def test_given_the_ringing_node_killed_when_nobody_answers_then_the_caller_is_offered_again(
    nodes: Nodes, driver: CallDriver
) -> None:
    silent = await agent(nodes.url_b, "7802", "Local/7802*-1*0@hotline-sim-agent")  # never answers
    other = await agent(nodes.url_a, "7803", "Local/7803*2*0.2@hotline-sim-agent")
    try:
        call_id = await rung_by_b_then_b_killed(nodes, driver, silent, "7802", "13700007802")
        await other.status("available")
        await eventually(lambda: answered_by(nodes, call_id, "7803"), timeout=ADOPTED_WITHIN_S, interval=0.5)
        stuck = nodes.store.get_agent("7802")
        assert stuck is not None
        assert stuck.state is not AgentState.OFFERED, "the agent who never answered is no longer offered"
    finally:
        await silent.close()
        await other.close()
