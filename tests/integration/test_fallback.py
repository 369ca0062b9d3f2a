"""Never dead air: with the FastAGI service down (or gone while callers wait) a person still answers."""

from __future__ import annotations

import pytest

from hotline.app import Centre
from tests.integration.calls import CallDriver, user_event

pytestmark = pytest.mark.asterisk

FALLBACK_PHONE = "Local/7101*1*0.2@hotline-sim-agent"


async def _publish_contact(driver: CallDriver, extension: str, contact: str) -> None:
    await driver.ami.send_action(
        {"Action": "DBPut", "Family": "hotline/contact", "Key": extension, "Val": contact}
    )


async def _forget_contact(driver: CallDriver, extension: str) -> None:
    await driver.ami.send_action({"Action": "DBDel", "Family": "hotline/contact", "Key": extension})


async def test_given_fastagi_service_stopped_when_citizen_calls_then_fallback_queue_connects_a_person(
    driver: CallDriver,
) -> None:
    await _publish_contact(driver, "1001", FALLBACK_PHONE)
    try:
        call = await driver.call("13600136000", keys="")
        fallback = await driver.wait_event(user_event("HotlineFallback", call.call_id), timeout=20)
        assert fallback.event.get("Reason") == "agi_FAILURE"
        connect = await driver.wait_event(
            lambda e: e.name == "AgentConnect" and e.get("Uniqueid") == call.call_id, timeout=20
        )
        assert connect.event.get("Queue") == "hotline-fallback"
    finally:
        await _forget_contact(driver, "1001")


async def test_given_service_dies_while_caller_waits_when_heartbeat_goes_stale_then_fallback_answers(
    centre: Centre, driver: CallDriver
) -> None:
    call = await driver.call("13500135000", keys="0")
    await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=20)
    await centre.stop()
    await _publish_contact(driver, "1002", FALLBACK_PHONE)
    try:
        fallback = await driver.wait_event(user_event("HotlineFallback", call.call_id), timeout=30)
        assert fallback.event.get("Reason") == "heartbeat_stale"
        await driver.wait_event(
            lambda e: e.name == "AgentConnect" and e.get("Uniqueid") == call.call_id, timeout=20
        )
    finally:
        await _forget_contact(driver, "1002")
