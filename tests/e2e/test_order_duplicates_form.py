"""并单 suggestions on the agent's order form in a real browser: a citizen who complained about a noisy
restaurant before calls again; while the agent types the new order the form already lists the earlier
order (without 并入此单, as nothing is saved yet); the agent saves it during the call and the form lists the
earlier order (number, matter, date, status, similarity, why) while an unrelated order of another caller
is not listed; 并入此单 merges the new order into the earlier one, which the centre then shows.

Real parts: Debian's Chromium, the centre over HTTP on the real Asterisk sandbox, the browser phone, SQLite.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Dialog, Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import (
    AGENT,
    AGENT_PASSWORD,
    Steps,
    admin_client,
    answer,
    create_browser_agent,
    sign_in_and_register,
)
from tests.e2e.test_agent_workflow import order_as_admin
from tests.integration.calls import CallDriver
from tests.integration.desktop import DesktopClient

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]

CALLER = "13800138021"
NOISE = "幸福路8号楼下餐馆油烟扰民，每晚排风直排到居民楼窗户"


async def earlier(centre: Centre, caller: str, matter: str, content: str) -> str:
    """An order the agent took earlier from ``caller``; its number."""
    desk = DesktopClient(centre.url)
    try:
        await desk.sign_in(AGENT, AGENT_PASSWORD)
        body: dict[str, Any] = {
            "caller": {"number": caller},
            "category": "help",
            "matter": matter,
            "content": content,
            "address": "幸福路8号",
        }
        resp = await desk.http.post("/api/work-orders", json=body, headers=desk.auth)
        assert resp.status_code == 201, resp.text
        number: str = resp.json()["number"]
        return number
    finally:
        await desk.close()


async def test_given_an_earlier_order_of_the_caller_when_saved_then_listed_and_merged(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await create_browser_agent(web_centre, skills={"general": 1})
    first = await earlier(web_centre, CALLER, "餐馆油烟扰民", NOISE)
    unrelated = await earlier(web_centre, "13900139000", "公积金提取", "咨询公积金提取需要哪些材料")
    await sign_in_and_register(page, web_centre, steps)
    call = await driver.call(CALLER, keys="0")
    try:
        await answer(page, driver, call.call_id, steps)
        await page.get_by_test_id("wo-category").select_option("help")
        await page.get_by_test_id("wo-content").fill("幸福路8号楼下餐馆油烟又在扰民，排风直排到居民楼窗户")
        await page.get_by_test_id("wo-matter").fill("餐馆油烟扰民")
        typing = page.get_by_test_id("dup-list").locator(f"tbody tr[data-number='{first}']")
        await expect(typing).to_contain_text("同一来电人")  # listed while typing, before any save
        await expect(page.get_by_test_id("dup-list").locator("tbody tr")).to_have_count(1)
        await expect(page.get_by_test_id("wo-duplicates")).to_contain_text("输入中预查")
        await expect(page.get_by_test_id("dup-merge")).to_have_count(0)
        await expect(page.get_by_test_id("wo-number")).to_be_empty()
        await steps.shot("duplicates-while-typing")
        await page.get_by_test_id("wo-save").click()
        await expect(page.get_by_test_id("wo-number")).not_to_be_empty()
        number = await page.get_by_test_id("wo-number").inner_text()

        listed = page.get_by_test_id("dup-list")
        await expect(listed.locator("tbody tr")).to_have_count(1)
        row = listed.locator(f"tbody tr[data-number='{first}']")
        await expect(row).to_contain_text("餐馆油烟扰民")
        await expect(row).to_contain_text("已受理")
        await expect(row).to_contain_text("同一来电人")
        await expect(row.locator("td.score")).to_have_text(re.compile(r"^[1-9][0-9]{0,2}%$"))
        await expect(page.get_by_test_id("wo-duplicates")).not_to_contain_text(unrelated)
        await steps.shot("duplicates-listed")

        async def accept(dialog: Dialog) -> None:
            await dialog.accept()

        page.once("dialog", accept)
        await row.get_by_test_id("dup-merge").click()
        await expect(page.get_by_test_id("dup-note")).to_have_text(f"已并单：{number} 已并入主单 {first}")
        await steps.shot("merged")
        merged = await order_as_admin(web_centre, number)
        assert merged["status"]["value"] == "merged"
        boss = await admin_client(web_centre)
        try:
            targets = (await boss.http.get(f"/api/work-orders/{first}/merged", headers=boss.auth)).json()
        finally:
            await boss.close()
        assert [(t["number"], t["merged_into"]) for t in targets] == [(first, None), (number, first)]
    finally:
        await driver.dialer.hang_up(call)
