"""Text chat in two real browser tabs: the citizen page /citizen/chat (phone size) and the agent page.

The citizen starts a chat and writes while waiting; the agent's page shows the offer, the agent accepts,
reads the message, replies; both sides see typing and delivery receipts; the agent's page reloads and the
chat comes back with its history; the agent makes a work order from the chat and the order carries the
transcript; the citizen ends the chat. Real parts: Debian's Chromium, the running centre (ACD, both
websockets, HTTP, SQLite), the Asterisk sandbox (the agent's browser phone registers).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from chat.store import get_session
from hotline.app import Centre
from tests.e2e.agent_page import Steps, create_browser_agent, sign_in_and_register
from tickets.repository import get_work_order

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]
FIRST = "您好，我是听障人士，小区电梯坏了三天"
REPLY = "您好，请告诉我小区名称和楼号，我们帮您登记。"
SECOND = "幸福小区8号楼"


async def test_given_a_citizen_chat_when_an_agent_takes_it_then_messages_receipts_reload_and_order_work(
    web_centre: Centre, page: Page, browser: BrowserContext, artifacts: Path
) -> None:
    centre = web_centre
    await create_browser_agent(centre)
    agent = Steps(page, artifacts)
    await sign_in_and_register(page, centre, agent)

    phone = await browser.new_page()
    await phone.set_viewport_size({"width": 390, "height": 844})
    citizen = Steps(phone, artifacts)
    await phone.goto(centre.url + "citizen/chat")
    await phone.fill("[data-testid=chat-phone]", "13800002222")
    await phone.click("[data-testid=chat-begin]")
    await expect(phone.get_by_test_id("chat-status")).to_contain_text("正在为您接入坐席")
    await phone.fill("[data-testid=chat-input]", FIRST)
    await phone.click("[data-testid=chat-send]")
    mine = phone.locator("[data-testid=chat-message][data-sender=citizen]")
    await expect(mine.first).to_contain_text("已发送")
    await citizen.shot("citizen-waiting")

    await expect(page.get_by_test_id("chat-offer")).to_be_visible()
    await agent.shot("agent-offer")
    await page.get_by_test_id("chat-accept").click()
    await expect(page.get_by_test_id("chat-tab")).to_have_count(1)
    pane = page.locator("[data-testid=chat-pane]:not([hidden])")
    await expect(pane.locator("[data-testid=chat-message][data-sender=citizen]").first).to_contain_text(FIRST)
    await expect(phone.get_by_test_id("chat-status")).to_contain_text("坐席已接入")
    await expect(mine.first).to_contain_text("已送达")

    await phone.type("[data-testid=chat-input]", "幸福", delay=50)
    await expect(pane.get_by_test_id("chat-typing")).to_have_text("市民正在输入…")
    await phone.fill("[data-testid=chat-input]", "")
    await pane.get_by_test_id("chat-input").type(REPLY[:4], delay=50)
    await expect(phone.get_by_test_id("chat-typing")).to_have_text("坐席正在输入…")
    await pane.get_by_test_id("chat-input").fill(REPLY)
    await pane.get_by_test_id("chat-send").click()
    await expect(phone.locator("[data-testid=chat-message][data-sender=agent]").first).to_contain_text(REPLY)
    await expect(pane.locator("[data-testid=chat-message][data-sender=agent]").first).to_contain_text(
        "已送达"
    )
    await phone.fill("[data-testid=chat-input]", SECOND)
    await phone.click("[data-testid=chat-send]")
    await expect(pane.locator("[data-testid=chat-message][data-sender=citizen]")).to_have_count(2)
    await citizen.shot("citizen-active")
    await agent.shot("agent-chat")

    await page.reload()
    await expect(page.locator("#conn")).to_have_text("已连接")
    await expect(page.get_by_test_id("chat-tab")).to_have_count(1)
    pane = page.locator("[data-testid=chat-pane]:not([hidden])")
    await expect(pane.get_by_test_id("chat-message")).to_have_count(3)
    await expect(pane.get_by_test_id("chat-message").nth(2)).to_contain_text(SECOND)
    await agent.shot("agent-after-reload")

    await pane.get_by_test_id("chat-order-category").select_option("help")
    await pane.get_by_test_id("chat-order-matter").fill("电梯故障")
    await pane.get_by_test_id("chat-order-content").fill("听障市民反映幸福小区8号楼电梯坏了三天。")
    await pane.get_by_test_id("chat-order-save").click()
    number_shown = pane.get_by_test_id("chat-order-number")
    await expect(number_shown).to_have_text(re.compile(r"^12345-\d{8}-\d{6}$"))
    number = (await number_shown.text_content()) or ""
    await agent.shot("agent-order")
    order = get_work_order(centre.sessions, number=number)
    assert order is not None
    assert "【文字交谈记录】" in order.content
    assert all(text in order.content for text in (FIRST, REPLY, SECOND))

    await phone.click("[data-testid=chat-end]")
    await expect(phone.get_by_test_id("chat-status")).to_contain_text("您已结束交谈")
    await expect(page.get_by_test_id("chat-tab")).to_contain_text("已结束")
    await citizen.shot("citizen-ended")
    await agent.shot("agent-ended")
    sid = (await page.get_by_test_id("chat-tab").get_attribute("data-session")) or ""
    record = get_session(centre.sessions, session_id=sid)
    assert record is not None
    assert (record.state, record.outcome, record.ended_by, record.order_number) == (
        "ended",
        "answered",
        "citizen",
        number,
    )
