"""Browser fixtures: headless Chromium (Debian's, driven by Playwright) against the real centre and Asterisk.

The Asterisk sandbox, the running centre and the call driver are the integration fixtures, imported here;
only the centre's settings differ (longer wrap-up and ring time, the sandbox's HTTP port for browser phones).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, async_playwright

from agent_desktop.phone_api import PhoneDirectory, install_phone_directory
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from tests.conftest import REPO_ROOT
from tests.integration.conftest import centre, driver, sandbox_settings

__all__ = ["centre", "driver"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"
VENDOR_BUNDLE = REPO_ROOT / "agent_desktop" / "static" / "vendor" / "jssip.min.js"


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """The integration centre's settings, with time to look at the page and the sandbox's SIP websocket."""
    c = sandbox.config
    return sandbox_settings(
        sandbox,
        tmp_path,
        asterisk_http_port=c.http_port,
        agent_extensions=",".join(c.extensions),
        wrapup_seconds=3.0,
        ring_timeout_seconds=15.0,
    )


@pytest.fixture
def web_centre(centre: Centre) -> Centre:
    """The running centre with its browser-phone directory in place."""
    directory = PhoneDirectory.from_settings(centre.settings, secrets=centre.sip_secrets)
    install_phone_directory(centre.http, directory)
    return centre


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """A fresh directory for this test's screenshots and logs under ``test-artifacts/e2e``."""
    where = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    return where


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium, checked to be there along with the page's bundled SIP stack."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup-system.sh")
    if not VENDOR_BUNDLE.exists():
        pytest.fail(f"{VENDOR_BUNDLE.name} is missing: run `make web`")
    return CHROMIUM


@asynccontextmanager
async def chromium_context(chromium: Path, profile: Path, **options: Any) -> AsyncIterator[BrowserContext]:
    """Headless ``chromium`` with a fresh profile in ``profile``, fake camera and microphone and granted
    media permission; ``options`` go to Playwright's ``launch_persistent_context`` (viewport...)."""
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(chromium), headless=True, args=CHROMIUM_FLAGS, **options
        )
        try:
            yield context
        finally:
            await context.close()


@asynccontextmanager
async def logged_tab(context: BrowserContext, console_log: Path) -> AsyncIterator[Page]:
    """The context's tab; its console output and page errors are written to ``console_log`` at the end."""
    tab = context.pages[0] if context.pages else await context.new_page()
    lines: list[str] = []
    tab.on("console", lambda msg: lines.append(f"{msg.type}: {msg.text}"))
    tab.on("pageerror", lambda exc: lines.append(f"pageerror: {exc}"))
    try:
        yield tab
    finally:
        await asyncio.to_thread(console_log.write_text, "\n".join(lines) + "\n")


@pytest.fixture
async def browser(chromium: Path, tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """Headless Chromium with a fresh profile, fake microphone and granted media permission."""
    viewport = {"width": 1100, "height": 1000}
    async with chromium_context(chromium, tmp_path / "chromium-profile", viewport=viewport) as context:
        yield context


@pytest.fixture
async def page(browser: BrowserContext, artifacts: Path) -> AsyncIterator[Page]:
    """One tab; its console output is kept in ``console.log`` next to the screenshots."""
    async with logged_tab(browser, artifacts / "console.log") as tab:
        yield tab
