"""Every answered citizen call is recorded on the real Asterisk: one file per side, filed in the
recordings root with duration, size and SHA-256; the tones each party played are found in their side,
and a transfer to an outside number gives the second leg its own pair."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from hotline.ami.messages import AmiError
from hotline.app import Centre
from hotline.db import repository as repo
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from recordings.files import sha256_of
from recordings.store import RecordingRow, recordings_of_call
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import sandbox_settings
from tests.integration.supervision import AGENT_HZ, CALLER_HZ, TONES, supervised_call
from tests.integration.tones import heard, tone_levels, write_tone_files

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(180)]

POLICE_HZ = 110
"""The tone the outside party (directory entry ``police``, number 110) plays: outside numbers are dialled
as tone phones here."""


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """The sandbox centre, reading the sandbox's monitor spool, with its recordings root in tmp_path."""
    return sandbox_settings(
        sandbox,
        tmp_path,
        recordings_dir=tmp_path / "rec-root",
        recordings_spools=str(sandbox.recordings_dir),
        external_dial="Local/{number}@hotline-sim-tone/n",
    )


def _sides(rows: list[RecordingRow], segment: int) -> dict[str, RecordingRow]:
    return {r.side: r for r in rows if r.segment == segment}


def _heard(root: Path, row: RecordingRow) -> set[int]:
    return heard(tone_levels(root / row.path, [*TONES.values(), POLICE_HZ], skip_s=1.0))


async def test_given_an_answered_call_when_it_ends_then_both_sides_are_saved_with_the_talk_time_and_tones(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, centre_settings: Settings
) -> None:
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        await asyncio.sleep(4.0)
        await driver.hang_up(s.citizen_channel)
        await eventually(lambda: _talk(centre, s.call_id), timeout=20.0)
        await eventually(lambda: _all_closed(centre, s.call_id), timeout=30.0)
    finally:
        await s.close()
    root = centre_settings.recordings_dir
    assert root is not None
    rows = recordings_of_call(centre.sessions, s.call_id)
    pair = _sides(rows, 0)
    assert set(pair) == {"caller", "agent"}, rows
    talk = _talk(centre, s.call_id)
    assert talk is not None
    for row in pair.values():
        assert row.status == "saved", row
        assert row.agent_id == "ag1"
        assert row.duration_s is not None
        assert abs(row.duration_s - talk) <= 1.0, (row.duration_s, talk)
        assert row.sha256 == sha256_of(root / row.path)
        assert row.bytes == (root / row.path).stat().st_size
        assert not (sandbox.recordings_dir / "hotline-rec" / f"{row.recording_id}.wav").exists()
    assert _heard(root, pair["caller"]) == {CALLER_HZ}
    assert _heard(root, pair["agent"]) == {AGENT_HZ}
    call = repo.get_call(centre.sessions, call_id=s.call_id)
    assert call is not None
    assert call.recording_path == pair["caller"].path


def _talk(centre: Centre, call_id: str) -> float | None:
    call = repo.get_call(centre.sessions, call_id=call_id)
    return None if call is None else call.talk_seconds


def _all_closed(centre: Centre, call_id: str) -> bool:
    rows = recordings_of_call(centre.sessions, call_id)
    return bool(rows) and all(r.status != "recording" for r in rows)


async def test_given_a_call_transferred_to_a_number_then_each_leg_has_its_own_pair_with_its_parties(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, centre_settings: Settings
) -> None:
    write_tone_files(sandbox, [POLICE_HZ])
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        await asyncio.sleep(3.0)
        resp = await s.agent.http.post(
            "/api/me/call/transfer", json={"directory_id": "police"}, headers=s.agent.auth
        )
        assert resp.status_code == 200, resp.text
        await asyncio.sleep(4.0)
        await driver.hang_up(s.citizen_channel)
        await eventually(lambda: len(recordings_of_call(centre.sessions, s.call_id)) == 4, timeout=20.0)
        await eventually(lambda: _all_closed(centre, s.call_id), timeout=30.0)
    finally:
        await s.close()
    root = centre_settings.recordings_dir
    assert root is not None
    rows = recordings_of_call(centre.sessions, s.call_id)
    first, second = _sides(rows, 0), _sides(rows, 1)
    assert [r.status for r in rows] == ["saved"] * 4, rows
    assert (first["agent"].agent_id, second["agent"].agent_id) == ("ag1", None)
    assert _heard(root, first["caller"]) == {CALLER_HZ}
    assert _heard(root, first["agent"]) == {AGENT_HZ}
    assert _heard(root, second["caller"]) == {CALLER_HZ}
    assert _heard(root, second["agent"]) == {POLICE_HZ}
    call = repo.get_call(centre.sessions, call_id=s.call_id)
    assert call is not None
    assert call.recording_path == first["caller"].path


async def test_given_the_static_fallback_queue_answers_then_that_segment_is_recorded_once(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, centre_settings: Settings
) -> None:
    write_tone_files(sandbox, TONES.values())
    await centre.fastagi.close()
    # Only extension 1001 may answer: an earlier test on this sandbox can leave another extension's
    # fallback contact in AstDB (CI once saw 1003 answer with a silent phone).
    with contextlib.suppress(AmiError):  # "Database entry not found" when there is none
        await driver.ami.send_action({"Action": "DBDelTree", "Family": "hotline/contact"})
    contact = {
        "Action": "DBPut",
        "Family": "hotline/contact",
        "Key": "1001",
        "Val": f"Local/{AGENT_HZ}@hotline-sim-tone/n",
    }
    await driver.ami.send_action(contact)
    call = await driver.call("13600136001", keys="")
    try:
        connect = await driver.wait_event(
            lambda e: e.name == "AgentConnect" and e.get("Uniqueid") == call.call_id, timeout=30
        )
        answered_by = connect.event.get("Interface")
        await driver.ami.send_action(
            {
                "Action": "Redirect",
                "Channel": call.local_id,
                "Context": "hotline-sim-tone",
                "Exten": str(CALLER_HZ),
                "Priority": "1",
            }
        )
        await asyncio.sleep(3.0)
        await driver.hang_up(call.local_id)
        await eventually(lambda: _all_closed(centre, call.call_id), timeout=30.0)
    finally:
        await driver.ami.send_action({"Action": "DBDel", "Family": "hotline/contact", "Key": "1001"})
    root = centre_settings.recordings_dir
    assert root is not None
    rows = recordings_of_call(centre.sessions, call.call_id)
    assert [(r.segment, r.side, r.status) for r in rows] == [(0, "caller", "saved"), (0, "agent", "saved")]
    assert answered_by == "Local/1001@hotline-agent-phones/n", connect.event
    levels = [tone_levels(root / r.path, [*TONES.values(), POLICE_HZ], skip_s=1.0) for r in rows]
    assert heard(levels[0]) == {CALLER_HZ}, (levels, rows)
    assert heard(levels[1]) == {AGENT_HZ}, (levels, rows)
