"""Two admins on one draft, in a real browser: the page opened the draft, someone else saved it meanwhile,
and the page's save is refused with a message saying so, keeping the other admin's text on the server
and this admin's on screen (nothing is overwritten unseen)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from ivr.flow.loader import DEFAULT_PACK_PATH
from tests.e2e.agent_page import Steps
from tests.e2e.supervisor_page import WIDE
from tests.integration.conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SHIPPED = DEFAULT_PACK_PATH.read_text(encoding="utf-8")
SLOW = 20_000


async def test_given_a_draft_saved_by_another_admin_when_this_page_saves_then_it_is_refused_and_said(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await page.set_viewport_size(WIDE)
    await page.goto(web_centre.url + "admin#flows")
    await page.fill("input[name=user_id]", "admin")
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.click("#signin-form button[type=submit]")
    await page.get_by_test_id("flow-new-draft").click()
    await expect(page.get_by_test_id("admin-message")).to_have_text("已新建草稿 版本 2", timeout=SLOW)
    await expect(page.get_by_test_id("flow-status")).to_have_text("草稿（可编辑）")

    theirs = SHIPPED.replace("priority: 10", "priority: 20")
    async with httpx.AsyncClient(base_url=web_centre.url) as other:
        signed = await other.post("/api/sessions", json={"user_id": "admin", "password": ADMIN_PASSWORD})
        auth = {"Authorization": f"Bearer {signed.json()['token']}"}
        saved = await other.put("/api/ivr/flows/2", json={"source": theirs}, headers=auth)
        assert saved.status_code == 200, saved.text

        await page.locator(".cm-line").first.click()
        await page.keyboard.press("Control+Home")
        await page.keyboard.type("# 本页的修改\n")
        await page.get_by_test_id("flow-save").click()
        message = page.get_by_test_id("admin-message")
        await expect(message).to_contain_text("已被他人修改", timeout=SLOW)
        await expect(message).to_contain_text("本次未保存")
        await expect(page.locator(".cm-line").first).to_have_text("# 本页的修改")
        await steps.shot("save-refused-draft-changed")

        kept = (await other.get("/api/ivr/flows/2", headers=auth)).json()
        assert kept["source"] == theirs
