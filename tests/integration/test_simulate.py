"""``hotline simulate`` against a running centre: every offered call reaches a person, none is lost, also
with ring-no-answer agents, agents taking pauses and calls that only overflow can answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hotline.ami.client import AmiClient
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.simulate import Simulation, SimulationPlan
from tests.integration.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.asterisk


async def simulate(centre: Centre, sandbox: AsteriskSandbox, plan: SimulationPlan) -> dict[str, Any]:
    """Run ``plan`` against ``centre`` over an AMI connection of its own; the summary."""
    c = sandbox.config
    ami = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
    await ami.start()
    try:
        return await Simulation(
            plan=plan, base_url=centre.url, ami=ami, admin_password=ADMIN_PASSWORD
        ).execute()
    finally:
        await ami.close()


async def test_given_20_calls_and_3_agents_when_simulated_then_all_answered_and_none_lost(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    plan = SimulationPlan(
        calls=20, agents=3, talk_s=1.0, ring_s=0.2, wrapup_s=0.2, interval_s=0.1, timeout_s=150.0
    )
    summary = await simulate(centre, sandbox, plan)
    assert summary["calls_offered"] == 20
    assert summary["answered"] == 20, summary
    assert summary["lost"] == 0
    assert summary["abandoned"] == 0
    assert summary["wait_s"]["p50"] is not None


async def test_given_a_ring_no_answer_agent_when_simulated_then_calls_are_rerouted_and_none_lost(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    plan = SimulationPlan(
        calls=6,
        agents=3,
        no_answer_agents=1,
        talk_s=1.0,
        ring_s=0.2,
        wrapup_s=0.2,
        interval_s=0.1,
        timeout_s=120.0,
    )
    summary = await simulate(centre, sandbox, plan)
    assert summary["answered"] == 6, summary
    assert summary["lost"] == 0


async def test_given_rona_and_pausing_agents_and_a_queue_nobody_staffs_when_simulated_then_none_lost(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    """Key 3 goes to ``enterprise``; no simulated agent has that skill, so those calls are answered only
    once the shipped overflow (acd/queues.yaml) widens to general seats."""
    plan = SimulationPlan(
        calls=8,
        agents=3,
        no_answer_agents=1,
        pausing_agents=1,
        pause_every=1,
        pause_s=2.0,
        skills=("general",),
        keys=("0", "3"),
        talk_s=1.0,
        ring_s=0.2,
        wrapup_s=0.2,
        interval_s=0.1,
        timeout_s=55.0,
    )
    summary = await simulate(centre, sandbox, plan)
    assert summary["lost"] == 0, summary
    assert (summary["answered"], summary["abandoned"]) == (8, 0), summary
    assert summary["rona_events"] >= 1, summary
    assert summary["requeued"] >= 1, summary
    assert summary["pauses_taken"] >= 1, summary
    assert set(summary["pause_reasons"]) <= {"小休", "就餐"}
    assert summary["queues"]["enterprise"] == {"calls": 4, "answered": 4, "overflowed": 4}, summary
    assert summary["overflowed"] == 4
    assert summary["overflow_steps"] >= 4
    assert summary["wait_s"]["max"] >= 15.0
    assert summary["events_missed"] == 0
    print(json.dumps(summary, ensure_ascii=False))
