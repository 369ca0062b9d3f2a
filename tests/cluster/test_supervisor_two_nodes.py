"""Supervision on two real Asterisk nodes: a call held by the second node is listened to from that node
(ChanSpy sees only its own node), and the mode switch reaches the spy channel there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.app import Centre, ensure_admin
from hotline.sandbox.cluster import SandboxCluster
from hotline.settings import Settings
from tests.conftest import free_port
from tests.integration.calls import CallDriver
from tests.integration.conftest import ADMIN_PASSWORD, WORKING_MORNING
from tests.integration.supervision import SUPERVISOR_HZ, TONES, supervised_call
from tests.integration.tones import Ears

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.timeout(240)]


@pytest.fixture
async def centre(cluster: SandboxCluster, tmp_path: Path) -> AsyncIterator[Centre]:
    """One centre over both nodes."""
    base = cluster.nodes[0].config
    settings = Settings(
        state_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'hotline.db'}",
        http_port=free_port(),
        asterisk_mode="external",
        ami_nodes=",".join(f"{b.config.instance}=127.0.0.1:{b.config.ami_port}" for b in cluster.nodes),
        ami_username=base.ami_username,
        ami_secret=base.ami_secret,
        fastagi_port=base.fastagi_port,
        wrapup_seconds=1.0,
        ring_timeout_seconds=6.0,
        ivr_digit_timeout_seconds=2.0,
        admin_password=ADMIN_PASSWORD,
    )
    c = Centre(settings=settings, ami_secret=base.ami_secret, clock=lambda: WORKING_MORNING)
    ensure_admin(c.sessions, settings)
    await c.start()
    try:
        yield c
    finally:
        await c.stop()


@pytest.fixture
async def drivers(cluster: SandboxCluster) -> AsyncIterator[list[CallDriver]]:
    """One call driver per node."""
    out = [CallDriver(box.config) for box in cluster.nodes]
    for d in out:
        await d.start()
    yield out
    for d in out:
        await d.close()


async def test_given_a_call_on_the_second_node_when_barging_in_then_the_spy_runs_there_and_both_hear_it(
    centre: Centre, drivers: list[CallDriver], cluster: SandboxCluster
) -> None:
    first, second = drivers
    s = await supervised_call(centre, second, cluster.nodes[1], queues=["general"])
    try:
        resp = await s.post("/api/supervisor/agents/ag1/listen", {"mode": "listen"})
        assert resp.status_code == 201, resp.text
        session_id = resp.json()["session_id"]
        await second.wait_event(lambda e: e.name == "ChanSpyStart" and e.get("SpyerUniqueid") == session_id)
        assert not [
            e for e in first.events if e.event.get("Channel", "").startswith(f"Local/{SUPERVISOR_HZ}@")
        ]
        resp = await s.supervisor.http.put(
            f"/api/supervisor/sessions/{session_id}/mode", json={"mode": "barge"}, headers=s.supervisor.auth
        )
        assert resp.status_code == 200, resp.text
        ears = Ears(
            cluster.nodes[1],
            second,
            {"caller": s.citizen_channel, "agent": f"{s.agent_leg}-2", "supervisor": f"{session_id}-2"},
        )
        assert await ears.who_hears("two-nodes-barge", TONES) == {
            "caller": {"agent", "supervisor"},
            "agent": {"caller", "supervisor"},
            "supervisor": {"caller", "agent"},
        }
    finally:
        await s.close()
