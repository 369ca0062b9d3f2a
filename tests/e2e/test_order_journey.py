"""A 12345 order from the first call to its closing, on PostgreSQL, in real browsers and real calls.

A citizen calls through the Asterisk sandbox; the agent answers in Chromium and types the order; the
centre dispatches it to 城管局; a 城管局 user signs it in the department portal (Chromium) and hands it
down to 平江街道, whose user replies there; the revisit list shows the citizen; the centre's revisit
call reaches the citizen through Asterisk, who presses 1 (solved) and 1 (satisfied); the order is
closed and its history holds every step in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from hotline.settings import Settings
from tests.e2e.agent_page import (
    AGENT,
    AGENT_PASSWORD,
    Steps,
    answer,
    create_browser_agent,
    sign_in_and_register,
)
from tests.e2e.order_journey import MovableClock, dispatch, history, postgres_web_centre
from tests.e2e.test_agent_workflow import ORDER_NUMBER, fill_complaint, order_as_admin
from tests.e2e.test_dept_portal import WIDE, act
from tests.integration.calls import CallDriver, channel_starting, eventually
from tests.integration.dept_portal import CITY, STREET, dept_user, password
from tests.integration.test_revisit_call import Citizen
from tests.revisit_support import events
from tickets import revisit_store

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(240)]

CALLER = "13800138066"
PATIENCE_MS = 20_000
JOURNEY = ["created", "dispatch", "sign", "hand_down", "reply", "call_back", "evaluate", "close"]


@pytest.fixture
def revisit_clock() -> MovableClock:
    """The revisit clock; the test moves it into calling hours once the order is replied to."""
    return MovableClock(datetime.now(UTC))


@pytest.fixture
def patient_page(page: Page) -> Iterator[Page]:
    """The page with longer waits: the journey runs on a busy machine beside other suites."""
    page.set_default_timeout(PATIENCE_MS)
    expect.set_options(timeout=PATIENCE_MS)
    try:
        yield page
    finally:
        expect.set_options(timeout=5_000)


@pytest.fixture
async def pg_centre(centre_settings: Settings, revisit_clock: MovableClock) -> AsyncIterator[Centre]:
    """The browser tests' centre on a scratch PostgreSQL database."""
    async with postgres_web_centre(centre_settings, revisit_clock) as running:
        yield running


async def take_order_on_a_call(centre: Centre, driver: CallDriver, page: Page, steps: Steps) -> str:
    """The citizen calls, the agent answers in the page and saves a complaint; the order's number."""
    await create_browser_agent(centre)
    await sign_in_and_register(page, centre, steps)
    call = await driver.call(CALLER, keys="0")
    try:
        await expect(page.get_by_test_id("screen-pop")).to_be_visible(timeout=20_000)
        await answer(page, driver, call.call_id, steps)
        await fill_complaint(page)
        await page.get_by_test_id("wo-save").click()
        await expect(page.get_by_test_id("wo-number")).to_have_text(ORDER_NUMBER)
        number = await page.get_by_test_id("wo-number").inner_text()
        await steps.shot("order-saved-on-call")
    finally:
        await driver.dialer.hang_up(call)
    order = await order_as_admin(centre, number)
    assert (order["call_id"], order["caller"]["number"]) == (call.call_id, CALLER)
    return number


async def sign_in_afresh(page: Page, url: str, user_id: str, password: str) -> None:
    """Open ``url`` with no session left in the tab and sign in as ``user_id``."""
    await page.goto(url)
    await page.evaluate("sessionStorage.clear()")
    await page.reload()
    await page.fill("input[name=user_id]", user_id)
    await page.fill("input[name=password]", password)
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#who")).not_to_be_empty()


async def handle_in_portal(centre: Centre, page: Page, steps: Steps, number: str) -> None:
    """城管局 signs and hands down to 平江街道; the street replies. All in the portal page."""
    for user_id, department in (("city1", CITY), ("street1", STREET)):
        await (await dept_user(centre, user_id, department)).close()
    await page.set_viewport_size(WIDE)
    await sign_in_afresh(page, centre.url + "dept", "city1", password("city1"))
    row = page.locator(f"#inbox-rows tr[data-number='{number}']")
    await expect(row).to_be_visible()
    await steps.shot("portal-city-inbox")
    await row.click()
    await expect(page.get_by_test_id("d-number")).to_have_text(number)
    await act(page, "sign")
    await expect(page.get_by_test_id("d-status")).to_have_text("已签收")
    await act(page, "hand-down", {"hand-down-to": STREET})
    await expect(page.get_by_test_id("action-done")).to_have_text("下派成功")
    await steps.shot("portal-city-handed-down")

    await sign_in_afresh(page, centre.url + "dept", "street1", password("street1"))
    row = page.locator(f"#inbox-rows tr[data-number='{number}']")
    await expect(row).to_be_visible()
    await row.click()
    await expect(page.get_by_test_id("d-number")).to_have_text(number)
    await page.get_by_test_id("action-reply").click()
    dialog = page.get_by_test_id("dlg-reply")
    await dialog.get_by_test_id("reply-text").fill("已责令工地停止夜间施工，并安排夜间巡查。")
    await dialog.get_by_test_id("confirm").click()
    await expect(page.get_by_test_id("d-status")).to_have_text("已答复")
    await expect(page.get_by_test_id("d-history")).to_contain_text("已责令工地停止夜间施工")
    await steps.shot("portal-street-replied")


async def open_revisit_list(page: Page, centre: Centre) -> None:
    """The agent signs in afresh on the agent page and opens the revisit work list (/revisit)."""
    await sign_in_afresh(page, centre.url, AGENT, AGENT_PASSWORD)
    await page.get_by_role("link", name="回访工作台").click()
    await expect(page).to_have_url(centre.url + "revisit")


async def test_given_a_call_when_the_order_goes_round_the_loop_then_it_is_closed_with_every_step(
    pg_centre: Centre,
    driver: CallDriver,
    patient_page: Page,
    artifacts: Path,
    revisit_clock: MovableClock,
) -> None:
    centre, page = pg_centre, patient_page
    assert "postgresql" in str(centre.sessions.kw["bind"].url)
    steps = Steps(page, artifacts)
    number = await take_order_on_a_call(centre, driver, page, steps)

    dispatched = await dispatch(centre, number, CITY)
    assert dispatched["status"]["value"] == "dispatched"
    await handle_in_portal(centre, page, steps, number)

    revisit_clock.to_calling_hours()
    await open_revisit_list(page, centre)
    listed = page.locator(f"#rows tr[data-citizen='{number}']")
    await expect(listed).to_contain_text("138****8066")
    await expect(listed).to_contain_text("自动语音")
    assert CALLER not in await page.content()
    await steps.shot("revisit-list-before-call")

    citizen = Citizen(driver, keys=["1", "1"])
    launched = await centre.revisit_scheduler.tick()
    assert [a.order_number for a in launched] == [number]

    def ended() -> revisit_store.AttemptRow | None:
        row = revisit_store.get_attempt(centre.sessions, launched[0].id)
        return row if row is not None and row.outcome not in ("calling", "answered") else None

    await driver.wait_event(channel_starting(f"Local/{CALLER}*"), timeout=30)  # the citizen's phone rings
    attempt = await eventually(ended, timeout=60)
    assert isinstance(attempt, revisit_store.AttemptRow)
    assert (attempt.outcome, attempt.solved, attempt.satisfaction) == ("reached", True, "satisfied")
    assert citizen.prompts[0] == "revisit_intro"
    await eventually(lambda: events(centre.sessions, number)[-1] == "close", timeout=20)

    await page.get_by_test_id("refresh").click()
    await expect(page.locator(f"#rows tr[data-citizen='{number}']")).to_have_count(0)
    await steps.shot("revisit-list-after-call")

    await sign_in_afresh(page, centre.url + f"dept#order={number}", "city1", password("city1"))
    await expect(page.get_by_test_id("d-status")).to_have_attribute("data-status", "closed")
    shown = page.locator("#d-history td[data-field='event']")
    await expect(shown).to_have_text(["受理", "派单", "签收", "下派", "答复", "回访", "评价", "办结"])
    await expect(page.get_by_test_id("d-history")).to_contain_text("已解决；满意；电话回访")
    await steps.shot("portal-closed-history")

    order = await order_as_admin(centre, number)
    assert order["status"]["value"] == "closed"
    entries = await history(centre, number)
    assert [e["event"] for e in entries] == JOURNEY
    by_event = {e["event"]: e for e in entries}
    assert (by_event["sign"]["actor"], by_event["hand_down"]["actor"], by_event["reply"]["actor"]) == (
        "city1",
        "city1",
        "street1",
    )
    evaluated = by_event["evaluate"]["detail"]
    assert (evaluated["solved"], evaluated["satisfaction"], evaluated["via"]) == (True, "satisfied", "phone")
    times = [e["at"] for e in entries]
    assert times == sorted(times)
