"""Attended transfer from the agent's page: consult the 12315 line while the caller holds, then hand over.

Real parts only: Debian's Chromium as the agent's phone and desktop, the centre over HTTP and websocket,
Asterisk's own attended transfer (AMI Atxfer) in the Asterisk 22 sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import AGENT, Steps, answer, create_browser_agent, on_channel, sign_in_and_register
from tests.integration.calls import CallDriver

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(120)]


async def test_given_answered_call_when_consulting_12315_then_complete_hands_caller_over_and_agent_wraps_up(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    await create_browser_agent(web_centre)
    await sign_in_and_register(page, web_centre, steps)
    call = await driver.call("13800138021", keys="0")
    try:
        await answer(page, driver, call.call_id, steps)
        await expect(page.get_by_test_id("consult-complete")).to_be_disabled()
        await page.get_by_test_id("directory").select_option("consumer")
        await page.get_by_test_id("consult-number").click()
        await expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "consulting")
        await driver.wait_event(on_channel(f"PJSIP/{AGENT}-", "BridgeEnter"), timeout=5)
        await driver.wait_event(on_channel("Local/12315*", "BridgeEnter"), timeout=15)
        await steps.shot("consulting-12315")
        await page.get_by_test_id("consult-complete").click()
        transfer = await driver.wait_event(lambda e: e.name == "AttendedTransfer", timeout=15)
        assert transfer.event.get("Result") == "Success"
        await expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "transferred")
        await expect(page.get_by_test_id("status")).to_have_attribute("data-state", "wrap_up", timeout=10_000)
        await steps.shot("handed-over")
        assert page_errors == []
    finally:
        await driver.dialer.hang_up(call)
