"""Listen, whisper, barge, switching, leaving and taking over on the real Asterisk: every party's phone
plays its own tone and records what it hears; the tones found say exactly who hears whom."""

from __future__ import annotations

import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.calls import CallDriver
from tests.integration.supervision import TONES, Supervised, supervised_call
from tests.integration.tones import Ears

pytestmark = pytest.mark.timeout(180)

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
    resp = await s.post("/api/supervisor/agents/ag1/listen", {"mode": "listen"})
    assert resp.status_code == 201, resp.text
    session_id = resp.json()["session_id"]
    await driver.wait_event(lambda e: e.name == "ChanSpyStart" and e.get("SpyerUniqueid") == session_id)
    ears = Ears(
        sandbox,
        driver,
        {"caller": s.citizen_channel, "agent": f"{s.agent_leg}-2", "supervisor": f"{session_id}-2"},
    )
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
