"""The revisit work list (/revisit) in a real browser: the list with masked numbers, an agent's manual
revisit landing on the order (call_back + evaluate + close), an unanswered attempt, refusals in Chinese.

Real parts: Debian's Chromium, the centre over HTTP on the real Asterisk sandbox, SQLite. The centre's
own revisit dialing is off here, so no automatic call changes the list while the test looks at it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from tests.e2e.agent_page import Steps
from tests.integration.conftest import sandbox_settings
from tests.integration.supervision import add_user
from tests.revisit_support import events, replied_order
from tickets import repository as repo
from tickets.loop import OrderLoop
from tickets.vocab import SpecialGroup, Status

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]

AGENT = "7301"


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """A centre that does not dial revisits by itself."""
    return sandbox_settings(sandbox, tmp_path, revisit_dialing=False)


def row(page: Page, citizen_order: str) -> Locator:
    """The work-list row of one citizen."""
    return page.locator(f"#rows tr[data-citizen='{citizen_order}']")


async def test_given_replied_orders_when_agent_revisits_by_hand_then_list_and_orders_follow(
    centre: Centre, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    replied_at = datetime.now(UTC) - timedelta(hours=3)
    main = replied_order(centre.sessions, "13800138000", at=replied_at, merge=("13900139000",))
    elderly = replied_order(
        centre.sessions, "13700137000", at=replied_at, name="赵大爷", group=SpecialGroup.ELDERLY
    )
    merged = OrderLoop(centre.sessions).merged(main)[0].number
    await add_user(centre, AGENT, role="agent", contact="", skills={"general": 1})

    await page.goto(centre.url)
    await page.fill("input[name=user_id]", AGENT)
    await page.fill("input[name=password]", f"pw-{AGENT}")
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#who")).not_to_be_empty()
    await steps.shot("agent-page-link")
    await page.get_by_role("link", name="回访工作台").click()
    await expect(page).to_have_url(centre.url + "revisit")
    await expect(page.locator("#rows tr")).to_have_count(3)
    await expect(page.get_by_test_id("count")).to_have_text("共 3 位市民")
    await expect(page.get_by_test_id("policy")).to_contain_text(
        "09:00–20:00 拨打，未接通 2 小时后重拨，最多 3 次"
    )
    content = await page.content()
    for number in ("13800138000", "13900139000", "13700137000"):
        assert number not in content, "numbers are masked on the list"
    await expect(row(page, main)).to_contain_text("138****8000")
    await expect(row(page, merged)).to_contain_text("并单市民")
    await expect(row(page, elderly)).to_contain_text("人工（老年人）")
    await expect(row(page, main)).to_contain_text("自动语音")
    await steps.shot("list")

    await row(page, elderly).get_by_role("button", name="回访").click()
    await expect(page.get_by_test_id("detail-number")).to_have_text(elderly)
    await page.get_by_test_id("sat-basic").check()
    await page.get_by_test_id("note").fill("赵大爷表示路灯已修好")
    await page.get_by_test_id("manual-submit").click()
    await expect(page.get_by_test_id("manual-ok")).to_have_text("回访结果已登记")
    attempts = page.locator("#attempt-rows tr")
    await expect(attempts).to_have_count(1)
    await expect(attempts.first).to_contain_text("人工")
    await expect(attempts.first).to_contain_text("基本满意")
    await expect(attempts.first).to_contain_text("赵大爷表示路灯已修好")
    await expect(page.locator("#rows tr")).to_have_count(2)
    await steps.shot("manual-reached")
    assert events(centre.sessions, elderly)[-3:] == ["call_back", "evaluate", "close"]
    evaluate = repo.work_order_history(centre.sessions, number=elderly)[-2]
    assert (evaluate.actor, evaluate.detail["via"], evaluate.detail["satisfaction"]) == (
        AGENT,
        "manual",
        "basically_satisfied",
    )

    await row(page, main).get_by_role("button", name="回访").click()
    await expect(page.get_by_test_id("detail-number")).to_have_text(main)
    await expect(page.get_by_test_id("citizen").locator("option")).to_have_count(2)
    await page.get_by_test_id("reached-no").check()
    await expect(page.get_by_test_id("sat-dissatisfied")).to_be_disabled()
    await page.get_by_test_id("note").fill("无人接听")
    await page.get_by_test_id("manual-submit").click()
    await expect(page.locator("#attempt-rows tr")).to_have_count(1)
    await expect(page.locator("#attempt-rows tr").first).to_contain_text("未接听")
    await expect(row(page, main)).to_contain_text("1/3")
    await page.get_by_test_id("call").click()
    await expect(page.get_by_test_id("manual-error")).to_contain_text("请先在坐席工作台签入并配置电话")
    await steps.shot("manual-unreached-and-refusal")
    assert events(centre.sessions, main)[-1] == "call_back_failed"
    order = repo.get_work_order(centre.sessions, number=main)
    assert order is not None
    assert order.status is Status.REPLIED
