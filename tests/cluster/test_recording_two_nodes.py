"""Recordings on two real Asterisk nodes: a call held by the second node is recorded there (MixMonitor
over that node's AMI link) and its files are taken from that node's spool into the one recordings root."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.app import Centre
from hotline.sandbox.cluster import SandboxCluster
from hotline.settings import Settings
from recordings.store import recordings_of_call
from tests.cluster.conftest import cluster_settings
from tests.integration.calls import CallDriver, eventually
from tests.integration.supervision import AGENT_HZ, CALLER_HZ, TONES, supervised_call
from tests.integration.tones import heard, tone_levels

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.timeout(240)]


@pytest.fixture
def centre_settings(cluster: SandboxCluster, tmp_path: Path) -> Settings:
    """The centre reads each node's own monitor spool (the conftest's centre runs with these)."""
    return cluster_settings(
        cluster,
        tmp_path,
        recordings_dir=tmp_path / "rec-root",
        recordings_spools=",".join(f"{b.config.instance}={b.recordings_dir}" for b in cluster.nodes),
    )


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
