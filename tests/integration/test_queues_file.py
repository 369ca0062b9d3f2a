"""A centre on its own queue configuration (HOTLINE_QUEUES_FILE) instead of the shipped one.

The file here has no enterprise line; the live flow still sends key 3 there. Such a caller must not
wait in music for a queue nobody serves: the ACD puts them in the general queue.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from tests.integration.calls import CallDriver, user_event
from tests.integration.conftest import sandbox_settings
from tests.integration.desktop import frame_of
from tests.integration.seats import seat

pytestmark = pytest.mark.asterisk

QUEUES = """\
schema_version: 1
queues:
  - name: general
    skill: general
    wrapup_seconds: 3
"""


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """A centre whose only queue is the general line."""
    path = tmp_path / "queues.yaml"
    path.write_text(QUEUES, encoding="utf-8")
    return sandbox_settings(sandbox, tmp_path, queues_file=path)


async def test_given_own_queues_file_when_flow_routes_to_a_queue_it_lacks_then_general_takes_the_caller(
    centre: Centre, driver: CallDriver
) -> None:
    assert list(centre.acd.engine.queues) == ["general"]
    assert centre.acd.engine.queues["general"].wrapup_seconds == 3.0
    desk = await seat(centre, "7511", {"general": 1})
    call = await driver.call("13800000041", keys="3")
    try:
        queued = await driver.wait_event(user_event("HotlineQueued", call.call_id))
        assert queued.event.get("Queue") == "enterprise"
        _, offer = await desk.wait_frame(frame_of("offer"), timeout=20)
        assert (offer["call"]["call_id"], offer["call"]["queue"]) == (call.call_id, "general")
        await driver.wait_event(lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call.call_id)
    finally:
        await desk.close()
        await driver.hang_up(call.call_id)
