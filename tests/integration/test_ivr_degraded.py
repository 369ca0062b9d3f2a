"""Degraded mode on the real Asterisk: with the service down the caller hears a notice, then a person.

The sandbox root carries Python 3 and pyst2, so the classic AGI script (``agi-bin/hotline/degraded.py``)
plays the notice and marks the channel; the dialplan's own Playback is only for an Asterisk where the
script cannot run.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hotline.ami.client import AmiEvent
from tests.integration.calls import CallDriver, user_event
from tests.integration.ivr_calls import ScriptedDialer

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(60)]


def _runs(call_id: str, application: str) -> Callable[[AmiEvent], bool]:
    """Matcher: the dialplan starts ``application`` on the call, after the FastAGI attempt."""

    def match(event: AmiEvent) -> bool:
        return (
            event.name == "Newexten"
            and event.get("Uniqueid") == call_id
            and event.get("Application") == application
            and event.get("AppData", "").find("/ivr") < 0
        )

    return match


async def test_given_fastagi_down_when_citizen_calls_then_notice_plays_and_fallback_queue_takes_the_call(
    driver: CallDriver,
) -> None:
    dialer = ScriptedDialer(driver.ami)
    call = await dialer.dial("13000000001")
    script = await driver.wait_event(_runs(call.call_id, "AGI"), timeout=20)
    marked = await driver.wait_event(
        lambda e: (
            e.name == "VarSet"
            and e.get("Uniqueid") == call.call_id
            and e.get("Variable") == "HOTLINE_DEGRADED"
            and e.get("Value") == "1"
        ),
        timeout=20,
    )
    fallback = await driver.wait_event(user_event("HotlineFallback", call.call_id), timeout=20)
    queue = await driver.wait_event(_runs(call.call_id, "Queue"), timeout=20)
    assert script.event.get("AppData") == "hotline/degraded.py"
    assert fallback.event.get("Reason") == "agi_FAILURE"
    assert queue.event.get("AppData", "").startswith("hotline-fallback")
    assert script.at <= marked.at <= fallback.at <= queue.at
    played_by_dialplan = _runs(call.call_id, "Playback")
    assert not any(played_by_dialplan(seen.event) for seen in driver.events), "the AGI script did not run"
    await dialer.hang_up(call)
