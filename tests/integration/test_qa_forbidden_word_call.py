"""A QA rule flags a call whose agent side says a forbidden word, end to end on the real Asterisk.

The agent's phone is a simulated phone that plays synthesised Mandarin (the pinyin voice the prompts
use): the greeting and then 不知道 / 你自己去问, both forbidden words of the shipped rules; the citizen's
phone plays a tone. The call is recorded by the centre (MixMonitor, one file per side), the centre's
transcription queue transcribes each side with Whisper (timed segments), and the centre's inspection
pass finds the forbidden word on the agent side and puts the call on the QA work list; the citizen's
side says nothing and raises no complaint flag. The greeting and timing rules are not asserted here
(robotic speech through a telephone codec is partly misheard): tests/unit/test_qa_rules.py checks them
on timed segments.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from ivr.prompts import synthesise
from qa import worklist
from qa.models import QaInspection
from recordings.models import Recording, Transcript
from recordings.store import recordings_of_call
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
    """The sandbox centre, reading the sandbox's monitor spool, with its recordings root in tmp_path and
    its transcription sweep only every 10 minutes: the recorder queues each side as it is saved."""
    return sandbox_settings(
        sandbox,
        tmp_path,
        recordings_dir=tmp_path / "rec-root",
        recordings_spools=str(sandbox.recordings_dir),
        transcribe_sweep_seconds=600.0,
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


def _transcripts(centre: Centre, call_id: str) -> dict[str, Transcript]:
    with centre.sessions() as s:
        rows = s.execute(select(Transcript, Recording.side).join(Recording)).all()
        return {side: t for t, side in rows if t.call_id == call_id}


def _transcribed(centre: Centre, call_id: str) -> bool:
    found = _transcripts(centre, call_id)
    assert all(t.status != "failed" for t in found.values()), [t.error for t in found.values()]
    return len(found) == 2 and all(t.status == "done" for t in found.values())


def _inspected(centre: Centre, call_id: str) -> bool:
    with centre.sessions() as s:
        return s.get(QaInspection, call_id) is not None


async def test_given_an_agent_saying_a_forbidden_word_when_the_call_is_inspected_then_it_is_flagged(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    call_id = await _recorded_call(centre, driver, sandbox)
    await eventually(lambda: _transcribed(centre, call_id), timeout=240.0)
    heard = {side: t.text for side, t in _transcripts(centre, call_id).items()}
    await eventually(lambda: _inspected(centre, call_id), timeout=90.0)  # the centre's own pass
    inspection = worklist.inspection_of(centre.sessions, call_id)
    forbidden = [f for f in inspection["flags"] if f["rule"] == "forbidden"]
    assert forbidden, (heard, inspection["flags"])
    assert {f["side"] for f in forbidden} == {"agent"}
    assert any("不知道" in f["excerpt"] or "你自己去问" in f["excerpt"] for f in forbidden)
    assert "complaint" not in {f["rule"] for f in inspection["flags"]}, heard
    assert (inspection["state"], inspection["agent_id"]) == ("open", "ag1")
    listed = worklist.work_list(centre.sessions, worklist.ListFilter(reason="flagged", agent_id="ag1"))
    assert [c["call_id"] for c in listed] == [call_id]
