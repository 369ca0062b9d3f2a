"""The supervisor page in a real browser, its settings and figures: thresholds from the queue file colour
the waiting figures, the surge and emergency-notice switches, and today's KPIs as ``GET /api/kpis``
counts them.

Real parts only: Debian's Chromium, the centre over HTTP and websocket, the desktop websocket's
queue_figures and queue_kpis frames and the real Asterisk 22 sandbox.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from ivr.flow import SHANGHAI
from tests.e2e import supervisor_page
from tests.e2e.agent_page import Steps
from tests.e2e.supervisor_page import (
    SIM_AGENT_PHONE,
    STRICT_GENERAL,
    SUPERVISOR,
    agent_cell,
    create_supervisor,
    kpi_cell,
    open_board,
    queue_cell,
)
from tests.integration.calls import CallDriver
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient
from tests.integration.supervision import add_user, signed_in
from tests.integration.test_centre_switches import restore_notice

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]

centre_settings = supervisor_page.centre_settings
charts_bundled = supervisor_page.charts_bundled

CALLER = "13800138000"


@pytest.mark.parametrize("centre_settings", [STRICT_GENERAL], indirect=True)
async def test_given_thresholds_in_the_queue_file_when_callers_wait_then_the_page_colours_by_them(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await add_user(web_centre, "ag1", role="agent", contact=SIM_AGENT_PHONE, skills={"general": 1})
    await create_supervisor(web_centre, ["general"])
    agent = await signed_in(web_centre, "ag1", connect=True)
    calls = []
    try:
        await agent.status("paused", reason="小休")
        await open_board(page, web_centre, steps)
        reasons = page.get_by_test_id("pause-reason").locator("option")
        await expect(reasons).to_have_text(list(web_centre.acd.engine.policy.pause_reasons))
        waiting = queue_cell(page, "general", "waiting")
        await expect(waiting).to_have_attribute("title", "黄 ≥1，红 ≥2")
        await expect(waiting).not_to_have_attribute("data-level", "amber")

        calls.append(await driver.call(CALLER, keys="0"))
        await expect(waiting).to_have_text("1", timeout=30_000)
        await expect(waiting).to_have_attribute("data-level", "amber")
        await expect(queue_cell(page, "general", "longest_wait")).to_have_attribute(
            "data-level", "amber", timeout=15_000
        )
        await expect(queue_cell(page, "general", "estimated_wait")).not_to_be_empty()
        calls.append(await driver.call("13900139000", keys="0"))
        await expect(waiting).to_have_text("2", timeout=30_000)
        await expect(waiting).to_have_attribute("data-level", "red")
        await steps.shot("thresholds-from-config")
    finally:
        for call in calls:
            await driver.hang_up(call.local_channel)
        await agent.close()


async def test_given_the_switches_when_turning_surge_and_the_notice_on_then_both_flags_follow(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await create_supervisor(web_centre, ["general"])
    admin = DesktopClient(web_centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    try:
        await open_board(page, web_centre, steps)
        surge = page.get_by_test_id("surge-switch")
        await expect(page.get_by_test_id("surge-state")).to_have_text("已关闭")
        # The flag set alone (as another app node's switch does): this node's surge seats follow it,
        # and the page shows surge mode fully on at its next read of the switches.
        flag = await admin.http.put("/api/ivr/flags/surge", json={"value": True}, headers=admin.auth)
        assert flag.status_code == 200, flag.text
        await expect(page.get_by_test_id("surge-state")).to_have_text("已开启", timeout=25_000)
        assert web_centre.acd.engine.routing.surge["general"] == ("surge",)
        await surge.click()
        await expect(page.get_by_test_id("surge-state")).to_have_text("已关闭")
        assert not web_centre.acd.engine.routing.surge
        await expect(surge).to_have_text("开启高峰模式")
        await surge.click()
        await expect(page.get_by_test_id("surge-state")).to_have_text("已开启")
        await expect(surge).to_have_attribute("aria-pressed", "true")
        flags = (await admin.http.get("/api/ivr/flags", headers=admin.auth)).json()
        assert flags["overrides"]["surge"] is True
        switches = (await admin.http.get("/api/supervisor/switches", headers=admin.auth)).json()
        assert switches["surge"] == {"on": True, "acd": True, "ivr": True}
        assert web_centre.acd.engine.routing.surge["general"] == ("surge",)

        notice = "重要提示：今日暴雨，道路积水请拨打12345转人工。"
        await page.get_by_test_id("emergency-text").fill(notice)
        await page.get_by_test_id("emergency-switch").click()
        await expect(page.get_by_test_id("emergency-state")).to_have_text("播放中", timeout=30_000)
        switches = (await admin.http.get("/api/supervisor/switches", headers=admin.auth)).json()
        assert switches["emergency"] == {"on": True, "text": notice}
        assert (await admin.http.get("/api/ivr/flags", headers=admin.auth)).json()["overrides"] == {
            "surge": True,
            "emergency_announcement": True,
        }
        await expect(page.get_by_test_id("log")).to_contain_text("紧急通知已更新并开启")
        await steps.shot("switches-on")

        await surge.click()
        await expect(page.get_by_test_id("surge-state")).to_have_text("已关闭")
        switches = (await admin.http.get("/api/supervisor/switches", headers=admin.auth)).json()
        assert switches["surge"] == {"on": False, "acd": False, "ivr": False}
        assert not web_centre.acd.engine.routing.surge
        log = (await admin.http.get("/api/supervisor/log", headers=admin.auth)).json()
        assert [s["action"] for s in log[:3]] == ["surge_off", "emergency_on", "surge_on"]
    finally:
        await restore_notice(admin)
        await admin.close()


async def test_given_a_call_answered_today_when_kpis_arrive_then_the_panel_shows_the_kpi_api_numbers(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await add_user(web_centre, "ag1", role="agent", contact=SIM_AGENT_PHONE, skills={"general": 1})
    await create_supervisor(web_centre, ["general"])
    agent = await signed_in(web_centre, "ag1", connect=True)
    sup = await signed_in(web_centre, SUPERVISOR)
    try:
        await agent.status("available")
        await open_board(page, web_centre, steps)
        call = await driver.call(CALLER, keys="0")
        await expect(agent_cell(page, "ag1", "status")).to_have_text("通话中", timeout=30_000)
        await driver.hang_up(call.local_channel)
        await expect(kpi_cell(page, "general", "answered")).to_have_text("1", timeout=40_000)
        await expect(agent_cell(page, "ag1", "handled")).to_have_text("1")

        start, end = await page.evaluate("[kpis.data.from, kpis.data.to]")
        midnight = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
        assert datetime.fromisoformat(start) == midnight, start
        day = {"from": start, "to": end, "queue": "general"}
        resp = await sup.http.get("/api/kpis", params=day, headers=sup.auth)
        assert resp.status_code == 200, resp.text
        totals = resp.json()["totals"]
        assert totals["answered"] == 1, totals
        for field in ("offered", "answered", "abandoned", "callbacks"):
            await expect(kpi_cell(page, "general", field)).to_have_text(str(totals[field]))
        await expect(kpi_cell(page, "general", "service_level")).to_have_text(
            percent(totals["service_level"])
        )
        await expect(kpi_cell(page, "general", "answer_rate")).to_have_text(percent(totals["answer_rate"]))
        await expect(kpi_cell(page, "general", "asa")).to_have_text(minutes(totals["asa_s"]))
        await expect(kpi_cell(page, "general", "aht")).to_have_text(minutes(totals["aht_s"]))
        bars = await page.evaluate(
            "echarts.getInstanceByDom(document.getElementById('chart-sl')).getOption().series[0].data"
        )
        assert [b for b in bars if b is not None], "no service-level interval drawn"
        await steps.shot("kpis")
    finally:
        await sup.close()
        await agent.close()


def percent(value: float | None) -> str:
    """A rate as the page shows it."""
    return "—" if value is None else f"{value * 100:.1f}%"


def minutes(seconds: float | None) -> str:
    """A duration as the page shows it (mm:ss)."""
    if seconds is None:
        return "—"
    s = int(seconds + 0.5)  # as Math.round in the page
    return f"{s // 60:02d}:{s % 60:02d}"
