"""Recordings on two real Asterisk nodes: a call held by the second node is recorded there (MixMonitor
over that node's AMI link) and its files are taken from that node's spool into the one recordings root."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.app import Centre, ensure_admin
from hotline.sandbox.cluster import SandboxCluster
from hotline.settings import Settings
from recordings.store import recordings_of_call
from tests.conftest import free_port
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import ADMIN_PASSWORD, WORKING_MORNING
from tests.integration.supervision import AGENT_HZ, CALLER_HZ, TONES, supervised_call
from tests.integration.tones import heard, tone_levels

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.timeout(240)]


@pytest.fixture
async def centre(cluster: SandboxCluster, tmp_path: Path) -> AsyncIterator[Centre]:
    """One centre over both nodes, reading each node's own monitor spool."""
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
        recordings_dir=tmp_path / "rec-root",
        recordings_spools=",".join(f"{b.config.instance}={b.recordings_dir}" for b in cluster.nodes),
    )
    c = Centre(settings=settings, ami_secret=base.ami_secret, clock=lambda: WORKING_MORNING)
    ensure_admin(c.sessions, settings)
    await c.start()
    try:
        yield c
    finally:
        await c.stop()


async def test_given_a_call_on_the_second_node_then_it_is_recorded_there_and_filed_in_the_root(
    centre: Centre, drivers: list[CallDriver], cluster: SandboxCluster, tmp_path: Path
) -> None:
    second = cluster.nodes[1]
    s = await supervised_call(centre, drivers[1], second, queues=["general"])
    try:
        await asyncio.sleep(3.0)
        await drivers[1].hang_up(s.citizen_channel)
        await eventually(
            lambda: [r.status for r in recordings_of_call(centre.sessions, s.call_id)] == ["saved", "saved"],
            timeout=30.0,
        )
    finally:
        await s.close()
    caller, agent = recordings_of_call(centre.sessions, s.call_id)
    assert (caller.node, agent.node) == (second.config.instance, second.config.instance)
    root = tmp_path / "rec-root"
    assert heard(tone_levels(root / caller.path, TONES.values(), skip_s=1.0)) == {CALLER_HZ}
    assert heard(tone_levels(root / agent.path, TONES.values(), skip_s=1.0)) == {AGENT_HZ}
    for box in cluster.nodes:
        assert not list((box.recordings_dir / "hotline-rec").glob(f"{caller.recording_id[:-7]}*"))
