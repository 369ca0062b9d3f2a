"""The recording page in a real browser: after a real call on the Asterisk sandbox, a supervisor opens
/recording?call=<id> and sees both sides' waveforms drawn by wavesurfer.js, plays them and the time
moves; the playback is in the read audit; an agent is refused.

Real parts: Debian's Chromium, the centre over HTTP, the real Asterisk recording (MixMonitor).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from privacy.audit import ReadQuery, query_reads
from recordings.store import recordings_of_call
from tests.conftest import REPO_ROOT
from tests.e2e.agent_page import Steps
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import sandbox_settings
from tests.integration.supervision import supervised_call

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(180)]

WAVES_BUNDLE = REPO_ROOT / "agent_desktop" / "static" / "vendor" / "wavesurfer.min.js"
INKED = """(side) => {
  const host = document.querySelector(`[data-testid=wave-${side}] > div`);
  const root = host && host.shadowRoot;
  const canvases = root ? [...root.querySelectorAll("canvas")] : [];
  let inked = 0;
  for (const c of canvases) {
    if (!c.width || !c.height) continue;
    const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked += 1;
  }
  return inked;
}"""


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """The sandbox centre reading the sandbox's monitor spool."""
    if not WAVES_BUNDLE.exists():
        pytest.fail(f"{WAVES_BUNDLE.name} is missing: run `make web`")
    return sandbox_settings(sandbox, tmp_path, recordings_spools=str(sandbox.recordings_dir))


async def _sign_in(page: Page, centre: Centre, user_id: str, call_id: str) -> None:
    await page.set_viewport_size({"width": 1200, "height": 700})
    await page.goto(f"{centre.url}recording?call={call_id}")
    await page.fill("input[name=user_id]", user_id)
    await page.fill("input[name=password]", f"pw-{user_id}")
    await page.click("#signin-form button[type=submit]")


async def test_given_a_recorded_call_when_a_supervisor_opens_it_then_both_waveforms_show_and_play(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, page: Page, artifacts: Path
) -> None:
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        await asyncio.sleep(4.0)
        await driver.hang_up(s.citizen_channel)
        await eventually(
            lambda: [r.status for r in recordings_of_call(centre.sessions, s.call_id)] == ["saved", "saved"],
            timeout=30.0,
        )
    finally:
        await s.close()
    steps = Steps(page, artifacts)
    await _sign_in(page, centre, "ag1", s.call_id)
    await expect(page.get_by_test_id("denied")).to_be_visible()
    await steps.shot("agent-denied")
    await page.evaluate("sessionStorage.clear()")

    await _sign_in(page, centre, "sup1", s.call_id)
    segment = page.get_by_test_id("segment-0")
    await expect(segment).to_have_attribute("data-ready", "1", timeout=15_000)
    await expect(segment.locator("h3")).to_contain_text("坐席 ag1")
    for side in ("caller", "agent"):
        assert await page.evaluate(INKED, side) > 500, side
    await page.get_by_test_id("play-0").click()
    await expect(page.get_by_test_id("play-0")).to_have_text("暂停")
    await expect(segment.locator(".rec-time")).not_to_have_text("00:00 / 00:04", timeout=5_000)
    await steps.shot("playing")
    await page.get_by_test_id("play-0").click()
    reads = query_reads(centre.sessions, ReadQuery(user_id="sup1"))
    assert {r.action for r in reads} >= {"recordings.list", "recordings.play"}
    assert sum(r.action == "recordings.play" for r in reads) == 2


async def test_given_an_agent_on_a_call_when_the_supervisor_views_the_board_then_the_call_links_its_recording(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, page: Page, artifacts: Path
) -> None:
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        await page.set_viewport_size({"width": 1400, "height": 900})
        await page.goto(centre.url + "supervisor")
        await page.fill("input[name=user_id]", "sup1")
        await page.fill("input[name=password]", "pw-sup1")
        await page.click("#signin-form button[type=submit]")
        link = page.locator("tr[data-agent=ag1] [data-testid=recording-link]")
        await expect(link).to_have_attribute("href", f"/recording?call={s.call_id}", timeout=15_000)
        await Steps(page, artifacts).shot("board-link")
    finally:
        await driver.hang_up(s.citizen_channel)
        await s.close()
