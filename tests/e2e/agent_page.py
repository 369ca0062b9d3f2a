"""Steps shared by the browser tests of the agent page: sign-in, screenshots, AMI matchers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.async_api import Page, expect

from hotline.ami.client import AmiEvent
from hotline.app import Centre
from tests.integration.calls import CallDriver, SeenEvent
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient

AGENT = "1001"
AGENT_PASSWORD = "secret-1001"


class Steps:
    """Numbered screenshots of one test."""

    def __init__(self, page: Page, where: Path) -> None:
        self.page = page
        self.where = where
        self.count = 0

    async def shot(self, name: str) -> None:
        """Save the page as ``NN-name.png``."""
        self.count += 1
        await self.page.screenshot(path=str(self.where / f"{self.count:02d}-{name}.png"), full_page=True)


async def admin_client(centre: Centre) -> DesktopClient:
    """A signed-in admin (the caller closes it)."""
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    return admin


async def create_browser_agent(centre: Centre, skills: dict[str, int] | None = None) -> None:
    """Agent ``AGENT`` whose phone is the browser (``PJSIP/1001``)."""
    admin = await admin_client(centre)
    try:
        await admin.put_agent(
            AGENT,
            name="李四",
            contact=f"PJSIP/{AGENT}",
            skills=skills or {"general": 1, "enterprise": 1},
            password=AGENT_PASSWORD,
        )
    finally:
        await admin.close()


def on_channel(prefix: str, event_name: str, **fields: str) -> Callable[[AmiEvent], bool]:
    """Matcher for ``event_name`` on a channel starting with ``prefix`` with the given fields."""
    return lambda e: (
        e.name == event_name
        and e.get("Channel", "").startswith(prefix)
        and all(e.get(k) == v for k, v in fields.items())
    )


async def sign_in_and_register(page: Page, centre: Centre, steps: Steps) -> None:
    """Sign in on the page, wait for the browser phone to register, go available."""
    await page.goto(centre.url)
    await page.fill("input[name=user_id]", AGENT)
    await page.fill("input[name=password]", AGENT_PASSWORD)
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#conn")).to_have_text("已连接")
    await expect(page.get_by_test_id("phone-status")).to_have_attribute("data-state", "registered")
    await steps.shot("registered")
    await page.get_by_test_id("ready").click()
    await expect(page.get_by_test_id("status")).to_have_attribute("data-status", "available")
    await steps.shot("available")


async def check_bridged(driver: CallDriver, call_id: str) -> SeenEvent:
    """The agent's PJSIP channel and the caller's channel are in the same bridge; the agent's entry."""
    agent_in = await driver.wait_event(on_channel(f"PJSIP/{AGENT}-", "BridgeEnter"), timeout=10)
    caller_in = await driver.wait_event(
        lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call_id, timeout=10
    )
    assert agent_in.event.get("BridgeUniqueid") == caller_in.event.get("BridgeUniqueid")
    channels = await driver.ami.send_action_list(
        {"Action": "CoreShowChannels"}, complete_event="CoreShowChannelsComplete"
    )
    bridges = {c.get("Channel"): c.get("BridgeId") for c in channels if c.name == "CoreShowChannel"}
    agent_channel = agent_in.event.get("Channel")
    assert bridges.get(agent_channel) == agent_in.event.get("BridgeUniqueid")
    return agent_in


async def answer(page: Page, driver: CallDriver, call_id: str, steps: Steps) -> str:
    """Answer the ringing call on the page; the agent's PJSIP channel once it is bridged."""
    await expect(page.get_by_test_id("incoming")).to_be_visible(timeout=20_000)
    await expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "ringing")
    await page.get_by_test_id("answer").click()
    await expect(page.get_by_test_id("in-call")).to_be_visible(timeout=30_000)  # ICE + DTLS, slow when loaded
    agent_leg = await check_bridged(driver, call_id)
    await expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "on_call")
    await steps.shot("answered")
    return agent_leg.event.get("Channel", "")
