"""A consultation waiting in the ACD when the service dies ends; it does not go to the fallback queue.

The consultation leg waits in the hold loop as the citizen's stand-in. If the service stops, a citizen
there goes to the static fallback queue; an agent's consultation must not ring someone from it: the
leg ends and the consulting agent is back with the caller.
"""

from __future__ import annotations

import pytest

from hotline.app import Centre
from tests.integration.attended import wait_bridged
from tests.integration.calls import CallDriver
from tests.integration.seats import connected_call, seat

pytestmark = pytest.mark.asterisk


async def test_given_consult_waiting_in_acd_when_service_dies_then_leg_ends_and_agent_has_the_caller(
    centre: Centre, driver: CallDriver
) -> None:
    desk = await seat(centre, "7611", {"general": 1})
    call_id = await connected_call(driver, desk, "13800000051")
    try:
        resp = await desk.http.post("/api/me/call/consult", json={"queue": "enterprise"}, headers=desk.auth)
        assert resp.status_code == 200, resp.text
        stand_in = await driver.wait_event(
            lambda e: e.get("UserEvent") == "HotlineQueued" and "consult" in e.get("Tags", "").split(",")
        )
        await desk.close()
        await centre.stop()
        gave_up = await driver.wait_event(
            lambda e: (
                e.get("UserEvent") == "HotlineConsultGaveUp"
                and e.get("Uniqueid") == stand_in.event.get("Uniqueid")
            ),
            timeout=30,
        )
        assert gave_up.event.get("Reason") == "heartbeat_stale"
        await wait_bridged(driver, call_id, "Local/7611*")
        fallback = [s for s in driver.events if s.event.get("UserEvent") == "HotlineFallback"]
        assert fallback == []
    finally:
        await driver.hang_up(call_id)
