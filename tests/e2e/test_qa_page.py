"""The QA page in a real browser: a QA reviewer finds a flagged call on the work list, opens it, sees the
recording player, both sides' transcript with the forbidden word marked at its segment, scores it with
the weighted items and the call leaves the open list; an admin saves a rule change as a new version; an
agent is refused.

Real parts: Debian's Chromium, the centre over HTTP (on the real Asterisk sandbox), its database; the
transcribed call is written to the database as the transcription would, the inspection pass is the
centre's own.
"""

from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from qa import store
from qa.inspect_loop import InspectLoop
from tests.e2e.agent_page import Steps
from tests.e2e.supervisor_page import WIDE
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.supervision import add_user
from tests.integration.test_qa_store import RUDE, T0, seed_call

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]
CALL = "qa-e2e-1"


def _silent_wavs(centre: Centre) -> None:
    """Two seconds of silence for each side, where the recordings root says the files are."""
    root: Path | None = getattr(centre.http.state, "recordings_root", None)
    if root is None:
        return
    for side in ("caller", "agent"):
        path = root / CALL / f"{side}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(b"\x00\x00" * 16000)


async def _sign_in(page: Page, centre: Centre, user_id: str, password: str) -> None:
    await page.set_viewport_size(WIDE)
    await page.goto(centre.url + "qa")
    await page.fill("input[name=user_id]", user_id)
    await page.fill("input[name=password]", password)
    await page.click("#signin-form button[type=submit]")


async def test_a_reviewer_scores_a_flagged_call_from_the_work_list(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await add_user(web_centre, "1001", role="agent", contact="", skills={"general": 1})
    await add_user(web_centre, "qa1", role="qa", contact="", skills={})
    seed_call(web_centre.sessions, CALL, RUDE)
    _silent_wavs(web_centre)
    InspectLoop(web_centre.sessions, clock=lambda: T0).run_once()

    await _sign_in(page, web_centre, "qa1", "pw-qa1")
    row = page.locator(f"#list-rows tr[data-call='{CALL}']")
    await expect(row).to_contain_text("服务禁语")
    await expect(row).to_contain_text("待评分")
    await steps.shot("work-list")

    await page.get_by_test_id(f"open-{CALL}").click()
    await expect(page.get_by_test_id("call-view")).to_be_visible()
    await expect(page.get_by_test_id("flags")).to_contain_text("不归我们管")
    flagged = page.get_by_test_id("flagged-segment")
    await expect(flagged).to_have_count(1)
    await expect(flagged).to_contain_text("这个不归我们管")
    await expect(flagged).to_contain_text("00:09")
    await expect(page.locator("#transcript li")).to_have_count(3)
    await expect(page.get_by_test_id("player").locator("[data-testid^=segment-]")).to_have_count(1)
    await page.get_by_test_id("mark-attitude").select_option("0")
    await page.get_by_test_id("mark-accuracy").select_option("0.5")
    await expect(page.get_by_test_id("score-preview")).to_have_text("65.0")
    await page.get_by_test_id("comment").fill("使用服务禁语，需整改")
    await steps.shot("call-before-score")
    await page.get_by_test_id("save-score").click()
    await expect(page.get_by_test_id("score-done")).to_contain_text("已评分：65.0 分")
    await expect(page.get_by_test_id("save-score")).to_be_hidden()
    await steps.shot("call-scored")

    await page.get_by_test_id("back").click()
    await expect(page.locator("#list-rows")).to_contain_text("没有符合条件的通话")
    await page.get_by_test_id("f-state").select_option("scored")
    await page.get_by_test_id("f-run").click()
    await expect(page.locator(f"#list-rows tr[data-call='{CALL}']")).to_contain_text("65.0")
    await expect(page.get_by_test_id("tab-settings")).to_be_hidden()


async def test_an_admin_saves_a_rule_change_and_an_agent_is_refused(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await _sign_in(page, web_centre, "admin", ADMIN_PASSWORD)
    await page.get_by_test_id("tab-settings").click()
    await expect(page.get_by_test_id("rules-version")).to_have_text("当前为系统默认")
    words = page.get_by_test_id("forbidden-words")
    await expect(words).to_have_value(re.compile("不归我们管"))
    await words.fill("不归我们管\n你自己看着办")
    await page.get_by_test_id("save-rules").click()
    await expect(page.get_by_test_id("rules-version")).to_have_text("已保存为第 1 版")
    assert store.rules(web_centre.sessions)[1].forbidden.words == ("不归我们管", "你自己看着办")
    await steps.shot("settings-saved")

    await add_user(web_centre, "1002", role="agent", contact="", skills={"general": 1})
    await page.evaluate("sessionStorage.clear()")
    await _sign_in(page, web_centre, "1002", "pw-1002")
    await expect(page.get_by_test_id("denied")).to_be_visible()
    await steps.shot("agent-denied")
