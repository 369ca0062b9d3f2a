"""An attended transfer whose target does not answer: nothing can drop the held caller.

Outside numbers here ring forever (the simulated phone's talk time -1), so the consultation never
connects: completing it is refused, other call-control actions are refused while it runs, and
cancelling it brings the agent back to the caller.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from tests.integration.attended import wait_bridged
from tests.integration.calls import CallDriver
from tests.integration.conftest import sandbox_settings
from tests.integration.seats import connected_call, seat

pytestmark = pytest.mark.asterisk


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """Outside numbers ring and are never answered."""
    return sandbox_settings(sandbox, tmp_path, external_dial="Local/{number}*-1*0.2@hotline-sim-agent")


async def test_given_consult_still_ringing_when_completed_or_transferred_then_409_and_cancel_returns(
    centre: Centre, driver: CallDriver
) -> None:
    desk = await seat(centre, "7341", {"general": 1})
    try:
        call_id = await connected_call(driver, desk, "13800000015")
        resp = await desk.http.post(
            "/api/me/call/consult", json={"directory_id": "consumer"}, headers=desk.auth
        )
        assert resp.status_code == 200, resp.text
        await driver.wait_event(
            lambda e: e.name == "UserEvent" and e.get("UserEvent") == "HotlineConsult", timeout=10
        )
        early = await desk.http.post("/api/me/call/consult/complete", headers=desk.auth)
        assert (early.status_code, early.json()["error_id"]) == (409, "consult_not_answered")
        for path, body in (("/api/me/call/transfer", {"queue": "enterprise"}), ("/api/me/call/leave", None)):
            refused = await desk.http.post(path, json=body, headers=desk.auth)
            assert (refused.status_code, refused.json()["error_id"]) == (409, "consult_in_progress"), path
        cancelled = await desk.http.post("/api/me/call/consult/cancel", headers=desk.auth)
        assert cancelled.status_code == 200, cancelled.text
        await wait_bridged(driver, call_id, "Local/7341*")
    finally:
        await desk.close()
