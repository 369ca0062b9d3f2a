"""The whole job in the browser: screen-pop with caller history, a work order typed during the call,
a three-way call with 110 and leaving it, a blind transfer back into a queue.

Real parts only: Debian's Chromium clicking the agent page, the centre over HTTP and websocket, the
browser phone over Asterisk's SIP websocket, the Asterisk 22 sandbox (ConfBridge, the hold loop).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import (
    AGENT,
    AGENT_PASSWORD,
    Steps,
    admin_client,
    answer,
    create_browser_agent,
    on_channel,
    sign_in_and_register,
)
from tests.integration.calls import CallDriver, user_event
from tests.integration.desktop import DesktopClient

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(90)]

ORDER_NUMBER = re.compile(r"^[0-9A-Za-z]{1,16}-[0-9]{8}-[0-9]{6,9}$")


async def add_article(centre: Centre, title: str, body: str) -> int:
    """A knowledge-base article, added by the admin; its id."""
    admin = await admin_client(centre)
    try:
        resp = await admin.http.post(
            "/api/knowledge", json={"title": title, "body": body, "tags": []}, headers=admin.auth
        )
        assert resp.status_code == 201, resp.text
        article_id: int = resp.json()["id"]
        return article_id
    finally:
        await admin.close()


async def earlier_order(centre: Centre, caller: str) -> str:
    """A work order the agent took from ``caller`` on an earlier call; its number."""
    desk = DesktopClient(centre.url)
    try:
        await desk.sign_in(AGENT, AGENT_PASSWORD)
        resp = await desk.http.post(
            "/api/work-orders",
            json={
                "caller": {"number": caller},
                "category": "consult",
                "matter": "公积金提取",
                "content": "咨询公积金提取需要哪些材料",
            },
            headers=desk.auth,
        )
        assert resp.status_code == 201, resp.text
        number: str = resp.json()["number"]
        return number
    finally:
        await desk.close()


async def order_as_admin(centre: Centre, number: str) -> dict[str, Any]:
    """``GET /api/work-orders/{number}`` as the admin."""
    admin = await admin_client(centre)
    try:
        resp = await admin.http.get(f"/api/work-orders/{number}", headers=admin.auth)
        assert resp.status_code == 200, resp.text
        order: dict[str, Any] = resp.json()
        return order
    finally:
        await admin.close()


async def fill_complaint(page: Page) -> None:
    """A complaint with all five elements, urgency 紧急, the first suggested department's matter."""
    await page.get_by_test_id("wo-category").select_option("complaint")
    await page.get_by_test_id("wo-urgency").select_option("urgent")
    await page.get_by_test_id("wo-caller-name").fill("王先生")
    for field, text in (
        ("who", "某建筑工地施工方"),
        ("when", "近一周每晚23点以后"),
        ("where", "幸福路18号工地"),
        ("what", "夜间施工噪音扰民"),
        ("how", "要求停止夜间施工"),
    ):
        await page.get_by_test_id(f"wo-{field}").fill(text)
    await page.get_by_test_id("wo-address").fill("幸福路18号")
    await page.get_by_test_id("wo-content").fill(
        "幸福路工地夜间施工噪音扰民，每晚十一点后仍在打桩，影响休息。"
    )
    suggestion = page.get_by_test_id("wo-suggestion").first
    await expect(suggestion).to_be_visible(timeout=5_000)
    await suggestion.click()
    await expect(page.get_by_test_id("wo-matter")).not_to_have_value("")


async def test_given_answered_call_when_order_typed_and_110_joined_then_order_saved_conference_and_wrap_up(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    caller = "13800138001"
    steps = Steps(page, artifacts)
    await create_browser_agent(web_centre)
    earlier = await earlier_order(web_centre, caller)
    await add_article(web_centre, "夜间施工噪音投诉受理口径", "夜间22时至次日6时禁止产生噪声的建筑施工作业。")
    await sign_in_and_register(page, web_centre, steps)

    call = await driver.call(caller, keys="3")
    try:
        await expect(page.get_by_test_id("screen-pop")).to_be_visible(timeout=20_000)
        history = page.locator("#history-orders tr")
        await expect(history).to_have_count(1)
        await expect(history.first).to_contain_text(earlier)
        await expect(history.first).to_contain_text("138****8001")
        await steps.shot("screen-pop-with-history")
        agent_channel = await answer(page, driver, call.call_id, steps)

        await page.get_by_test_id("pop-hold").click()
        await driver.wait_event(on_channel(agent_channel, "Hold"))
        await expect(page.get_by_test_id("pop-hold")).to_have_attribute("aria-pressed", "true")
        await page.get_by_test_id("pop-hold").click()
        await driver.wait_event(on_channel(agent_channel, "Unhold"))

        await fill_complaint(page)
        await page.get_by_test_id("kb-query").fill("夜间施工")
        await page.get_by_test_id("kb-search").click()
        await expect(page.get_by_test_id("kb-article").first).to_contain_text("夜间施工噪音投诉受理口径")
        await steps.shot("work-order-filled")
        await page.get_by_test_id("wo-save").click()
        await expect(page.get_by_test_id("wo-number")).to_have_text(ORDER_NUMBER)
        number = await page.get_by_test_id("wo-number").inner_text()
        await steps.shot("work-order-saved")

        order = await order_as_admin(web_centre, number)
        assert order["call_id"] == call.call_id
        assert order["caller"]["number"] == caller
        assert (order["category"]["value"], order["urgency"]["value"]) == ("complaint", "urgent")
        assert order["elements"]["where"] == "幸福路18号工地"
        assert order["matter_code"]
        assert order["status"]["value"] == "intake"

        await page.get_by_test_id("directory").select_option("police")
        await page.get_by_test_id("three-way").click()
        await expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "three_way")
        await driver.wait_event(lambda e: e.name == "ConfbridgeJoin" and e.get("Uniqueid") == call.call_id)
        await driver.wait_event(on_channel(f"PJSIP/{AGENT}-", "ConfbridgeJoin"))
        await driver.wait_event(on_channel("Local/110*", "ConfbridgeJoin"), timeout=15)
        await steps.shot("three-way-with-110")

        await page.get_by_test_id("leave").click()
        await driver.wait_event(on_channel(agent_channel, "ConfbridgeLeave"))
        await expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "left")
        await expect(page.get_by_test_id("wrapup")).to_be_visible(timeout=5_000)
        await expect(page.get_by_test_id("wrapup-left")).to_have_text(re.compile(r"^[1-3]$"))
        await steps.shot("wrap-up-countdown")
        status = page.get_by_test_id("status")
        await expect(status).to_have_attribute("data-state", "idle", timeout=10_000)
        await expect(status).to_have_attribute("data-status", "available")
        await steps.shot("available-again")
        still_in = [e for e in driver.events if e.event.name == "ConfbridgeLeave"]
        assert not any(e.event.get("Uniqueid") == call.call_id for e in still_in)
    finally:
        await driver.dialer.hang_up(call)


async def test_given_answered_call_when_transferred_to_enterprise_queue_then_requeued_and_agent_wraps_up(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await create_browser_agent(web_centre, skills={"general": 1})
    article_id = await add_article(web_centre, "居住证办理指南", "携带身份证、租房合同到社区服务中心办理。")
    await sign_in_and_register(page, web_centre, steps)

    call = await driver.call("13800138002", keys="0")
    try:
        await answer(page, driver, call.call_id, steps)
        await page.get_by_test_id("wo-content").fill("咨询居住证怎么办理")
        await page.get_by_test_id("kb-query").fill("居住证")
        await page.get_by_test_id("kb-search").click()
        article = page.get_by_test_id("kb-article").first
        await expect(article).to_contain_text("居住证办理指南")
        await article.locator("input[type=radio]").check()
        await expect(page.get_by_test_id("wo-answered")).to_be_checked()
        await page.get_by_test_id("wo-save").click()
        await expect(page.get_by_test_id("wo-number")).to_have_text(ORDER_NUMBER)
        order = await order_as_admin(web_centre, await page.get_by_test_id("wo-number").inner_text())
        assert order["answered_directly"] is True
        assert order["answer_article_id"] == article_id
        assert order["call_id"] == call.call_id
        await steps.shot("answered-directly")

        await page.get_by_test_id("xfer-queue").select_option("enterprise")
        await page.get_by_test_id("transfer-queue").click()
        await expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "transferred")
        requeued = await driver.wait_event(
            lambda e: user_event("HotlineQueued", call.call_id)(e) and e.get("Queue") == "enterprise"
        )
        assert requeued.event.get("Uniqueid") == call.call_id
        await expect(page.get_by_test_id("wrapup")).to_be_visible(timeout=5_000)
        await expect(page.get_by_test_id("status")).to_have_attribute("data-state", "wrap_up")
        await expect(page.get_by_test_id("in-call")).to_be_hidden()
        await steps.shot("transferred-wrap-up")
    finally:
        await driver.dialer.hang_up(call)
