"""Text chat inside the sign-language page (/citizen/sign, phone size): the page's 文字交流 choice mounts
citizen_chat.js into #chat-entry; the chat waits in the accessibility queue (signing agents first) and
the citizen sees their place in line. Real parts: Debian's Chromium, the running centre, its ACD."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect

from acd.model import CallState
from hotline.app import Centre
from tests.e2e.agent_page import Steps

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(90)]


async def test_given_the_sign_page_when_the_citizen_chooses_text_then_the_chat_waits_for_a_signing_agent(
    centre: Centre, browser: BrowserContext, artifacts: Path
) -> None:
    phone = browser.pages[0] if browser.pages else await browser.new_page()
    await phone.set_viewport_size({"width": 390, "height": 844})
    steps = Steps(phone, artifacts)
    await phone.goto(centre.url + "citizen/sign")
    await phone.wait_for_function("() => window.HotlineCitizenChat !== undefined")
    await phone.evaluate("() => { document.getElementById('alternatives').hidden = false; }")
    await phone.get_by_test_id("choose-chat").click()
    entry = phone.get_by_test_id("chat-entry")
    await entry.get_by_test_id("chat-begin").click()
    await expect(entry.get_by_test_id("chat-queue")).to_contain_text("您是下一位")
    await entry.get_by_test_id("chat-input").fill("我想预约手语翻译")
    await entry.get_by_test_id("chat-send").click()
    await expect(entry.get_by_test_id("chat-message")).to_contain_text("已发送")
    await entry.scroll_into_view_if_needed()
    await steps.shot("sign-page-chat")
    chats = [c for c in centre.acd.engine.store.iter_calls() if c.channel.startswith("chat/")]
    assert [(c.queue, c.state) for c in chats] == [("accessibility", CallState.WAITING)]
