"""The department admin's users panel in the portal, in a real browser: a city department's admin sees the
users of their department and the streets below it, adds a street user who then signs in to the portal,
and disables them (their sign-in stops working); a plain department user has no users panel.

Real parts only: Debian's Chromium, the running centre over HTTP, its database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import Steps
from tests.e2e.test_dept_portal import WIDE, sign_in
from tests.integration.dept_portal import CITY, STREET, dept_user
from tests.integration.desktop import DesktopClient

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]

NEW_PASSWORD = "pw-street9-secret"


async def test_given_a_department_admin_when_adding_and_disabling_a_user_then_sign_in_follows(
    centre: Centre, page: Page, artifacts: Path
) -> None:
    await (await dept_user(centre, "cityboss", CITY, is_dept_admin=True)).close()
    await (await dept_user(centre, "city2", CITY)).close()
    await page.set_viewport_size(WIDE)
    steps = Steps(page, artifacts)

    await sign_in(page, centre, "city2")
    await expect(page.get_by_test_id("signout")).to_be_visible()
    await expect(page.get_by_test_id("dept-name")).to_be_visible()
    await expect(page.get_by_test_id("users-button")).to_be_hidden()

    await page.get_by_test_id("signout").click()
    await expect(page.locator("#signin-form")).to_be_visible()
    await sign_in(page, centre, "cityboss")
    await page.get_by_test_id("users-button").click()
    rows = page.locator("#users-rows tr")
    await expect(rows.filter(has_text="city2")).to_be_visible()
    form = page.get_by_test_id("user-form")
    await form.get_by_test_id("user-id").fill("street9")
    await form.get_by_test_id("user-name").fill("平江街道王五")
    await form.get_by_test_id("user-department").select_option(STREET)
    await form.get_by_test_id("user-password").fill(NEW_PASSWORD)
    await form.get_by_test_id("user-save").click()
    await expect(page.get_by_test_id("users-done")).to_have_text("已保存用户 平江街道王五")
    added = rows.filter(has_text="street9")
    await expect(added).to_contain_text("平江街道")
    await expect(added).to_contain_text("启用")
    await steps.shot("users-added")

    street = DesktopClient(centre.url)
    try:
        await street.sign_in("street9", NEW_PASSWORD)
        me = await street.http.get("/api/dept/me", headers=street.auth)
        assert me.status_code == 200, me.text
        assert me.json()["department"]["code"] == STREET

        page.once("dialog", lambda d: d.accept())
        await added.get_by_test_id("user-disable").click()
        await expect(added).to_contain_text("已停用")
        after = await street.http.get("/api/dept/me", headers=street.auth)
        assert after.status_code == 401, after.text
    finally:
        await street.close()
    await steps.shot("users-disabled")
