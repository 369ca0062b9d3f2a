"""The supervisor page in a real browser: live figures as a call waits and is answered, actions on agents
that the agent's page shows, refusals in Chinese, a barge from the page answered by the supervisor's
browser phone, a take-over, pause reasons from the queue configuration (thresholds, switches and KPIs:
test_supervisor_page_settings.py).

Real parts only: Debian's Chromium (fake microphone), the centre over HTTP and websocket, the desktop
websocket's queue_figures and queue_kpis frames, JsSIP over Asterisk's SIP websocket and the real
Asterisk 22 sandbox.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, expect

from acd.events import AgentLoggedIn, AgentPaused, AgentReady
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from tests.e2e import supervisor_page
from tests.e2e.agent_page import Steps, create_browser_agent, on_channel, sign_in_and_register
from tests.e2e.supervisor_page import (
    SIM_AGENT_PHONE,
    SUPERVISOR,
    agent_cell,
    agent_row,
    create_supervisor,
    open_board,
    queue_cell,
    sign_in,
)
from tests.integration.calls import CallDriver
from tests.integration.supervision import add_user, signed_in, supervised_call

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]

centre_settings = supervisor_page.centre_settings
charts_bundled = supervisor_page.charts_bundled

CALLER = "13800138000"


async def test_given_an_agent_when_opening_the_supervisor_page_then_no_board_is_shown(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    await add_user(web_centre, "ag1", role="agent", contact=SIM_AGENT_PHONE, skills={"general": 1})
    await sign_in(page, web_centre, "ag1", "pw-ag1")
    await expect(page.get_by_test_id("denied")).to_be_visible()
    await expect(page.get_by_test_id("denied")).to_contain_text("无权限")
    await expect(page.locator("#board")).to_be_hidden()
    await Steps(page, artifacts).shot("agent-denied")


async def test_given_the_board_when_a_call_waits_and_is_answered_then_tables_and_charts_follow(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await add_user(web_centre, "ag1", role="agent", contact=SIM_AGENT_PHONE, skills={"general": 1})
    await create_supervisor(web_centre, ["general"])
    agent = await signed_in(web_centre, "ag1", connect=True)
    try:
        await agent.status("paused", reason="小休")
        await open_board(page, web_centre, steps)
        await expect(queue_cell(page, "general", "paused")).to_have_text("小休 1")
        await expect(agent_cell(page, "ag1", "status")).to_have_text("暂停（小休）")

        call = await driver.call(CALLER, keys="0")
        await expect(queue_cell(page, "general", "waiting")).to_have_text("1", timeout=30_000)
        await expect(queue_cell(page, "general", "ready")).to_have_attribute("data-level", "red")
        await steps.shot("call-waiting")
        await agent_row(page, "ag1").get_by_test_id("force-ready").click()
        await expect(agent_cell(page, "ag1", "status")).to_have_text("通话中", timeout=30_000)
        await expect(queue_cell(page, "general", "waiting")).to_have_text("0")
        await expect(queue_cell(page, "general", "on_call")).to_have_text("1")
        await expect(agent_cell(page, "ag1", "call")).to_contain_text(CALLER)
        await expect(agent_row(page, "ag1").get_by_test_id("barge")).to_be_enabled()
        await expect(page.get_by_test_id("log")).to_contain_text("置闲")
        points = await page.evaluate("document.querySelector('#chart-waiting canvas') !== null")
        assert points, "the waiting chart was not drawn"
        await steps.shot("call-answered")
        await driver.hang_up(call.local_channel)
        await expect(agent_cell(page, "ag1", "handled")).to_have_text("1", timeout=30_000)
        await steps.shot("call-handled")
    finally:
        await agent.close()


async def test_given_the_agents_page_when_the_supervisor_pauses_them_then_the_agent_sees_it(
    web_centre: Centre, browser: BrowserContext, page: Page, artifacts: Path
) -> None:
    await create_browser_agent(web_centre)
    await add_user(web_centre, "ag2", role="agent", contact=SIM_AGENT_PHONE, skills={"enterprise": 1})
    await create_supervisor(web_centre, ["general"])
    (artifacts / "agent").mkdir()
    agent_steps = Steps(page, artifacts / "agent")
    await sign_in_and_register(page, web_centre, agent_steps)
    other = await signed_in(web_centre, "ag2", connect=True)
    board = await browser.new_page()
    steps = Steps(board, artifacts)
    try:
        await other.status("available")
        await open_board(board, web_centre, steps)
        await expect(agent_cell(board, "1001", "status")).to_have_text("就绪")
        await board.get_by_test_id("pause-reason").select_option("培训")
        await agent_row(board, "1001").get_by_test_id("force-pause").click()
        await expect(page.get_by_test_id("status")).to_have_attribute("data-status", "paused")
        await expect(page.get_by_test_id("status")).to_contain_text("暂停（培训）")
        await expect(agent_cell(board, "1001", "status")).to_have_text("暂停（培训）")
        await expect(page.locator("#status-error")).to_have_text(f"班长 {SUPERVISOR} 已将您置为暂停（培训）")
        await agent_steps.shot("paused-by-supervisor")

        await expect(agent_row(board, "ag2")).to_be_visible()
        await agent_row(board, "ag2").get_by_test_id("force-pause").click()
        refused = "暂停失败：该坐席不在您监管的队列（403）"
        await expect(board.get_by_test_id("action-error")).to_have_text(refused)
        await steps.shot("refused-in-chinese")
    finally:
        await other.close()
        await board.close()


async def test_given_an_agent_on_a_call_when_barging_from_the_page_then_the_browser_phone_joins(
    web_centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    s = await supervised_call(web_centre, driver, sandbox, queues=["general"])
    await create_supervisor(web_centre, ["general"])
    try:
        await open_board(page, web_centre, steps, phone=True)
        await expect(agent_cell(page, "ag1", "status")).to_have_text("通话中")
        await agent_row(page, "ag1").get_by_test_id("barge").click()
        await driver.wait_event(on_channel(f"PJSIP/{SUPERVISOR}-", "Newchannel"), timeout=20)
        await expect(page.get_by_test_id("in-call")).to_be_visible(timeout=20_000)
        await expect(page.get_by_test_id("spy-mode")).to_have_text("强插")
        await expect(page.get_by_test_id("spy-agent")).to_have_text("ag1")
        assert await spying_on(driver, s.agent_leg) == "ChanSpy"
        stats = await heard(page)
        assert stats["inbound"]["bytesReceived"] > 0, stats
        await steps.shot("barging")

        await page.get_by_test_id("spy-listen").click()
        await expect(page.get_by_test_id("spy-mode")).to_have_text("监听")
        await agent_row(page, "ag1").get_by_test_id("leave").click()
        await expect(page.get_by_test_id("in-call")).to_be_hidden(timeout=20_000)
        await expect(page.get_by_test_id("spy")).to_be_hidden()
        await steps.shot("left")
        me = await signed_in(web_centre, SUPERVISOR)
        log = await me.http.get("/api/supervisor/log?agent_id=ag1", headers=me.auth)
        await me.close()
        assert [step["action"] for step in log.json()] == ["leave", "switch_listen", "listen_barge"]
    finally:
        await s.close()


async def spying_on(driver: CallDriver, agent_leg: str) -> str:
    """The application the supervisor's browser-phone channel runs once it is up (ChanSpy)."""
    for _ in range(40):
        channels = await driver.ami.send_action_list(
            {"Action": "CoreShowChannels"}, complete_event="CoreShowChannelsComplete"
        )
        for c in channels:
            if c.get("Channel", "").startswith(f"PJSIP/{SUPERVISOR}-") and c.get("Application"):
                return c.get("Application", "")
        await asyncio.sleep(0.25)
    raise AssertionError(f"no channel of the supervisor's phone spying on {agent_leg}")


async def heard(page: Page) -> dict[str, Any]:
    """The browser phone's media counters once audio came in (the call's sound reaches the supervisor)."""
    for _ in range(40):
        stats: dict[str, Any] | None = await page.evaluate("window.__hotline_phone.stats()")
        if stats and (stats["inbound"] or {}).get("bytesReceived", 0) > 0:
            return stats
        await asyncio.sleep(0.25)
    raise AssertionError("no audio reached the supervisor's browser phone")


async def test_given_a_barge_when_taking_over_from_the_page_then_the_agent_drops_and_the_supervisor_stays(
    web_centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    s = await supervised_call(web_centre, driver, sandbox, queues=["general"])
    await create_supervisor(web_centre, ["general"])
    try:
        await open_board(page, web_centre, steps, phone=True)
        await agent_row(page, "ag1").get_by_test_id("barge").click()
        await expect(page.get_by_test_id("in-call")).to_be_visible(timeout=20_000)
        await expect(agent_row(page, "ag1").get_by_test_id("take-over")).to_be_enabled()
        await agent_row(page, "ag1").get_by_test_id("take-over").click()
        await expect(page.get_by_test_id("spy")).to_be_hidden(timeout=20_000)
        await expect(agent_cell(page, "ag1", "status")).not_to_have_text("通话中", timeout=20_000)
        await expect(page.get_by_test_id("in-call")).to_be_visible()
        await expect(page.get_by_test_id("log")).to_contain_text("已接管坐席 ag1 的来电")
        await steps.shot("taken-over")
        await page.get_by_test_id("hangup").click()
        await expect(page.get_by_test_id("in-call")).to_be_hidden(timeout=20_000)
    finally:
        await s.close()


async def test_given_a_supervisor_on_the_agent_page_then_a_link_leads_to_the_board(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    await create_supervisor(web_centre, ["general"])
    await page.goto(web_centre.url)
    await page.fill("input[name=user_id]", SUPERVISOR)
    await page.fill("input[name=password]", f"pw-{SUPERVISOR}")
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#conn")).to_have_text("已连接")

    link = page.locator("#board-link")
    await expect(link).to_have_text("班长监控台")
    await Steps(page, artifacts).shot("agent-page-link")
    await link.click()
    await expect(page.get_by_test_id("conn")).to_have_text("已连接")


async def test_given_agents_paused_by_the_system_then_the_board_names_the_reason_in_chinese(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    await create_supervisor(web_centre, ["general"])
    for agent_id in ("ag1", "ag2"):
        await add_user(web_centre, agent_id, role="agent", contact=SIM_AGENT_PHONE, skills={"general": 1})
        web_centre.acd.submit(
            AgentLoggedIn(agent_id=agent_id, contact=SIM_AGENT_PHONE, skills={"general": 1})
        )
    web_centre.acd.submit(AgentReady(agent_id="ag2"))
    web_centre.acd.submit(AgentPaused(agent_id="ag2", reason="小休"))
    steps = Steps(page, artifacts)

    await open_board(page, web_centre, steps)

    await expect(agent_cell(page, "ag1", "status")).to_have_text("暂停（刚签入）")
    await expect(agent_cell(page, "ag2", "status")).to_have_text("暂停（小休）")
    await expect(queue_cell(page, "general", "paused")).to_contain_text("刚签入 1")
    await steps.shot("system-pause-in-chinese")
