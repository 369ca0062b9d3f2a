"""Admin tabs 坐席 and 审计 in Chromium against the real centre and Asterisk: the admin creates an agent
with skills in the page and that agent signs in on the agent page, whose browser phone registers; a CSV
with a bad line is refused whole with its line shown; disabling the agent sends their page back to the
sign-in form, removes their phone's registration from Asterisk and their password; the audit tab lists
each change and opens its diff, added and removed lines coloured. Screenshots under
test-artifacts/e2e/admin_agents."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, Dialog, FilePayload, Page, expect

from admin.csv_import import HEADER
from hotline.app import Centre
from tests.e2e.agent_page import Steps
from tests.e2e.conftest import ARTIFACTS
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient
from tests.integration.test_admin_agents_disable import contacts_of

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(180)]

EXTENSION = "1002"
"""A browser-phone extension of the sandbox: the new agent's page registers it."""


async def sign_in_admin(page: Page, centre: Centre, tab: str) -> None:
    """Open the console at ``tab`` and sign in as the centre's admin."""
    await page.set_viewport_size({"width": 1400, "height": 1000})
    await page.goto(f"{centre.url}admin#{tab}")
    await page.fill("input[name=user_id]", "admin")
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.click("#signin-form button[type=submit]")


async def accept(dialog: Dialog) -> None:
    """Answer yes to a confirmation."""
    await dialog.accept()


async def test_given_the_agents_tab_when_an_agent_is_created_then_they_sign_in_and_the_audit_shows_it(
    centre: Centre, page: Page, browser: BrowserContext
) -> None:
    steps = Steps(page, ARTIFACTS / "admin_agents")
    steps.where.mkdir(parents=True, exist_ok=True)
    page.on("dialog", accept)
    await sign_in_admin(page, centre, "agents")
    panel = page.get_by_test_id("panel-agents")
    await expect(panel.get_by_test_id("agent-row").filter(has_text="admin")).to_be_visible()

    await panel.get_by_test_id("agent-new").click()
    form = panel.get_by_test_id("agent-create-form")
    await form.get_by_test_id("agent-id").fill("8801")
    await form.get_by_test_id("agent-name").fill("陈静")
    await form.get_by_test_id("agent-extension").fill(EXTENSION)
    await form.get_by_test_id("add-skill").click()
    await form.get_by_test_id("skill-name").select_option("social_security")
    await form.get_by_test_id("skill-level").fill("4")
    await form.get_by_test_id("agent-password").fill("Chen-jing-8801")
    await form.get_by_test_id("agent-save").click()
    await expect(page.get_by_test_id("admin-message")).to_contain_text("已新建 8801 陈静")
    row = panel.locator("[data-agent='8801']")
    await expect(row).to_contain_text("social_security:4")
    await steps.shot("agents-created")

    desk = await browser.new_page()
    await desk.goto(centre.url)
    await desk.fill("input[name=user_id]", "8801")
    await desk.fill("input[name=password]", "Chen-jing-8801")
    await desk.click("#signin-form button[type=submit]")
    await expect(desk.locator("#conn")).to_have_text("已连接")
    await expect(desk.get_by_test_id("phone-status")).to_have_attribute("data-state", "registered")
    await desk.screenshot(path=str(steps.where / "02-agent-signed-in.png"))
    steps.count += 1

    bad_csv = "\r\n".join(
        [
            ",".join(HEADER),
            "8802,周磊,1003,坐席,general:2,Zhou-lei-8802",
            "8803,吴强,1004,厨师,general:2,Wu-qiang-8803",
            "",
        ]
    )
    await panel.get_by_test_id("import-file").set_input_files(
        files=[FilePayload(name="centre.csv", mimeType="text/csv", buffer=bad_csv.encode("utf-8"))]
    )
    problems = panel.get_by_test_id("import-problems")
    await expect(problems).to_contain_text("3")
    await expect(problems).to_contain_text("未知角色「厨师」")
    await expect(panel.locator("[data-agent='8802']")).to_have_count(0)
    await steps.shot("agents-import-refused")

    await row.get_by_test_id("agent-disable").click()
    await expect(page.get_by_test_id("admin-message")).to_contain_text(
        "已停用 8801：结束登录 1 个，软电话注册已注销"
    )
    await expect(row).to_contain_text("已停用")
    await expect(desk.locator("#signin")).to_be_visible()
    assert await contacts_of(centre, EXTENSION) == []
    again = DesktopClient(centre.url)
    refused = await again.http.post("/api/sessions", json={"user_id": "8801", "password": "Chen-jing-8801"})
    await again.close()
    assert refused.status_code == 401
    await steps.shot("agents-disabled")

    await page.get_by_test_id("tab-audit").click()
    audit = page.get_by_test_id("panel-audit")
    rows = audit.get_by_test_id("audit-row")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("停用")
    await expect(rows.nth(1)).to_contain_text("新建")
    await rows.nth(0).click()
    diff = audit.get_by_test_id("audit-diff").first
    await expect(diff.locator(".del")).to_contain_text('"disabled": false')
    await expect(diff.locator(".add")).to_contain_text('"disabled": true')
    await steps.shot("audit-diff")
