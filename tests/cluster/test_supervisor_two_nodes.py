"""Supervision on two real Asterisk nodes: a call held by the second node is listened to from that node
(ChanSpy sees only its own node), and the mode switch reaches the spy channel there."""

from __future__ import annotations

import pytest

from hotline.app import Centre
from hotline.sandbox.cluster import SandboxCluster
from tests.integration.calls import CallDriver
from tests.integration.supervision import SUPERVISOR_HZ, TONES, supervised_call
from tests.integration.tones import Ears

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.timeout(240)]


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
