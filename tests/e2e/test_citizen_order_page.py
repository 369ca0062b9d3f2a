"""The public page /citizen/order in a real browser at phone size: a citizen submits a matter without an
account, gets the order number, checks its progress, sees the reply once the department has replied;
a wrong pair of number and digits shows the not-found message, bad input is pointed out in Chinese.

Real parts: Debian's Chromium (390 x 844, a phone), the running centre over HTTP, its database.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import Steps
from tests.e2e.lost_answer import FirstAnswerLost
from tickets.loop import OrderLoop
from tickets.repository import get_work_order
from tickets.sms import OutboxGateway

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]
PHONE = "13912345678"
OTHER_PHONE = "13700001111"
RETRY_PHONE = "13655550123"


@pytest.fixture
async def phone(browser: BrowserContext) -> Page:
    """A tab the size of a phone screen."""
    tab = browser.pages[0] if browser.pages else await browser.new_page()
    await tab.set_viewport_size({"width": 390, "height": 844})
    return tab


async def test_given_a_citizen_when_submitting_and_checking_then_number_progress_and_reply_shown(
    centre: Centre, phone: Page, artifacts: Path
) -> None:
    page, steps = phone, Steps(phone, artifacts)
    await page.goto(centre.url + "citizen/order")
    await expect(page.locator("h1")).to_have_text("12345 政务服务便民热线")
    await steps.shot("empty-form")

    await page.fill("[data-testid=phone]", "12345")
    await page.fill("[data-testid=address]", "示例市幸福路8号")
    await page.fill("[data-testid=content]", "路灯坏了")
    await page.click("[data-testid=submit]")
    await expect(page.get_by_test_id("submit-error")).to_have_text("请检查：手机号码、诉求内容。")
    await steps.shot("bad-input")

    await page.select_option("[data-testid=category]", "complaint")
    await expect(page.get_by_test_id("when")).to_be_visible()
    await page.fill("[data-testid=name]", "李先生")
    await page.fill("[data-testid=phone]", PHONE)
    await page.fill("[data-testid=when]", "每天晚上")
    await page.fill("[data-testid=content]", "小区门口的路灯坏了两周，晚上很黑，老人出门不方便。")
    await page.click("[data-testid=submit]")
    shown = page.get_by_test_id("submitted-number")
    await expect(shown).to_have_text(re.compile(r"^12345-\d{8}-\d{6}$"))
    number = (await shown.text_content()) or ""
    await steps.shot("submitted")
    row = get_work_order(centre.sessions, number=number)
    assert row is not None
    assert (row.channel.value, row.category.value, row.caller.name) == ("web", "complaint", "李先生")
    sms = OutboxGateway(centre.sessions).outbox(order_number=number)
    assert [(m.to, m.kind) for m in sms] == [(PHONE, "order_received")]

    await page.click("#lookup-this")
    await expect(page.get_by_test_id("p-status")).to_have_text("已受理")
    await expect(page.get_by_test_id("p-department")).to_have_text("正在分派承办单位")
    await steps.shot("progress-intake")

    centre.tickets.dispatch(number, main="cgj", actor="sup")
    loop = OrderLoop(centre.sessions)
    async with httpx.AsyncClient(base_url=centre.url) as http:
        other = await http.post(
            "/api/public/orders",
            json={
                "phone": OTHER_PHONE,
                "address": "示例市幸福路8号",
                "category": "help",
                "content": "幸福路8号小区门口路灯不亮，晚上看不清路。",
            },
        )
    assert other.status_code == 201, other.text
    merged = other.json()["number"]
    loop.merge(number, [merged], actor="sup")
    loop.sign(number, department="cgj", actor="d1")
    loop.reply(number, department="cgj", text="路灯已于12月7日修复，感谢您的反映。", actor="d1")
    await page.click("[data-testid=lookup-submit]")
    await expect(page.get_by_test_id("p-status")).to_have_text("已答复")
    await expect(page.get_by_test_id("p-department")).to_have_text("市城市管理局")
    await expect(page.get_by_test_id("p-reply")).to_have_text("路灯已于12月7日修复，感谢您的反映。")
    body = (await page.locator("#progress").text_content()) or ""
    for private in (PHONE, "李先生", "幸福路", "老人出门"):
        assert private not in body, private
    await steps.shot("progress-replied")

    await page.fill("[data-testid=lookup-last4]", "0000")
    await page.click("[data-testid=lookup-submit]")
    await expect(page.get_by_test_id("lookup-error")).to_have_text(
        "未查到该工单，请核对工单编号和手机号后四位。"
    )
    await expect(page.get_by_test_id("progress")).to_be_hidden()
    await steps.shot("wrong-digits")

    # The matter merged into the first order (并单) shows the first order's progress and reply.
    await page.fill("[data-testid=lookup-number]", merged)
    await page.fill("[data-testid=lookup-last4]", OTHER_PHONE[-4:])
    await page.click("[data-testid=lookup-submit]")
    await expect(page.get_by_test_id("p-status")).to_have_text("已答复")
    await expect(page.get_by_test_id("p-merged")).to_have_text(f"与工单 {number} 合并办理")
    await expect(page.get_by_test_id("p-reply")).to_have_text("路灯已于12月7日修复，感谢您的反映。")
    await steps.shot("merged-progress")


async def test_given_a_lost_answer_when_the_citizen_submits_again_then_one_order_and_its_number_shown(
    centre: Centre, phone: Page, artifacts: Path
) -> None:
    """The centre took the matter in but the phone's connection dropped before the answer: the page says
    the outcome is unknown and that submitting again makes no second order; the second submit shows the
    first order's number (200), and the next matter gets a key of its own."""
    page, steps = phone, Steps(phone, artifacts)
    lost = FirstAnswerLost()
    sent, answered = lost.sent, lost.answered

    await page.route(re.compile(r".*/api/public/orders$"), lost)
    await page.goto(centre.url + "citizen/order")
    await page.fill("[data-testid=phone]", RETRY_PHONE)
    await page.fill("[data-testid=address]", "示例市和平路12号")
    await page.fill("[data-testid=content]", "和平路12号门前井盖松动，车辆经过响声很大。")
    await page.click("[data-testid=submit]")
    await expect(page.get_by_test_id("submit-error")).to_have_text(
        "提交结果未知（网络中断），请再次点击提交，不会重复登记。"
    )
    await expect(page.get_by_test_id("submit")).to_be_enabled()
    await steps.shot("answer-lost")

    await page.click("[data-testid=submit]")
    shown = page.get_by_test_id("submitted-number")
    await expect(shown).to_have_text(re.compile(r"^12345-\d{8}-\d{6}$"))
    await steps.shot("submitted-again-one-order")
    number = (await shown.text_content()) or ""
    assert answered == [201, 200]
    assert sent[0]["request_key"] == sent[1]["request_key"]
    assert len(str(sent[0]["request_key"])) >= 32
    mine = centre.tickets.find(caller_number=RETRY_PHONE, limit=10)
    assert [o.number for o in mine] == [number]
    sms = OutboxGateway(centre.sessions).outbox(order_number=number)
    assert [(m.to, m.kind) for m in sms] == [(RETRY_PHONE, "order_received")]

    await page.click("#submit-another")
    await page.fill("[data-testid=phone]", RETRY_PHONE)
    await page.fill("[data-testid=address]", "示例市和平路14号")
    await page.fill("[data-testid=content]", "和平路14号垃圾桶满了三天没人清运。")
    await page.click("[data-testid=submit]")
    await expect(shown).not_to_have_text(number)
    assert sent[2]["request_key"] != sent[0]["request_key"]
    assert len(centre.tickets.find(caller_number=RETRY_PHONE, limit=10)) == 2
