"""Admin tab 队列 in Chromium against the real centre and Asterisk: a caller waits for an enterprise
specialist while only a general seat is free; the admin adds an overflow step in the page (first a
wrong one, whose finding is listed by field), saves, and the general seat's phone rings for that
caller; then the admin compares with the earlier version and rolls back after seeing the diff."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Page, expect

from admin.audit import list_changes
from hotline.app import Centre
from tests.e2e.agent_page import Steps, admin_client
from tests.e2e.conftest import ARTIFACTS
from tests.integration.calls import CallDriver, channel_starting, user_event
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(180)]

SEAT = "7831"
PHONE = f"Local/{SEAT}*60*0.5@hotline-sim-agent"


async def _no_overflow_for_enterprise(admin: DesktopClient) -> int:
    current: dict[str, Any] = (await admin.http.get("/api/admin/queues", headers=admin.auth)).json()
    queues = [dict(q, overflow=[]) if q["name"] == "enterprise" else q for q in current["queues"]]
    body = {"base_version": current["version"], "queues": queues, "note": "企业专线暂不溢出"}
    resp = await admin.http.put("/api/admin/queues", json=body, headers=admin.auth)
    assert resp.status_code == 200, resp.text
    version: int = resp.json()["version"]
    return version


async def test_given_a_waiting_specialist_caller_when_admin_adds_an_overflow_step_then_a_general_seat_rings(
    centre: Centre, driver: CallDriver, page: Page
) -> None:
    steps = Steps(page, ARTIFACTS / "admin_queues")
    steps.where.mkdir(parents=True, exist_ok=True)
    admin = await admin_client(centre)
    closed = await _no_overflow_for_enterprise(admin)
    await admin.put_agent(SEAT, name="王五", contact=PHONE, skills={"general": 1}, password=f"pw-{SEAT}")
    seat = DesktopClient(centre.url)
    await seat.sign_in(SEAT, f"pw-{SEAT}")
    await seat.status("available")
    call = await driver.call("13800138031", keys="3")
    await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=20)

    await page.set_viewport_size({"width": 1400, "height": 1000})
    await page.goto(centre.url + "admin#queues")
    await page.fill("input[name=user_id]", "admin")
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.click("#signin-form button[type=submit]")
    await expect(page.get_by_test_id("queue-version")).to_have_text(f"队列配置 · 当前版本 {closed}")
    card = page.get_by_test_id("queue-enterprise")
    await card.get_by_test_id("add-step").click()
    await card.get_by_test_id("step-after").fill("0")
    await card.get_by_test_id("step-skills").fill("general")
    await page.get_by_test_id("queue-note").fill("企业专线 1 秒后溢出到综合坐席")
    await page.get_by_test_id("queue-save").click()
    finding = "enterprise · 溢出步骤 · 第 1 步 · 等待秒数"
    await expect(page.get_by_test_id("queue-errors")).to_contain_text(finding)
    await steps.shot("queues-error")

    await card.get_by_test_id("step-after").fill("1")
    await page.get_by_test_id("queue-save").click()
    await expect(page.get_by_test_id("admin-message")).to_contain_text(f"已保存版本 {closed + 1}")
    await driver.wait_event(channel_starting(f"Local/{SEAT}*"), timeout=15)
    assert call.call_id in centre.acd.leg_of_call
    await steps.shot("queues-saved")

    await page.get_by_test_id(f"queue-version-{closed}").get_by_test_id("queue-rollback").click()
    box = page.get_by_test_id("queue-rollback-box")
    await expect(box.get_by_test_id("queue-diff")).to_contain_text("-    skills:")
    await expect(box.get_by_test_id("queue-diff")).to_contain_text("-  - after_s: 1")
    await steps.shot("queues-rollback-confirm")
    await box.get_by_test_id("queue-rollback-confirm").click()
    await expect(page.get_by_test_id("queue-version")).to_have_text(f"队列配置 · 当前版本 {closed + 2}")
    assert centre.acd.engine.queues["enterprise"].overflow == ()
    await steps.shot("queues-rolled-back")

    changes = await asyncio.to_thread(list_changes, centre.sessions, area="queue")
    assert [c.action for c in changes] == ["rollback", "update", "update"]
    await driver.dialer.hang_up(call)
    await seat.close()
    await admin.close()
