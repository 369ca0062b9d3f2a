"""A form used before its page's script has run does nothing: the browser must not submit it itself.

A loaded machine showed the agent page's sign-in form before ``desktop.js`` had attached its handler; the
click made Chromium submit the form natively, a GET with the agent's password in the address
(``/?user_id=1001&password=...``, kept in history and server logs) and no sign-in. The same holds for
the citizen's matter on the public order page. Submit buttons now start disabled (pressing Enter does
nothing either) and the script enables them when its handler is attached; forms say ``method="post"``.

Real parts: Debian's Chromium, the running centre over HTTP; the page's script is held back by the test.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, Route, expect

from hotline.app import Centre
from tests.e2e.agent_page import AGENT, AGENT_PASSWORD, Steps, create_browser_agent
from tickets.models import WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(120)]


class HeldScript:
    """Holds one script of the page until released."""

    def __init__(self) -> None:
        self.released = asyncio.Event()

    async def __call__(self, route: Route) -> None:
        await self.released.wait()
        await route.continue_()


async def _held(page: Page, script: str) -> HeldScript:
    held = HeldScript()
    await page.route(f"**/static/{script}", held)
    return held


async def test_given_the_agent_page_before_its_script_when_signing_in_then_nothing_is_sent_until_it_runs(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    await create_browser_agent(web_centre)
    steps = Steps(page, artifacts)
    held = await _held(page, "desktop.js")
    await page.goto(web_centre.url, wait_until="commit")
    await page.fill("input[name=user_id]", AGENT)
    await page.fill("input[name=password]", AGENT_PASSWORD)
    submit = page.locator("#signin-form [type=submit]")
    await expect(submit).to_be_disabled()
    await page.press("input[name=password]", "Enter")
    await asyncio.sleep(1.0)
    assert "password" not in page.url, page.url
    assert "user_id" not in page.url, page.url
    await steps.shot("before-script")

    held.released.set()
    await expect(submit).to_be_enabled()
    await expect(page.locator("input[name=password]")).to_have_value(AGENT_PASSWORD)  # nothing reloaded
    await submit.click()
    await expect(page.locator("#conn")).to_have_text("已连接")
    assert "password" not in page.url, page.url
    await steps.shot("signed-in")


async def test_given_the_citizen_page_before_its_script_when_submitting_then_nothing_is_sent_until_it_runs(
    centre: Centre, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    held = await _held(page, "citizen_order.js")
    await page.goto(centre.url + "citizen/order", wait_until="commit")
    await page.fill("[data-testid=phone]", "13912340000")
    await page.fill("[data-testid=address]", "示例市幸福路8号")
    await page.fill("[data-testid=content]", "小区门口的路灯坏了两周，晚上很黑。")
    await expect(page.get_by_test_id("submit")).to_be_disabled()
    await expect(page.get_by_test_id("lookup-submit")).to_be_disabled()
    await page.press("[data-testid=address]", "Enter")
    await asyncio.sleep(1.0)
    assert "13912340000" not in page.url, page.url
    await steps.shot("before-script")

    held.released.set()
    await expect(page.get_by_test_id("submit")).to_be_enabled()
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("submitted-number")).not_to_be_empty()
    with centre.sessions() as s:
        assert s.query(WorkOrder).count() == 1
    await steps.shot("submitted")
