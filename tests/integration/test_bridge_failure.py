"""An agent who answers but cannot be bridged to the caller: the caller is not stranded, nor answered.

The ACD bridges an agent leg onto the caller's channel by the name it had when it queued. A caller
whose channel was renamed meanwhile (a masquerade) makes Bridge() fail with the caller still on the
line; these tests give the ACD's record of a waiting caller a stale channel name to get there.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from acd.offer_outcomes import BRIDGE_FAILURES_ATTR
from acd.store import AcdStore
from hotline.ami.client import AmiEvent
from hotline.app import Centre
from hotline.db import repository as repo
from tests.integration.calls import CallDriver, eventually, user_event
from tests.integration.desktop import frame_of
from tests.integration.seats import seat

pytestmark = pytest.mark.asterisk

GENERAL = {"general": 1}


async def tamper(store: AcdStore, call_id: str, *, failures: int = 0) -> None:
    """Make the ACD's copy of a waiting caller's channel name stale (once the ACD has the caller: the
    test's own AMI connection may see HotlineQueued before the centre's does); ``failures`` sets how
    many bridges already failed."""
    await eventually(lambda: store.get_call(call_id))
    call = store.get_call(call_id)
    assert call is not None
    call.channel = "PJSIP/renamed-00000001"
    if failures:
        call.attrs[BRIDGE_FAILURES_ATTR] = str(failures)
    store.put_call(call)


def bridge_failed(event: AmiEvent) -> bool:
    """Matcher for the agent leg's report of a failed Bridge()."""
    return event.get("UserEvent") == "HotlineBridgeFailed"


def count(driver: CallDriver, match: Callable[[AmiEvent], bool]) -> int:
    """How many recorded events match."""
    return sum(1 for s in driver.events if match(s.event))


async def test_given_agent_answers_when_bridge_fails_then_caller_keeps_waiting_and_is_bridged_next(
    centre: Centre, driver: CallDriver
) -> None:
    call = await driver.call("13800000021", keys="0")
    await driver.wait_event(user_event("HotlineQueued", call.call_id))
    await tamper(centre.acd.engine.store, call.call_id)
    desk = await seat(centre, "7311", GENERAL)
    try:
        failed = await driver.wait_event(bridge_failed)
        assert (failed.event.get("Result"), failed.event.get("CallId")) == ("NONEXISTENT", call.call_id)
        await driver.wait_event(lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call.call_id)
        await desk.wait_frame(frame_of("agent_changed", state="on_call"), timeout=10)
        offers = [f for _, f in desk.frames if f.get("type") == "offer"]
        assert [o["call"]["call_id"] for o in offers] == [call.call_id, call.call_id]
        states = [f["data"]["state"] for _, f in desk.frames if f.get("type") == "agent_changed"]
        assert "wrap_up" not in states
        assert states.count("on_call") == 1
        assert count(driver, user_event("HotlineQueued", call.call_id)) == 1
        assert count(driver, bridge_failed) == 1

        def recorded() -> list[str]:
            return [e.kind for e in repo.call_events(centre.sessions, call_id=call.call_id)]

        await eventually(lambda: "connected" in recorded())
        kinds = recorded()
        assert kinds.index("bridge_failed") < kinds.index("connected")
        assert kinds.count("connected") == 1
    finally:
        await desk.close()
        await driver.hang_up(call.call_id)


async def test_given_third_bridge_failure_then_call_given_up_to_the_fallback_queue_and_agent_free(
    centre: Centre, driver: CallDriver
) -> None:
    call = await driver.call("13800000022", keys="0")
    await driver.wait_event(user_event("HotlineQueued", call.call_id))
    await tamper(centre.acd.engine.store, call.call_id, failures=2)
    desk = await seat(centre, "7321", GENERAL)
    try:
        await driver.wait_event(bridge_failed)
        fallback = await driver.wait_event(user_event("HotlineFallback", call.call_id))
        assert fallback.event.get("Reason") == "bridge_failed"
        await eventually(lambda: centre.acd.engine.store.get_call(call.call_id) is None)
        agent = centre.acd.engine.store.get_agent("7321")
        assert agent is not None
        assert (str(agent.status), str(agent.state)) == ("available", "idle")

        def outcome() -> str | None:
            row = repo.get_call(centre.sessions, call_id=call.call_id)
            return None if row is None else row.outcome

        await eventually(lambda: outcome() == "fallback")
    finally:
        await desk.close()
        await driver.hang_up(call.call_id)
