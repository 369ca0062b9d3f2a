"""Admin tab 日历与时段 in Chromium against the real centre: 2027 is shown as shipped and 预排; the admin
moves 端午节 to a three-day break with a make-up Sunday, a wrong range is refused, the saved year is
what the centre's calendar (IVR working days, deadlines) uses at once, and going back to the shipped
year restores it; each change is in the admin change log with its diff; agents and supervisors get 403
on the tab's admin routes. The emergency notice is switched on until a time and ends then;
a special line's opening hours set in the page close it at the centre's hour."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.async_api import Page, expect

from admin.audit import list_changes
from admin.calendar_api import notice_expiry
from hotline.app import Centre
from ivr import hours_notice
from supervisor.centre_switches import emergency_state, set_emergency_notice
from tests.e2e.agent_page import Steps, admin_client
from tests.e2e.conftest import ARTIFACTS
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]

ADMIN_ROUTES = (
    ("GET", "/api/admin/calendar/2027"),
    ("PUT", "/api/admin/calendar/2027"),
    ("DELETE", "/api/admin/calendar/2027"),
    ("GET", "/api/admin/emergency"),
    ("PUT", "/api/admin/emergency"),
    ("GET", "/api/admin/hours"),
    ("PUT", "/api/admin/hours/enterprise"),
    ("DELETE", "/api/admin/hours/enterprise"),
)
DRAGON_BOAT = date(2027, 6, 11)
"""A Friday that the shipped 2027 keeps as a working day (端午节 is Wednesday 9 June only)."""


async def test_given_2027_when_admin_extends_a_holiday_then_the_centre_uses_it_at_once_and_reset_restores_it(
    centre: Centre, page: Page
) -> None:
    steps = Steps(page, ARTIFACTS / "admin_calendar")
    steps.where.mkdir(parents=True, exist_ok=True)
    admin = await admin_client(centre)
    await admin.put_agent("7841", name="坐席", contact="", skills={"general": 1}, password="pw-7841")
    await admin.put_agent("7842", name="班长", contact="", skills={}, password="pw-7842", role="supervisor")
    for user in ("7841", "7842"):
        other = DesktopClient(centre.url)
        await other.sign_in(user, f"pw-{user}")
        for method, path in ADMIN_ROUTES:
            resp = await other.http.request(method, path, json={}, headers=other.auth)
            assert resp.status_code == 403, (user, method, path, resp.text)
        await other.close()
    assert centre.calendar_store.get(2027).source == "shipped"

    await page.set_viewport_size({"width": 1400, "height": 1000})
    await page.goto(centre.url + "admin#calendar")
    await page.fill("input[name=user_id]", "admin")
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.click("#signin-form button[type=submit]")
    await expect(page.get_by_test_id("calendar-year")).to_have_value("2027")
    await expect(page.get_by_test_id("calendar-expected")).to_be_visible()
    await steps.shot("calendar-2027-shipped")

    row = page.get_by_test_id("calendar-holidays").locator("tr.ac-holiday").nth(4)
    await expect(row.get_by_test_id("hol-name")).to_have_value("端午节")
    await row.get_by_test_id("hol-end").fill("2027-06-01")
    await page.get_by_test_id("calendar-save").click()
    await expect(page.get_by_test_id("admin-message")).to_contain_text("422")
    await row.get_by_test_id("hol-end").fill("2027-06-11")
    await row.get_by_test_id("hol-workdays").fill("2027-06-13")
    await page.get_by_test_id("calendar-save").click()
    await expect(page.get_by_test_id("calendar-source")).to_have_text("已编辑")
    await steps.shot("calendar-2027-edited")
    edited = centre.calendar_store.get(2027)
    assert edited.holidays[DRAGON_BOAT] == "端午节"
    assert edited.workdays[date(2027, 6, 13)] == "端午节"

    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_test_id("calendar-reset").click()
    await expect(page.get_by_test_id("calendar-source")).to_have_text("随系统发布")
    assert DRAGON_BOAT not in centre.calendar_store.get(2027).holidays

    changes = await asyncio.to_thread(list_changes, centre.sessions, area="calendar")
    assert [(c.action, c.object_id) for c in changes] == [("reset", "2027"), ("update", "2027")]
    assert '+      "end": "2027-06-11"' in changes[1].diff
    assert '-      "end": "2027-06-11"' in changes[0].diff
    await admin.close()


async def test_given_the_notice_tab_when_admin_sets_a_notice_until_a_time_then_it_plays_and_ends_at_that_time(
    centre: Centre, page: Page
) -> None:
    steps = Steps(page, ARTIFACTS / "admin_calendar_notice")
    steps.where.mkdir(parents=True, exist_ok=True)
    shipped = await asyncio.to_thread(emergency_state, centre.ivr)
    try:
        await _notice_and_hours(centre, page, steps)
    finally:  # the sandbox's sounds are shared by every test: give the notice its text back
        await asyncio.to_thread(set_emergency_notice, centre.ivr, on=False, text=shipped["text"])


async def _notice_and_hours(centre: Centre, page: Page, steps: Steps) -> None:
    await page.set_viewport_size({"width": 1400, "height": 1000})
    await page.goto(centre.url + "admin#calendar")
    await page.fill("input[name=user_id]", "admin")
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.click("#signin-form button[type=submit]")
    await expect(page.get_by_test_id("notice-state")).to_have_text("未开启")
    await expect(page.get_by_test_id("working-hours")).to_contain_text("08:")

    until = datetime.now(UTC) + timedelta(hours=2)
    await page.get_by_test_id("notice-on").check()
    await page.get_by_test_id("notice-text").fill("因台风影响，部分线路暂停服务，请稍后再拨。")
    local = until.astimezone().strftime("%Y-%m-%dT%H:%M")
    await page.get_by_test_id("notice-until").fill(local)
    await page.get_by_test_id("notice-save").click()
    await expect(page.get_by_test_id("notice-state")).to_contain_text("自动关闭")
    await steps.shot("notice-on")
    assert emergency_state(centre.ivr) == {"on": True, "text": "因台风影响，部分线路暂停服务，请稍后再拨。"}

    early = notice_expiry(centre.sessions, centre.ivr)
    assert await early.check_once() is None

    def switch_off() -> bool:
        set_emergency_notice(centre.ivr, on=False, text=None)
        return True

    late = hours_notice.NoticeExpiry(
        sessions=centre.sessions, switch_off=switch_off, clock=lambda: until + timedelta(minutes=1)
    )
    assert await late.check_once() is not None
    assert emergency_state(centre.ivr)["on"] is False
    assert await late.check_once() is None, "the window ends once"

    changes = await asyncio.to_thread(list_changes, centre.sessions, area="emergency")
    assert [(c.action, c.user_id) for c in changes] == [("expire", "system"), ("on", "admin")]
    assert '+  "on": true' in changes[1].diff
    await page.reload()
    await expect(page.get_by_test_id("notice-state")).to_have_text("未开启")
    row = page.get_by_test_id("hours-social_security")
    await row.get_by_test_id("hours-start").fill("14:00")
    await row.get_by_test_id("hours-save").click()
    await expect(row.get_by_test_id("hours-now")).to_have_text("工作日 14:00–17:30")
    assert centre.acd.queue_or_default("social_security") == "general", "the centre's clock: Wednesday 10:00"
    await expect(page.get_by_test_id("hours-general").get_by_test_id("hours-save")).to_be_disabled()
    await steps.shot("notice-expired-hours-set")
