"""Sign-language video: a citizen's page calls, only the signing agent's page rings, video both ways.

Real parts only: two Debian Chromium instances with fake camera and microphone (the citizen's page
``/citizen/sign`` and the agent's page), the centre over HTTP and websocket, JsSIP over Asterisk's SIP
websocket, WebRTC audio and video (VP8, DTLS-SRTP) through the real Asterisk 22 sandbox; a voice-only
agent (simulated phone) who is idle longer than the signing agent is never offered the call.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import Steps, create_browser_agent, sign_in_and_register
from tests.e2e.conftest import chromium_context, logged_tab
from tests.integration.calls import CallDriver
from tests.integration.seats import seat
from tests.integration.supervision import add_user, set_queues, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(120)]

VOICE_AGENT = "2001"


@pytest.fixture
async def citizen_browser(chromium: Path, tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A second Chromium (its own process and profile) at phone size, fake camera and microphone."""
    async with chromium_context(
        chromium,
        tmp_path / "citizen-profile",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    ) as context:
        yield context


@pytest.fixture
async def citizen(citizen_browser: BrowserContext, artifacts: Path) -> AsyncIterator[Page]:
    """The citizen's tab; its console output goes to ``citizen-console.log``."""
    async with logged_tab(citizen_browser, artifacts / "citizen-console.log") as tab:
        yield tab


async def until_flowing(page: Page, script: str, ok: Any, timeout: float = 20.0) -> dict[str, Any]:
    """Poll the page's WebRTC counters (``script``) until ``ok(stats)``; the last counters."""
    deadline = time.monotonic() + timeout
    while True:
        stats: dict[str, Any] | None = await page.evaluate(script)
        if stats is not None and ok(stats):
            return stats
        if time.monotonic() > deadline:
            raise AssertionError(f"media not flowing: {stats}")
        await asyncio.sleep(0.5)


def _video_and_audio(stats: dict[str, Any], audio_in: str, audio_out: str) -> bool:
    video = stats.get("videoIn") or {}
    heard = (stats.get(audio_in) or {}).get("bytesReceived", 0)
    said = (stats.get(audio_out) or {}).get("bytesSent", 0)
    return bool(video.get("framesDecoded", 0) > 0 and heard > 0 and said > 0)


async def test_given_signing_and_voice_agents_when_citizen_calls_then_signer_answers_with_video_both_ways(
    web_centre: Centre, driver: CallDriver, page: Page, citizen: Page, artifacts: Path
) -> None:
    voice = await seat(web_centre, VOICE_AGENT, {"general": 1})
    await create_browser_agent(web_centre, skills={"sign_language": 1})
    agent_steps, citizen_steps = Steps(page, artifacts), Steps(citizen, artifacts / "citizen")
    (artifacts / "citizen").mkdir()
    await sign_in_and_register(page, web_centre, agent_steps)

    await citizen.goto(f"{web_centre.url.rstrip('/')}/citizen/sign")
    await expect(citizen.get_by_test_id("chat-entry")).to_be_attached()
    await expect(citizen.get_by_test_id("chat-now")).to_be_visible()
    await citizen_steps.shot("idle")
    await citizen.get_by_test_id("start").click()

    await expect(page.get_by_test_id("incoming")).to_be_visible(timeout=30_000)
    pressed = await citizen.evaluate("window.__sign_timeline.pressed")
    agent_marks = await page.evaluate("window.__hotline_timeline")
    invite = next(float(m["at"]) for m in agent_marks if m["kind"] == "invite")
    ring_ms = invite - float(pressed)
    print(json.dumps({"button_to_agent_ringing_ms": round(ring_ms, 1)}))
    await expect(page.locator("#pop-queue")).to_have_text("手语视频（sign_video）")
    await agent_steps.shot("ringing")
    await citizen_steps.shot("waiting")

    await page.get_by_test_id("answer").click()
    await expect(page.get_by_test_id("video-panel")).to_be_visible(timeout=10_000)
    await expect(citizen.get_by_test_id("status")).to_have_attribute("data-state", "talking", timeout=10_000)
    agent_stats = await until_flowing(
        page, "window.__hotline_phone.stats()", lambda s: _video_and_audio(s, "inbound", "outbound")
    )
    citizen_stats = await until_flowing(
        citizen, "window.__sign_phone.stats()", lambda s: _video_and_audio(s, "audioIn", "audioOut")
    )
    print(json.dumps({"agent": agent_stats, "citizen": citizen_stats}))
    await expect(page.locator("#history-note")).to_have_text("无来电号码（视频或文字来访）")
    await expect(page.locator("#pop-caller")).to_have_text(re.compile(r"^视频访客（sg\d+）$"))
    await asyncio.sleep(1.0)  # a second of moving pictures for the screenshots
    await agent_steps.shot("video-call")
    await citizen_steps.shot("video-call")

    await page.get_by_test_id("camera").click()
    await expect(page.get_by_test_id("camera")).to_have_text("开启摄像头")
    await expect(page.get_by_test_id("video-panel")).to_have_attribute("data-camera", "off")
    camera = "window.__hotline_phone.session.connection.getSenders().find(s => s.track?.kind === 'video')"
    assert await page.evaluate(f"{camera}.track.enabled") is False
    await agent_steps.shot("camera-off")
    await page.get_by_test_id("camera").click()
    await expect(page.get_by_test_id("video-panel")).to_have_attribute("data-camera", "on")

    assert web_centre.acd.engine.store.get_agent(VOICE_AGENT) is not None
    offered_to = [f for _, f in voice.frames if f.get("type") == "offer"]
    assert offered_to == [], f"the voice-only agent was offered the video call: {offered_to}"

    await page.get_by_test_id("hangup").click()
    await expect(citizen.get_by_test_id("status")).to_have_attribute("data-state", "ended", timeout=10_000)
    await citizen_steps.shot("ended")
    await voice.close()


async def test_given_no_signing_agent_when_citizen_starts_video_then_offered_chat_or_callback(
    web_centre: Centre, citizen: Page, artifacts: Path
) -> None:
    voice = await seat(web_centre, VOICE_AGENT, {"general": 1})
    steps = Steps(citizen, artifacts)
    await citizen.goto(f"{web_centre.url.rstrip('/')}/citizen/sign")
    await citizen.get_by_test_id("start").click()
    await expect(citizen.get_by_test_id("alternatives")).to_be_visible(timeout=20_000)
    await expect(citizen.get_by_test_id("status")).to_have_attribute("data-state", "no_agent")
    await expect(citizen.get_by_test_id("choose-chat")).to_be_visible()
    await expect(citizen.get_by_test_id("choose-callback")).to_be_visible()
    await steps.shot("no-signing-agent")
    assert [f for _, f in voice.frames if f.get("type") == "offer"] == []
    await citizen.get_by_test_id("choose-chat").click()  # the chat page part mounts into #chat-entry
    await expect(citizen.get_by_test_id("chat-entry").get_by_test_id("chat-begin")).to_be_visible()
    await steps.shot("chat-offered")
    await citizen.get_by_test_id("choose-callback").click()
    await citizen.get_by_test_id("callback-phone").fill("13912345678")
    await citizen.locator("#callback-form button[type=submit]").click()
    await expect(citizen.get_by_test_id("callback-result")).to_contain_text("工单号")
    await steps.shot("callback-booked")
    await voice.close()


def _sign_video(frame: dict[str, Any]) -> dict[str, Any]:
    queues: list[dict[str, Any]] = frame["data"]["queues"]
    return next(q for q in queues if q["queue"] == "sign_video")


async def test_given_a_paused_signing_agent_when_citizen_calls_then_page_shows_place_and_supervisor_sees_it(
    web_centre: Centre, page: Page, citizen: Page, artifacts: Path
) -> None:
    await create_browser_agent(web_centre, skills={"sign_language": 1})
    await add_user(web_centre, "sup1", role="supervisor", contact="", skills={})
    await set_queues(web_centre, "sup1", ["sign_video"])
    sup = await signed_in(web_centre, "sup1", connect=True)
    agent_steps, citizen_steps = Steps(page, artifacts), Steps(citizen, artifacts / "citizen")
    (artifacts / "citizen").mkdir()
    try:
        await sign_in_and_register(page, web_centre, agent_steps)
        await page.get_by_test_id("pause").click()
        await expect(page.get_by_test_id("status")).to_have_attribute("data-status", "paused")

        await citizen.goto(f"{web_centre.url.rstrip('/')}/citizen/sign")
        await citizen.get_by_test_id("start").click()
        await expect(citizen.get_by_test_id("status")).to_have_attribute(
            "data-state", "waiting", timeout=20_000
        )
        await expect(citizen.get_by_test_id("wait")).to_contain_text("您是下一位，预计等待约")
        await citizen_steps.shot("waiting-in-line")
        await sup.wait_frame(lambda f: f.get("type") == "queue_figures" and _sign_video(f)["waiting"] == 1)

        await page.get_by_test_id("ready").click()
        await expect(page.get_by_test_id("incoming")).to_be_visible(timeout=20_000)
        await page.get_by_test_id("answer").click()
        await expect(citizen.get_by_test_id("status")).to_have_attribute(
            "data-state", "talking", timeout=15_000
        )
        _, live = await sup.wait_frame(
            lambda f: f.get("type") == "queue_figures" and _sign_video(f)["on_call"] == 1, timeout=20
        )
        (agent,) = (a for a in live["data"]["agents"] if a["agent_id"] == "1001")
        assert agent["call"]["queue"] == "sign_video"
        await agent_steps.shot("answered-after-waiting")
        assert sup.violations == []
    finally:
        await sup.close()
