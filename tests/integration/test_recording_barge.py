"""A supervisor barging into a recorded call on the real Asterisk is heard in the centre side of the
recording, only while barging: listening adds nothing, and the caller side stays the caller's alone."""

from __future__ import annotations

import asyncio
import time
import wave
from pathlib import Path

import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from recordings.store import recordings_of_call
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import sandbox_settings
from tests.integration.supervision import AGENT_HZ, CALLER_HZ, SUPERVISOR_HZ, TONES, supervised_call
from tests.integration.tones import heard, tone_levels

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(180)]


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """The sandbox centre reading the sandbox's monitor spool."""
    return sandbox_settings(sandbox, tmp_path, recordings_spools=str(sandbox.recordings_dir))


def _window(path: Path, start_s: float, end_s: float, out: Path) -> Path:
    """The stretch [start_s, end_s) of a mono WAV as a WAV of its own."""
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        w.setpos(int(start_s * rate))
        frames = w.readframes(int((end_s - start_s) * rate))
        params = w.getparams()
    with wave.open(str(out), "wb") as o:
        o.setparams(params)
        o.writeframes(frames)
    return out


async def test_given_a_supervisor_listening_then_barging_then_the_centre_side_has_the_barge_only(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, tmp_path: Path
) -> None:
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        resp = await s.post("/api/supervisor/agents/ag1/listen", {"mode": "listen"})
        assert resp.status_code == 201, resp.text
        session_id = resp.json()["session_id"]
        await driver.wait_event(lambda e: e.name == "ChanSpyStart" and e.get("SpyerUniqueid") == session_id)
        listening = time.time()
        await asyncio.sleep(2.5)
        barging = time.time()
        resp = await s.supervisor.http.put(
            f"/api/supervisor/sessions/{session_id}/mode", json={"mode": "barge"}, headers=s.supervisor.auth
        )
        assert resp.status_code == 200, resp.text
        await asyncio.sleep(3.0)
        ending = time.time()
        await driver.hang_up(s.citizen_channel)
        await eventually(
            lambda: [r.status for r in recordings_of_call(centre.sessions, s.call_id)] == ["saved", "saved"],
            timeout=40.0,
        )
    finally:
        await s.close()
    root = centre.http.state.recordings_root
    caller, agent = recordings_of_call(centre.sessions, s.call_id)
    start = agent.started_at.timestamp()
    names = {f: who for who, f in TONES.items()}

    def who(path: Path) -> set[str]:
        return {names[f] for f in heard(tone_levels(path, names, skip_s=0.0))}

    agent_file, caller_file = root / agent.path, root / caller.path
    assert who(_window(agent_file, listening - start + 0.3, barging - start - 0.3, tmp_path / "l.wav")) == {
        "agent"
    }
    assert who(_window(agent_file, barging - start + 0.6, ending - start - 0.3, tmp_path / "b.wav")) == {
        "agent",
        "supervisor",
    }
    assert who(_window(caller_file, barging - start + 0.6, ending - start - 0.3, tmp_path / "c.wav")) == {
        "caller"
    }
    assert heard(tone_levels(agent_file, [AGENT_HZ, SUPERVISOR_HZ, CALLER_HZ], skip_s=1.0)) == {
        AGENT_HZ,
        SUPERVISOR_HZ,
    }
    assert not list((sandbox.recordings_dir / "hotline-rec").glob(f"{agent.recording_id}-spy*"))
