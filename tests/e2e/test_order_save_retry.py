"""A save of the agent's order form whose answer is lost, clicked again, makes one order, in a real browser.

The centre stores the first save but the page never hears back (the connection is reset after the
answer left the centre); the form says the save failed and the agent clicks 保存 again. Both saves carry
the same request key, the second one is answered with the order the first one made (200), and the caller
has one order. After the save the form has a new key; the next call's form (it pops while ringing)
has yet another one.

Real parts: Debian's Chromium, the centre over HTTP on the real Asterisk sandbox, the browser phone, SQLite.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import Steps, admin_client, answer, create_browser_agent, sign_in_and_register
from tests.e2e.lost_answer import FirstAnswerLost
from tests.integration.calls import CallDriver

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]

CALLER = "13800138031"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


async def orders_of(centre: Centre, caller: str) -> list[dict[str, Any]]:
    """The caller's orders, as the admin lists them."""
    admin = await admin_client(centre)
    try:
        resp = await admin.http.get("/api/work-orders", params={"caller": caller}, headers=admin.auth)
        assert resp.status_code == 200, resp.text
        found: list[dict[str, Any]] = resp.json()
        return found
    finally:
        await admin.close()


async def form_key(page: Page) -> str:
    """The request key the order form sends with its next save."""
    key: str = await page.evaluate("() => workOrder.requestKey")
    return key


async def test_given_a_save_whose_answer_was_lost_when_saved_again_then_one_order(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await create_browser_agent(web_centre, skills={"general": 1})
    await sign_in_and_register(page, web_centre, steps)
    lost = FirstAnswerLost()
    sent, answered = lost.sent, lost.answered

    await page.route(re.compile(r".*/api/work-orders$"), lost)
    call = await driver.call(CALLER, keys="0")
    try:
        await answer(page, driver, call.call_id, steps)
        started = await form_key(page)
        assert UUID.match(started), started
        await page.get_by_test_id("wo-category").select_option("consult")
        await page.get_by_test_id("wo-content").fill("咨询新生儿医保办理需要哪些材料")
        await page.get_by_test_id("wo-save").click()
        await expect(page.get_by_test_id("wo-error")).to_contain_text("请再次点击保存")
        await expect(page.get_by_test_id("wo-number")).to_be_empty()
        await expect(page.get_by_test_id("wo-save")).to_be_enabled()
        assert await form_key(page) == started  # a failed save keeps the key
        await steps.shot("first-save-answer-lost")

        await page.get_by_test_id("wo-save").click()
        await expect(page.get_by_test_id("wo-number")).not_to_be_empty()
        await expect(page.get_by_test_id("wo-error")).to_be_empty()
        await steps.shot("saved-again-one-order")
        number = await page.get_by_test_id("wo-number").inner_text()

        assert [body["request_key"] for body in sent] == [started, started]
        assert answered == [201, 200]
        listed = await orders_of(web_centre, CALLER)
        assert [o["number"] for o in listed] == [number]
        assert listed[0]["call_id"] == call.call_id
        after_save = await form_key(page)
        assert UUID.match(after_save)
        assert after_save != started
    finally:
        await driver.dialer.hang_up(call)
    await page.unroute(re.compile(r".*/api/work-orders$"))

    second = await driver.call(CALLER, keys="0")
    try:
        await expect(page.locator("#screen-pop")).to_have_attribute(
            "data-call-id", second.call_id, timeout=20_000
        )
        next_form = await form_key(page)
        assert UUID.match(next_form)
        assert next_form not in {started, after_save}
        await expect(page.get_by_test_id("wo-number")).to_be_empty()
    finally:
        await driver.dialer.hang_up(second)
