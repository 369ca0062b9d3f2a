"""Listen, whisper, barge, switching, leaving and taking over on the real Asterisk: every party's phone
plays its own tone and records what it hears; the tones found say exactly who hears whom."""

from __future__ import annotations

import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from privacy.audit import ReadQuery, query_reads
from supervisor.store import log_of
from tests.integration.calls import CallDriver
from tests.integration.desktop import frame_of
from tests.integration.supervision import TONES, Supervised, supervised_call
from tests.integration.tones import Ears

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(180)]

LISTEN = {"caller": {"agent"}, "agent": {"caller"}, "supervisor": {"caller", "agent"}}
WHISPER = {"caller": {"agent"}, "agent": {"caller", "supervisor"}, "supervisor": {"caller", "agent"}}
BARGE = {
    "caller": {"agent", "supervisor"},
    "agent": {"caller", "supervisor"},
    "supervisor": {"caller", "agent"},
}


async def test_given_a_supervisor_session_when_switching_modes_then_each_party_hears_exactly_the_right_others(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        await _listen_switch_leave(s, driver, sandbox)
    finally:
        await s.close()


async def _listen_switch_leave(s: Supervised, driver: CallDriver, sandbox: AsteriskSandbox) -> None:
    session_id = await _start(s, driver, "listen")
    ears = Ears(sandbox, driver, _ears_of(s, session_id))
    assert await ears.who_hears("listen", TONES) == LISTEN
    for mode, expected in (("whisper", WHISPER), ("barge", BARGE), ("listen", LISTEN)):
        resp = await s.supervisor.http.put(
            f"/api/supervisor/sessions/{session_id}/mode", json={"mode": mode}, headers=s.supervisor.auth
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["mode"] == mode
        assert await ears.who_hears(f"then-{mode}", TONES) == expected, mode
    resp = await s.supervisor.http.delete(f"/api/supervisor/sessions/{session_id}", headers=s.supervisor.auth)
    assert resp.status_code == 204
    await driver.wait_event(lambda e: e.name == "Hangup" and e.get("Uniqueid") == session_id)
    after = Ears(sandbox, driver, {"caller": s.citizen_channel, "agent": f"{s.agent_leg}-2"})
    assert await after.who_hears("left", TONES) == {"caller": {"agent"}, "agent": {"caller"}}


@pytest.mark.parametrize(("mode", "expected"), [("whisper", WHISPER), ("barge", BARGE)])
async def test_given_a_session_started_in_a_mode_then_the_parties_hear_that_mode(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, mode: str, expected: dict[str, set[str]]
) -> None:
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        session_id = await _start(s, driver, mode)
        ears = Ears(sandbox, driver, _ears_of(s, session_id))
        assert await ears.who_hears(f"start-{mode}", TONES) == expected
    finally:
        await s.close()


async def test_given_a_session_when_taken_over_then_the_agent_drops_and_caller_and_supervisor_talk(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        session_id = await _start(s, driver, "listen")
        resp = await s.post(f"/api/supervisor/sessions/{session_id}/take-over", {})
        assert resp.status_code == 200, resp.text
        await driver.wait_event(lambda e: e.name == "Hangup" and e.get("Uniqueid") == s.agent_leg)
        await s.agent.wait_frame(frame_of("agent_changed", state="wrap_up"))
        ears = Ears(sandbox, driver, {"caller": s.citizen_channel, "supervisor": f"{session_id}-2"})
        assert await ears.who_hears("taken-over", TONES) == {
            "caller": {"supervisor"},
            "supervisor": {"caller"},
        }
        reads = query_reads(centre.sessions, ReadQuery(object_id=s.call_id))
        assert [(r.user_id, r.action) for r in reads] == [("sup1", "calls.listen")]
        steps = log_of(centre.sessions, agent_id="ag1")
        assert [(st.action, st.session_id, st.call_id) for st in steps] == [
            ("take_over", session_id, s.call_id),
            ("listen_listen", session_id, s.call_id),
        ]
    finally:
        await s.close()


async def _start(s: Supervised, driver: CallDriver, mode: str) -> str:
    resp = await s.post("/api/supervisor/agents/ag1/listen", {"mode": mode})
    assert resp.status_code == 201, resp.text
    session_id: str = resp.json()["session_id"]
    await driver.wait_event(lambda e: e.name == "ChanSpyStart" and e.get("SpyerUniqueid") == session_id)
    return session_id


def _ears_of(s: Supervised, session_id: str) -> dict[str, str]:
    return {"caller": s.citizen_channel, "agent": f"{s.agent_leg}-2", "supervisor": f"{session_id}-2"}
