"""Two app processes share one Redis and one Asterisk: a burst of calls and agent changes, no double offer.

A supervisor's desktop on node A also sees the agent changes made through node B (the bus relay).
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.app_nodes import node_pair
from tests.integration.calls import CallDriver, SeenEvent, eventually
from tests.integration.desktop import DesktopClient, frame_of

pytestmark = [pytest.mark.asterisk, pytest.mark.redis, pytest.mark.timeout(240)]

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ADMIN = "two-nodes-admin"
AGENTS = [f"76{i:02d}" for i in range(6)]


@pytest.fixture
def two_nodes(sandbox: AsteriskSandbox, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Node A serves FastAGI; both run the ACD on one Redis prefix and one database."""
    with node_pair(sandbox, tmp_path, redis_url=REDIS_URL, admin_password=ADMIN) as pair:
        yield pair.urls[0], pair.urls[1]


class LegWatch:
    """Agent legs from AMI: which call each leg carries, and how many are live per agent and per call."""

    def __init__(self) -> None:
        self.call_of_leg: dict[str, str] = {}
        self.live_by_agent: dict[str, set[str]] = defaultdict(set)
        self.max_per_agent = 0
        self.max_per_call = 0
        self.bridged: dict[str, int] = defaultdict(int)

    def feed(self, item: SeenEvent) -> None:
        e = item.event
        channel = e.get("Channel", "")
        agent = channel[6:10] if channel.startswith("Local/76") and channel.endswith(";1") else ""
        if e.name == "VarSet" and agent and e.get("Variable") == "HOTLINE_CALL_ID":
            self.call_of_leg[channel] = e.get("Value", "")
            self.live_by_agent[agent].add(channel)
            self.max_per_agent = max(self.max_per_agent, len(self.live_by_agent[agent]))
            live_calls = [self.call_of_leg[leg] for legs in self.live_by_agent.values() for leg in legs]
            self.max_per_call = max(self.max_per_call, max(live_calls.count(x) for x in live_calls))
        elif e.name == "Hangup" and agent:
            self.live_by_agent[agent].discard(channel)
        elif e.name == "BridgeEnter" and e.get("Uniqueid", "").endswith("-in"):
            self.bridged[e.get("Uniqueid", "")] += 1


async def test_given_two_nodes_when_burst_of_calls_and_status_changes_then_no_double_offer(
    two_nodes: tuple[str, str], driver: CallDriver
) -> None:
    url_a, url_b = two_nodes
    admin = DesktopClient(url_a)
    await admin.sign_in("admin", ADMIN)
    for agent in AGENTS:
        await admin.put_agent(
            agent,
            name=agent,
            contact=f"Local/{agent}*1*0.2@hotline-sim-agent",
            skills={"general": 1, "enterprise": 1},
            password=f"pw-{agent}",
        )
    await admin.connect()
    desks = []
    for i, agent in enumerate(AGENTS):
        desk = DesktopClient(url_a if i % 2 == 0 else url_b)
        await desk.sign_in(agent, f"pw-{agent}")
        await desk.status("available")
        desks.append(desk)
    for agent in AGENTS[1::2]:
        await admin.wait_frame(frame_of("agent_changed", agent_id=agent, status="available"), timeout=5)
    await admin.close()

    calls = await asyncio.gather(*(driver.call(f"1370000{n:04d}", keys="03"[n % 2]) for n in range(18)))
    for _ in range(3):
        for desk in desks[:2]:
            await desk.http.post(
                "/api/me/status", json={"status": "paused", "reason": "小休"}, headers=desk.auth
            )
            await desk.http.post("/api/me/status", json={"status": "available"}, headers=desk.auth)
        await asyncio.sleep(0.3)

    watch = LegWatch()
    seen = 0

    def all_bridged() -> bool:
        nonlocal seen
        for item in driver.events[seen:]:
            watch.feed(item)
        seen = len(driver.events)
        return all(watch.bridged.get(call.call_id, 0) >= 1 for call in calls)

    await eventually(all_bridged, timeout=150, interval=0.25)
    for desk in desks:
        await desk.close()
    assert watch.max_per_agent == 1, "an agent had two live legs: two calls offered to one agent"
    assert watch.max_per_call == 1, "a call rang two agents at once"
    assert all(watch.bridged[call.call_id] == 1 for call in calls)
