"""``hotline simulate`` against a running centre: every offered call reaches a person, none is lost."""

from __future__ import annotations

import pytest

from hotline.ami.client import AmiClient
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.simulate import Simulation, SimulationPlan
from tests.integration.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.asterisk


async def test_given_20_calls_and_3_agents_when_simulated_then_all_answered_and_none_lost(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    c = sandbox.config
    ami = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
    await ami.start()
    try:
        plan = SimulationPlan(
            calls=20, agents=3, talk_s=1.0, ring_s=0.2, wrapup_s=0.2, interval_s=0.1, timeout_s=150.0
        )
        summary = await Simulation(
            plan=plan, base_url=centre.url, ami=ami, admin_password=ADMIN_PASSWORD
        ).execute()
    finally:
        await ami.close()
    assert summary["calls_offered"] == 20
    assert summary["answered"] == 20, summary
    assert summary["lost"] == 0
    assert summary["abandoned"] == 0
    assert summary["wait_s"]["p50"] is not None


async def test_given_a_ring_no_answer_agent_when_simulated_then_calls_are_rerouted_and_none_lost(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    c = sandbox.config
    ami = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
    await ami.start()
    try:
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
        summary = await Simulation(
            plan=plan, base_url=centre.url, ami=ami, admin_password=ADMIN_PASSWORD
        ).execute()
    finally:
        await ami.close()
    assert summary["answered"] == 6, summary
    assert summary["lost"] == 0
