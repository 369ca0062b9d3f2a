"""Admin tab 通讯录 in Chromium against the real centre: the seeded directory (110/119/120/122, 12333,
12338, 12315, 961017 ...) is listed; a number that is not 3-20 digits is refused; an added entry
reaches the agents' transfer list at once and a deleted one leaves it. Screenshots under
test-artifacts/e2e/admin_directory."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import Steps, admin_client
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_admin_agents_page import accept, sign_in_admin

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(180)]


async def test_given_the_directory_tab_when_entries_change_then_the_transfer_list_follows(
    centre: Centre, page: Page
) -> None:
    steps = Steps(page, ARTIFACTS / "admin_directory")
    steps.where.mkdir(parents=True, exist_ok=True)
    page.on("dialog", accept)
    admin = await admin_client(centre)
    try:
        await sign_in_admin(page, centre, "directory")
        panel = page.get_by_test_id("panel-directory")
        seeded = {"police": "110", "social-security": "12333", "women-children": "12338", "consumer": "12315"}
        for entry_id, number in (seeded | {"neighbour-961017": "961017"}).items():
            await expect(panel.locator(f"[data-entry='{entry_id}'] [data-testid=dir-number]")).to_have_value(
                number
            )
        await steps.shot("directory-seeded")

        new = panel.get_by_test_id("dir-new")
        await new.get_by_test_id("dir-id").fill("tax")
        await new.get_by_test_id("dir-name").fill("12366 纳税服务热线")
        await new.get_by_test_id("dir-number").fill("12366#1")
        await new.get_by_test_id("dir-kind").select_option("hotline")
        await new.get_by_test_id("dir-add").click()
        await expect(page.get_by_test_id("admin-message")).to_contain_text("号码须为 3-20 位数字")
        await steps.shot("directory-bad-number")
        before = {e["id"] for e in (await admin.http.get("/api/directory", headers=admin.auth)).json()}
        assert "tax" not in before

        await new.get_by_test_id("dir-number").fill("12366")
        await new.get_by_test_id("dir-add").click()
        await expect(page.get_by_test_id("admin-message")).to_contain_text("已保存 12366 纳税服务热线 12366")
        await expect(panel.locator("[data-entry='tax']")).to_have_count(1)
        await panel.locator("[data-entry='urban']").get_by_test_id("dir-delete").click()
        await expect(panel.locator("[data-entry='urban']")).to_have_count(0)
        transfer = {
            e["id"]: e["number"] for e in (await admin.http.get("/api/directory", headers=admin.auth)).json()
        }
        assert transfer["tax"] == "12366"
        assert "urban" not in transfer
        await steps.shot("directory-saved")
    finally:
        await admin.close()
