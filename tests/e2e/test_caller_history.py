"""A repeat caller is recognised at the screen-pop: the agent's page lists the caller's earlier call.

Real parts only: Debian's Chromium signed in as an agent, the centre over HTTP and websocket, the browser
phone over Asterisk's SIP websocket, the Asterisk 22 sandbox, the centre's call records.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from hotline.db import repository as repo
from tests.e2e.agent_page import Steps, create_browser_agent, sign_in_and_register
from tests.integration.calls import CallDriver, eventually, user_event

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(90)]

CALLER = "13800138009"


async def abandoned_call(centre: Centre, driver: CallDriver) -> str:
    """The caller reaches the queue while nobody is signed in and gives up; the call's id once recorded."""
    call = await driver.call(CALLER, keys="3")
    await driver.wait_event(user_event("HotlineQueued", call.call_id))
    await driver.dialer.hang_up(call)

    def recorded() -> bool:
        row = repo.get_call(centre.sessions, call_id=call.call_id)
        return row is not None and row.outcome == "abandoned"

    await eventually(recorded)
    return call.call_id


async def test_given_caller_gave_up_earlier_when_calling_again_then_pop_lists_the_earlier_call(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await create_browser_agent(web_centre)
    earlier = await abandoned_call(web_centre, driver)
    await sign_in_and_register(page, web_centre, steps)

    call = await driver.call(CALLER, keys="3")
    try:
        await expect(page.get_by_test_id("screen-pop")).to_be_visible(timeout=20_000)
        await expect(page.locator("#screen-pop")).to_have_attribute("data-call-id", call.call_id)
        rows = page.locator("#history-calls tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-call-id", earlier)
        await expect(rows.first).to_contain_text("放弃")
        await expect(page.get_by_test_id("history-calls-box")).to_be_visible()
        await expect(page.get_by_test_id("history-recent")).to_have_text("近30天来电 1 次")
        await expect(page.get_by_test_id("history-repeat")).to_be_visible()
        await expect(page.get_by_test_id("incoming")).to_be_visible()
        await steps.shot("screen-pop-with-earlier-call")
    finally:
        await driver.dialer.hang_up(call)
