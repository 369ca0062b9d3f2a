"""The citizen's sign-language video call in the cluster layout: the page gets Kamailio's websocket from
the centre, calls through Kamailio, lands on one of two Asterisk nodes as the guest endpoint, and is
offered to the signing agent whose browser phone is registered at Kamailio (the node dials the agent
through it); answered, with video and audio decoded on both pages.

Real parts: two Debian Chromium instances with fake camera and microphone (the citizen's phone-sized page
and the agent's page), JsSIP over Kamailio's websocket, two Asterisk sandboxes, Kamailio, the centre over
both nodes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, expect

from hotline.app import Centre
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster
from tests.cluster.guest_layout import guest_centre, guest_cluster, guest_kamailio, page_port, ws_url
from tests.e2e.agent_page import Steps, create_browser_agent, sign_in_and_register
from tests.e2e.conftest import artifacts, browser, chromium, chromium_context, logged_tab, page

__all__ = [
    "artifacts",
    "browser",
    "chromium",
    "guest_centre",
    "guest_cluster",
    "guest_kamailio",
    "page",
    "page_port",
]

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.browser, pytest.mark.timeout(240)]


@pytest.fixture
async def citizen(chromium: Path, tmp_path: Path, artifacts: Path) -> AsyncIterator[Page]:
    """The citizen's tab in its own phone-sized Chromium; console output in ``citizen-console.log``."""
    context: BrowserContext
    async with (
        chromium_context(
            chromium, tmp_path / "citizen-profile", viewport={"width": 390, "height": 844}, is_mobile=True
        ) as context,
        logged_tab(context, artifacts / "citizen-console.log") as tab,
    ):
        yield tab


async def until_flowing(page: Page, script: str, audio_in: str, audio_out: str) -> dict[str, Any]:
    """Poll the page's WebRTC counters until video frames are decoded and audio goes both ways."""
    deadline = time.monotonic() + 20
    while True:
        stats: dict[str, Any] | None = await page.evaluate(script)
        if stats is not None:
            decoded = (stats.get("videoIn") or {}).get("framesDecoded", 0)
            heard = (stats.get(audio_in) or {}).get("bytesReceived", 0)
            said = (stats.get(audio_out) or {}).get("bytesSent", 0)
            if decoded > 0 and heard > 0 and said > 0:
                return stats
        if time.monotonic() > deadline:
            raise AssertionError(f"media not flowing: {stats}")
        await asyncio.sleep(0.5)


def guest_channels(cluster: SandboxCluster) -> list[tuple[int, str]]:
    """(node index, channel) of every guest endpoint channel up on the nodes."""
    return [
        (k, line.split("!")[0])
        for k, box in enumerate(cluster.nodes)
        for line in box.cli("core show channels concise").splitlines()
        if line.startswith("PJSIP/sg")
    ]


async def test_given_a_signer_registered_at_kamailio_when_a_citizen_calls_through_it_then_video_both_ways(
    guest_centre: Centre,
    guest_kamailio: KamailioSandbox,
    guest_cluster: tuple[SandboxCluster, int],
    page: Page,
    citizen: Page,
    artifacts: Path,
) -> None:
    nodes, kamailio_port = guest_cluster
    await create_browser_agent(guest_centre, skills={"sign_language": 1})
    agent_steps, citizen_steps = Steps(page, artifacts), Steps(citizen, artifacts / "citizen")
    (artifacts / "citizen").mkdir()
    await sign_in_and_register(page, guest_centre, agent_steps)
    contact = guest_kamailio.rpc("ul.lookup", "location", "s:1001")
    assert "transport=ws" in contact, contact

    await citizen.goto(f"{guest_centre.url.rstrip('/')}/citizen/sign")
    async with citizen.expect_response("**/api/guest/credential") as issued:
        await citizen.get_by_test_id("start").click()
    credential = await (await issued.value).json()
    assert credential["ws_url"] == ws_url(guest_kamailio)

    await expect(page.get_by_test_id("incoming")).to_be_visible(timeout=30_000)
    await expect(page.locator("#pop-queue")).to_contain_text("sign_video")
    ((node, channel),) = await asyncio.to_thread(guest_channels, nodes)
    assert channel.startswith(f"PJSIP/{credential['user']}-")
    peer = await guest_centre.ami.send_action(
        {"Action": "Getvar", "Channel": channel, "Variable": "CHANNEL(pjsip,remote_addr)"}
    )
    assert peer.get("Value") == f"127.0.0.1:{kamailio_port}", "the guest's call did not come through Kamailio"
    await agent_steps.shot("ringing")

    await page.get_by_test_id("answer").click()
    await expect(page.get_by_test_id("video-panel")).to_be_visible(timeout=10_000)
    await expect(citizen.get_by_test_id("status")).to_have_attribute("data-state", "talking", timeout=10_000)
    agent_stats = await until_flowing(page, "window.__hotline_phone.stats()", "inbound", "outbound")
    citizen_stats = await until_flowing(citizen, "window.__sign_phone.stats()", "audioIn", "audioOut")
    print(
        json.dumps(
            {"node": nodes.nodes[node].config.instance, "agent": agent_stats, "citizen": citizen_stats}
        )
    )
    await asyncio.sleep(1.0)  # a second of moving pictures for the screenshots
    await agent_steps.shot("video-call")
    await citizen_steps.shot("video-call")

    await page.get_by_test_id("hangup").click()
    await expect(citizen.get_by_test_id("status")).to_have_attribute("data-state", "ended", timeout=10_000)
    await citizen_steps.shot("ended")
