"""The supervisor page shows each channel: a citizen's chat waiting (started through the chat API as the
citizen page does) appears live in the chats table of the supervisor's own queues, labelled 文字, with
today's offered count; the queue board labels the sign-language video queue 视频 and the phone queues 语音.
Real parts: Debian's Chromium, the running centre (ACD, desktop and chat websockets, HTTP, SQLite) and
the Asterisk sandbox."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from tests.e2e import supervisor_page
from tests.e2e.agent_page import Steps
from tests.e2e.supervisor_page import create_supervisor, open_board, queue_cell
from tests.integration.test_chat_centre import open_chat

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(120)]

centre_settings = supervisor_page.centre_settings
charts_bundled = supervisor_page.charts_bundled


async def test_given_a_waiting_chat_when_the_supervisor_watches_then_the_board_shows_each_channel(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    await create_supervisor(web_centre, ["general", "sign_video"])
    steps = Steps(page, artifacts)
    await open_board(page, web_centre, steps)
    await expect(queue_cell(page, "sign_video", "channel")).to_have_text("视频")
    await expect(queue_cell(page, "general", "channel")).to_have_text("语音")
    await expect(page.get_by_test_id("chats-at")).to_contain_text("更新于")

    async with httpx.AsyncClient(base_url=web_centre.url, timeout=10.0) as http:
        mine = await open_chat(web_centre, http, queue="general", phone="13800003333")
        other = await open_chat(web_centre, http, queue="enterprise")
        try:
            row = page.locator("#chat-rows tr[data-queue='general']")
            await expect(row.locator("td[data-field='waiting']")).to_have_text("1")
            await expect(row.locator("td[data-field='offered']")).to_have_text("1")
            await expect(row.locator("td[data-field='active']")).to_have_text("0")
            await expect(row.locator("td[data-field='answered']")).to_have_text("0")
            await expect(row.locator("td[data-field='channel']")).to_have_text("文字")
            await expect(row.locator("td[data-field='waiting']")).to_have_attribute("data-level", "amber")
            # the other queue's chat is not the supervisor's: no row for it
            await expect(page.locator("#chat-rows tr[data-queue='enterprise']")).to_have_count(0)
            await expect(page.locator("#chat-rows tr[data-queue='sign_video']")).to_have_count(1)
            await steps.shot("channels")
        finally:
            await mine.ws.close()
            await other.ws.close()
