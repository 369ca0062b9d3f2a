"""The recording notice (本次通话将被录音) on the real Asterisk: a citizen entering the queue hears it once,
before anyone answers; a centre that turns it off (HOTLINE_RECORDING_NOTICE=false) plays nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hotline.ami.client import AmiEvent
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from ivr.prompts import RUNTIME_PROMPTS, prompt_file
from tests.integration.calls import CallDriver, user_event
from tests.integration.conftest import sandbox_settings

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]


def _notice(call_id: str) -> Callable[[AmiEvent], bool]:
    return lambda e: (
        e.name == "Newexten"
        and e.get("Uniqueid") == call_id
        and e.get("Application") == "Playback"
        and e.get("AppData") == "hotline/recording_notice"
    )


@pytest.fixture(params=[True, False], ids=["notice-on", "notice-off"])
def centre_settings(request: pytest.FixtureRequest, sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """The sandbox centre with the notice on (the default) or off."""
    if request.param:
        return sandbox_settings(sandbox, tmp_path)
    return sandbox_settings(sandbox, tmp_path, recording_notice=False)


async def test_given_the_notice_setting_when_a_citizen_queues_then_the_notice_plays_once_or_not_at_all(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, centre_settings: Settings
) -> None:
    assert RUNTIME_PROMPTS["recording_notice"] == "您好，本次通话将被录音。"
    assert prompt_file(sandbox.sounds_dir, "recording_notice").is_file()
    call = await driver.call("13900139000", keys="0")
    try:
        queued = await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=30)
        announced = await driver.wait_event(
            lambda e: e.get("Uniqueid") == call.call_id and e.get("AppData", "").startswith("hotline/pos_"),
            timeout=30,
        )
        played = [s for s in driver.events if _notice(call.call_id)(s.event)]
        if centre_settings.recording_notice:
            assert len(played) == 1
            assert queued.at <= played[0].at <= announced.at
        else:
            assert played == []
    finally:
        await driver.hang_up(call.local_id)
