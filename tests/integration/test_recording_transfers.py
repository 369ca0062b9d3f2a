"""Recordings through call control on the real Asterisk: a three-way call keeps one pair whose centre
side carries the conference (agent and outside party), an attended transfer gives the second leg its
own pair with the party the caller was handed to."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from recordings.store import RecordingRow, recordings_of_call
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import sandbox_settings
from tests.integration.supervision import AGENT_HZ, CALLER_HZ, Supervised, supervised_call
from tests.integration.tones import heard, tone_levels, write_tone_files

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(180)]

POLICE_HZ = 110
"""The tone the outside party (directory entry ``police``, number 110) plays."""
FREQS = (CALLER_HZ, AGENT_HZ, POLICE_HZ)


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """The sandbox centre reading the sandbox's spool, outside numbers answered by tone phones."""
    return sandbox_settings(
        sandbox,
        tmp_path,
        recordings_spools=str(sandbox.recordings_dir),
        external_dial="Local/{number}@hotline-sim-tone/n",
    )


async def _end(centre: Centre, driver: CallDriver, s: Supervised, pairs: int) -> list[RecordingRow]:
    await driver.hang_up(s.citizen_channel)
    await eventually(
        lambda: [r.status for r in recordings_of_call(centre.sessions, s.call_id)] == ["saved"] * 2 * pairs,
        timeout=40.0,
    )
    return recordings_of_call(centre.sessions, s.call_id)


def _heard(centre: Centre, row: RecordingRow) -> set[int]:
    return heard(tone_levels(centre.http.state.recordings_root / row.path, FREQS, skip_s=1.0))


async def test_given_a_three_way_call_then_one_pair_whose_centre_side_has_agent_and_outside_party(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    write_tone_files(sandbox, [POLICE_HZ])
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        resp = await s.agent.http.post(
            "/api/me/call/three-way", json={"directory_id": "police"}, headers=s.agent.auth
        )
        assert resp.status_code == 200, resp.text
        await driver.wait_event(
            lambda e: e.name == "ConfbridgeJoin" and e.get("Channel", "").startswith("Local/110@"), timeout=15
        )
        await asyncio.sleep(4.0)
        rows = await _end(centre, driver, s, pairs=1)
    finally:
        await s.close()
    caller, agent = rows
    assert (caller.side, agent.side) == ("caller", "agent")
    assert _heard(centre, caller) == {CALLER_HZ}
    assert _heard(centre, agent) == {AGENT_HZ, POLICE_HZ}


async def test_given_an_attended_transfer_then_the_second_leg_has_its_own_pair_with_the_new_party(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    write_tone_files(sandbox, [POLICE_HZ])
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        await asyncio.sleep(1.0)
        resp = await s.agent.http.post(
            "/api/me/call/consult", json={"directory_id": "police"}, headers=s.agent.auth
        )
        assert resp.status_code == 200, resp.text
        await driver.wait_event(
            lambda e: e.name == "BridgeEnter" and e.get("Channel", "").startswith("Local/110@"), timeout=15
        )
        done = await s.agent.http.post("/api/me/call/consult/complete", headers=s.agent.auth)
        assert done.status_code == 200, done.text
        transfer = await driver.wait_event(lambda e: e.name == "AttendedTransfer", timeout=15)
        assert transfer.event.get("Result") == "Success"
        await asyncio.sleep(4.0)
        rows = await _end(centre, driver, s, pairs=2)
    finally:
        await s.close()
    second = {r.side: r for r in rows if r.segment == 1}
    assert {r.segment for r in rows} == {0, 1}
    assert second["agent"].agent_id is None
    assert _heard(centre, second["caller"]) == {CALLER_HZ}
    assert _heard(centre, second["agent"]) == {POLICE_HZ}
