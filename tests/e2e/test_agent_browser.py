"""The agent's browser is their phone: a citizen call rings the page, is answered, talks, ends in wrap-up.

Real parts only: Debian's Chromium (fake microphone), the centre over HTTP and websocket, JsSIP over
Asterisk's SIP websocket, WebRTC media (DTLS-SRTP) with the real Asterisk 22 sandbox.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import Steps, check_bridged, create_browser_agent, on_channel, sign_in_and_register
from tests.integration.calls import CallDriver

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(90)]

CALLER = "13800138000"


async def timeline(page: Page) -> dict[str, float]:
    entries: list[dict[str, Any]] = await page.evaluate("window.__hotline_timeline")
    first: dict[str, float] = {}
    for entry in entries:
        first.setdefault(str(entry["kind"]), float(entry["at"]))
    return first


async def media_counters(page: Page) -> dict[str, Any]:
    stats: dict[str, Any] | None = await page.evaluate("window.__hotline_phone.stats()")
    assert stats is not None, "no peer connection during the call"
    return stats


async def wait_media_both_ways(page: Page, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stats = await media_counters(page)
        inbound, outbound = stats["inbound"] or {}, stats["outbound"] or {}
        if inbound.get("bytesReceived", 0) > 0 and outbound.get("bytesSent", 0) > 0:
            return stats
        if time.monotonic() > deadline:
            raise AssertionError(f"no media both ways: {stats}")
        await asyncio.sleep(0.25)


async def test_given_browser_agent_when_citizen_calls_then_page_pops_rings_answers_talks_and_wraps_up(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await create_browser_agent(web_centre)
    await sign_in_and_register(page, web_centre, steps)

    call = await driver.call(CALLER, keys="3")
    await expect(page.get_by_test_id("incoming")).to_be_visible(timeout=20_000)
    await expect(page.get_by_test_id("screen-pop")).to_be_visible()
    queued = web_centre.acd.engine.store.get_call(call.call_id)
    assert queued is not None
    await expect(page.locator("#pop-caller")).to_have_text(CALLER)
    await expect(page.locator("#pop-queue")).to_contain_text(queued.queue)
    await expect(page.locator("#pop-keys")).to_have_text(queued.attrs.get("keys") or "（无）")
    await expect(page.locator("#incoming-from")).to_contain_text(CALLER)
    await steps.shot("ringing-with-screen-pop")
    seen = await timeline(page)
    assert seen["offer"] <= seen["invite"], f"screen-pop after the phone rang: {seen}"

    await page.get_by_test_id("answer").click()
    await expect(page.get_by_test_id("in-call")).to_be_visible(timeout=10_000)
    agent_leg = await check_bridged(driver, call.call_id)
    agent_channel = agent_leg.event.get("Channel", "")
    for digit in "12":
        await driver.ami.send_action(
            {"Action": "PlayDTMF", "Channel": call.local_channel, "Digit": digit, "Duration": "200"}
        )
    stats = await wait_media_both_ways(page)
    await asyncio.sleep(2.0)
    later = await media_counters(page)
    assert later["inbound"]["bytesReceived"] > stats["inbound"]["bytesReceived"]
    assert later["outbound"]["bytesSent"] > stats["outbound"]["bytesSent"]
    await steps.shot("talking")

    await page.locator("#keypad button", has_text="5").click()
    await driver.wait_event(on_channel(agent_channel, "DTMFEnd", Digit="5", Direction="Received"))
    await page.get_by_test_id("hold").click()
    await driver.wait_event(on_channel(agent_channel, "Hold"))
    await expect(page.get_by_test_id("hold")).to_have_attribute("aria-pressed", "true")
    await steps.shot("on-hold")
    await page.get_by_test_id("hold").click()
    await driver.wait_event(on_channel(agent_channel, "Unhold"))
    await page.get_by_test_id("mute").click()
    await expect(page.get_by_test_id("mute")).to_have_attribute("aria-pressed", "true")
    await page.get_by_test_id("mute").click()

    await page.get_by_test_id("hangup").click()
    await driver.wait_event(on_channel(agent_channel, "Hangup"))
    await expect(page.get_by_test_id("in-call")).to_be_hidden()
    await expect(page.get_by_test_id("wrapup")).to_be_visible(timeout=5_000)
    await expect(page.locator("#wrapup-left")).to_have_text(re.compile(r"^[1-3]$"))
    await steps.shot("wrap-up")
    await expect(page.get_by_test_id("status")).to_have_attribute("data-state", "idle", timeout=10_000)
    await expect(page.get_by_test_id("status")).to_have_attribute("data-status", "available")
    await steps.shot("available-again")
    record = {"timeline": await timeline(page), "media_at_answer": stats, "media_2s_later": later}
    (artifacts / "timeline.json").write_text(json.dumps(record, indent=2))
