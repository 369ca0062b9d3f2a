"""A QA rule flags a call whose agent side says a forbidden word, end to end on the real Asterisk.

The agent's phone is a simulated phone that plays synthesised Mandarin (the pinyin voice the prompts use):
the greeting and then 不知道 / 你自己去问, both forbidden words of the shipped rules; the citizen's phone
plays a tone. The call is recorded by the centre (MixMonitor, one file per side), each side is
transcribed with the Whisper engine, and the inspection pass finds the forbidden word on the agent side
and puts the call on the QA work list; the citizen's side says nothing and raises no complaint flag.
Each side is stored as one segment spanning its file (Whisper is run without timestamps here), so the
timing rules (greeting within 15 s, overlap) are not what this test checks: tests/unit/test_qa_rules.py
does, on timed segments.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from ivr.prompts import synthesise
from qa import worklist
from qa.inspect_loop import InspectLoop
from recordings.asr_model import WhisperZh
from recordings.models import Transcript, TranscriptSegment
from recordings.store import RecordingRow, recordings_of_call
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import sandbox_settings
from tests.integration.desktop import frame_of
from tests.integration.supervision import CALLER_HZ, add_user, signed_in, tone_phone
from tests.integration.tones import write_tone_files

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(300)]

AGENT_SAYS = "您好，一二三四五，请讲。这个我不知道，你自己去问吧。"
SPEAKING_PHONE = 7001
"""The simulated phone's extension: it plays ``hotline-tone-7001``, here the agent's speech."""


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """The sandbox centre, reading the sandbox's monitor spool, with its recordings root in tmp_path."""
    return sandbox_settings(
        sandbox, tmp_path, recordings_dir=tmp_path / "rec-root", recordings_spools=str(sandbox.recordings_dir)
    )


async def _recorded_call(centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox) -> str:
    """A citizen's call answered by agent ag1, whose phone speaks ``AGENT_SAYS``; about 8 s of talk."""
    write_tone_files(sandbox, [CALLER_HZ])
    synthesise(AGENT_SAYS, sandbox.recordings_dir / f"hotline-tone-{SPEAKING_PHONE}.wav")
    await add_user(centre, "ag1", role="agent", contact=tone_phone(SPEAKING_PHONE), skills={"general": 1})
    agent = await signed_in(centre, "ag1", connect=True)
    try:
        await agent.status("available")
        call = await driver.call("13800138000", keys="0")
        await agent.wait_frame(frame_of("agent_changed", state="on_call"), timeout=30)
        await driver.wait_event(lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call.call_id)
        redirect = {"Context": "hotline-sim-tone", "Exten": str(CALLER_HZ), "Priority": "1"}
        await driver.ami.send_action({"Action": "Redirect", "Channel": call.local_id, **redirect})
        await asyncio.sleep(8.0)
        await driver.hang_up(call.local_id)
        await eventually(lambda: _all_saved(centre, call.call_id), timeout=30.0)
    finally:
        await agent.close()
    return call.call_id


def _all_saved(centre: Centre, call_id: str) -> bool:
    rows = recordings_of_call(centre.sessions, call_id)
    return len(rows) == 2 and all(r.status == "saved" for r in rows)


def _transcribe(centre: Centre, root: Path, rows: list[RecordingRow]) -> dict[str, str]:
    """Each side through Whisper, stored as the transcription stores a done transcript (one segment)."""
    whisper = WhisperZh(centre.settings.cache_dir)
    heard = {}
    for row in rows:
        result = whisper.transcribe(root / row.path)
        heard[row.side] = result.text
        now = datetime.now(UTC)
        with centre.sessions.begin() as s:
            s.add(
                Transcript(
                    recording_id=row.recording_id,
                    call_id=row.call_id,
                    status="done",
                    engine="whisper",
                    text=result.text,
                    audio_s=result.audio_s,
                    queued_at=now,
                    done_at=now,
                )
            )
            if result.text:
                s.add(
                    TranscriptSegment(
                        recording_id=row.recording_id,
                        call_id=row.call_id,
                        side=row.side,
                        start_s=0.0,
                        end_s=result.audio_s,
                        text=result.text,
                    )
                )
    return heard


async def test_given_an_agent_saying_a_forbidden_word_when_the_call_is_inspected_then_it_is_flagged(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, centre_settings: Settings
) -> None:
    call_id = await _recorded_call(centre, driver, sandbox)
    root = centre_settings.recordings_dir
    assert root is not None
    heard = await asyncio.to_thread(_transcribe, centre, root, recordings_of_call(centre.sessions, call_id))
    assert heard["caller"] == "" or "不知道" not in heard["caller"], heard

    assert await asyncio.to_thread(InspectLoop(centre.sessions).run_once) >= 1
    inspection = worklist.inspection_of(centre.sessions, call_id)
    forbidden = [f for f in inspection["flags"] if f["rule"] == "forbidden"]
    assert forbidden, (heard, inspection["flags"])
    assert {f["side"] for f in forbidden} == {"agent"}
    assert any("不知道" in f["excerpt"] or "你自己去问" in f["excerpt"] for f in forbidden)
    assert "complaint" not in {f["rule"] for f in inspection["flags"]}, heard
    assert (inspection["state"], inspection["agent_id"]) == ("open", "ag1")
    listed = worklist.work_list(centre.sessions, worklist.ListFilter(reason="flagged", agent_id="ag1"))
    assert [c["call_id"] for c in listed] == [call_id]
