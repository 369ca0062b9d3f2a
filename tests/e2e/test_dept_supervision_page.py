"""督办 in the department portal with real Chromium: the inbox badge counts the open records of the
department and those below it, the list shows them, the order's detail lists its records, and
acknowledging one (确认督办) takes it off the badge; another department sees none of them.

Real parts only: Debian's Chromium, the running centre over HTTP and its database (the records are
written as the deadline checker leaves them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import Steps
from tests.e2e.test_dept_portal import WIDE, sign_in
from tests.integration.dept_portal import CITY, DISTRICT, OTHER_CITY, STREET, dept_user, dispatched_order
from tests.integration.dept_supervision import raise_record

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]


async def test_given_supervision_records_then_badge_list_detail_and_acknowledgement(
    centre: Centre, page: Page, artifacts: Path
) -> None:
    for user_id, department in (("city1", CITY), ("env1", OTHER_CITY)):
        await (await dept_user(centre, user_id, department)).close()
    number = await dispatched_order(centre, CITY)
    quiet = await dispatched_order(centre, CITY)
    mine = await raise_record(centre, number, department=CITY)
    await raise_record(
        centre, number, reason="repeat", level="escalated", department=STREET, escalate_to=DISTRICT
    )
    await page.set_viewport_size(WIDE)
    steps = Steps(page, artifacts)

    await sign_in(page, centre, "city1")
    await expect(page.get_by_test_id("supervision-count")).to_have_text("2")
    await page.get_by_test_id("supervision-badge").click()
    rows = page.locator("#supervision-rows tr")
    await expect(rows).to_have_count(2)
    await expect(page.get_by_test_id("supervision-list")).to_contain_text("签收超时")
    await expect(page.get_by_test_id("supervision-list")).to_contain_text("升级督办")
    await expect(page.get_by_test_id("supervision-list")).to_contain_text("姑苏区平江街道 → 姑苏区")
    await steps.shot("supervision-list")

    await page.locator(f"#supervision-rows tr[data-id='{mine}'] td[data-field='number'] button").click()
    await expect(page.get_by_test_id("d-number")).to_have_text(number)
    items = page.locator("#d-supervision li")
    await expect(items).to_have_count(2)
    await expect(page.get_by_test_id("d-supervision")).to_contain_text("督办：签收超时")
    await steps.shot("order-supervision")
    await page.get_by_test_id("d-supervision").get_by_test_id("supervision-ack").last.click()
    await expect(page.get_by_test_id("action-done")).to_contain_text("已确认督办")
    await expect(page.get_by_test_id("supervision-count")).to_have_text("1")
    await expect(page.locator(f"#supervision-rows tr[data-id='{mine}']")).to_have_count(0)
    await expect(page.locator("#d-supervision li[data-open='false']")).to_contain_text("已确认（city1）")
    await steps.shot("supervision-acknowledged")

    await page.locator(f"#inbox-rows tr[data-number='{quiet}']").click()
    await expect(page.get_by_test_id("d-supervision")).to_have_text("无")

    await page.get_by_test_id("signout").click()  # signed out before the next page load
    await expect(page.locator("#signin")).to_be_visible()
    await sign_in(page, centre, "env1")
    await expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    await expect(page.get_by_test_id("supervision-count")).to_have_text("0")
    assert number not in await page.content()
