"""The department portal in a real browser: a city department signs an order and hands it down to a street;
the street replies with an attachment and downloads it back; a user of another department sees neither the
order in the inbox nor the order itself (page and API); countdowns are amber and red.

Real parts only: Debian's Chromium, the running centre over HTTP, its database and attachment store.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, ViewportSize, expect

from hotline.app import Centre
from tests.e2e.agent_page import Steps
from tests.integration.dept_portal import (
    CALLER,
    CITY,
    OTHER_CITY,
    PNG,
    STREET,
    dept_user,
    dispatched_order,
    password,
)
from tickets.vocab import Urgency

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]

WIDE: ViewportSize = {"width": 1500, "height": 1000}


async def sign_in(page: Page, centre: Centre, user_id: str, *, hash_: str = "") -> None:
    """Open ``/dept`` (signed out) and sign in as ``user_id``."""
    await page.goto(centre.url + "dept" + hash_)
    signout = page.get_by_test_id("signout")
    if await signout.is_visible():
        await signout.click()
    await page.fill("input[name=user_id]", user_id)
    await page.fill("input[name=password]", password(user_id))
    await page.click("#signin-form button[type=submit]")


async def act(page: Page, action: str, fill: dict[str, str] | None = None) -> None:
    """Press an action button, fill its dialog and confirm."""
    await page.get_by_test_id(f"action-{action}").click()
    dialog = page.get_by_test_id(f"dlg-{action}")
    await expect(dialog).to_be_visible()
    for test_id, value in (fill or {}).items():
        target = dialog.get_by_test_id(test_id)
        if await target.evaluate("e => e.tagName") == "SELECT":
            await target.select_option(value)
        else:
            await target.fill(value)
    await dialog.get_by_test_id("confirm").click()


async def test_given_an_order_when_signed_handed_down_and_replied_then_only_its_chain_sees_it(
    centre: Centre, page: Page, artifacts: Path, tmp_path: Path
) -> None:
    for user_id, department in (("city1", CITY), ("street1", STREET), ("env1", OTHER_CITY)):
        await (await dept_user(centre, user_id, department)).close()
    number = await dispatched_order(centre, CITY)
    late = await dispatched_order(centre, CITY, at=datetime.now(UTC) - timedelta(days=20))
    urgent = await dispatched_order(centre, CITY, urgency=Urgency.URGENT)
    await page.set_viewport_size(WIDE)
    steps = Steps(page, artifacts)

    await sign_in(page, centre, "city1")
    row = page.locator(f"#inbox-rows tr[data-number='{number}']")
    await expect(row).to_be_visible()
    await expect(
        page.locator(f"#inbox-rows tr[data-number='{late}'] td[data-field='sign']")
    ).to_have_attribute("data-level", "overdue")
    await expect(
        page.locator(f"#inbox-rows tr[data-number='{urgent}'] td[data-field='sign']")
    ).to_have_attribute("data-level", "soon")
    await steps.shot("city-inbox")
    await row.click()
    await expect(page.get_by_test_id("d-number")).to_have_text(number)
    await act(page, "sign")
    await expect(page.get_by_test_id("d-status")).to_have_text("已签收")
    await act(page, "hand-down", {"hand-down-to": STREET})
    await expect(page.get_by_test_id("action-done")).to_have_text("下派成功")
    await expect(page.locator("#d-fields")).to_contain_text("姑苏区平江街道")
    await expect(page.get_by_test_id("d-history")).to_contain_text("下派至 姑苏区平江街道")
    await steps.shot("city-handed-down")

    await sign_in(page, centre, "street1", hash_=f"#order={number}")
    await expect(page.get_by_test_id("d-number")).to_have_text(number)
    await expect(page.get_by_test_id("action-sign")).to_be_disabled()
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    await page.get_by_test_id("action-reply").click()
    dialog = page.get_by_test_id("dlg-reply")
    await dialog.get_by_test_id("reply-text").fill("已清理占道摊位，并约谈商户。")
    await dialog.get_by_test_id("reply-files").set_input_files(str(photo))
    await steps.shot("street-reply-dialog")
    await dialog.get_by_test_id("confirm").click()
    await expect(page.get_by_test_id("d-status")).to_have_text("已答复")
    link = page.get_by_test_id("d-attachments").get_by_role("button", name="现场照片.png（0.1 KB）")
    await expect(link).to_be_visible()
    async with page.expect_download() as fetched:
        await link.click()
    download = await fetched.value
    assert download.suggested_filename == "现场照片.png"
    fetched_path = Path(await download.path())
    assert await asyncio.to_thread(fetched_path.read_bytes) == PNG
    await expect(page.get_by_test_id("d-history")).to_contain_text("附件 现场照片.png")
    await steps.shot("street-replied")

    await sign_in(page, centre, "env1", hash_=f"#order={number}")
    await expect(page.get_by_test_id("missing")).to_be_visible()
    await expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    assert await page.locator("#inbox-rows tr").count() == 0
    assert CALLER not in await page.content()
    status = await page.evaluate(
        """async (n) => (await fetch(`/api/dept/orders/${n}`,
             {headers: {Authorization: `Bearer ${sessionStorage.getItem("hotline.token")}`}})).status""",
        number,
    )
    assert status == 404
    await steps.shot("other-department")


async def test_given_a_return_when_the_reason_is_given_then_the_order_shows_returned(
    centre: Centre, page: Page, artifacts: Path
) -> None:
    await (await dept_user(centre, "city1", CITY)).close()
    number = await dispatched_order(centre, CITY)
    await page.set_viewport_size(WIDE)
    await sign_in(page, centre, "city1", hash_=f"#order={number}")
    await expect(page.get_by_test_id("d-number")).to_have_text(number)
    await act(page, "return", {"return-reason": "该事项属区级管理，请改派"})
    await expect(page.get_by_test_id("d-status")).to_have_text("已退单")
    await expect(page.get_by_test_id("d-history")).to_contain_text("理由：该事项属区级管理，请改派")
    await expect(page.get_by_test_id("action-return")).to_be_disabled()
    await Steps(page, artifacts).shot("returned")
