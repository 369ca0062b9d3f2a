"""The 部门三率 view of the reports page in a real browser: a supervisor picks 部门三率 for the week of the
driven orders (tests/sanlv_contract.py), sees each department's figures rolled up with the total row and
both charts, narrows to one department's subtree and downloads the XLSX, which reads back with the
same figures; switching back to the queue view shows the queue table again.

Real parts: Debian's Chromium, the centre over HTTP (on the real Asterisk sandbox), its database.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import Locator, Page, expect

from hotline.app import Centre
from tests.conftest import REPO_ROOT
from tests.e2e.agent_page import Steps
from tests.e2e.supervisor_page import WIDE
from tests.integration.supervision import add_user
from tests.sanlv_contract import drive

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(180)]

CHARTS_BUNDLE = REPO_ROOT / "agent_desktop" / "static" / "vendor" / "echarts.min.js"
DAY = "2026-11-25"


def _cell(page: Page, key: str, field: str) -> Locator:
    return page.locator(f"#sanlv-rows tr[data-key='{key}'] td[data-field='{field}']")


async def test_given_driven_orders_when_a_supervisor_opens_departments_then_figures_charts_and_file_match(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    if not CHARTS_BUNDLE.exists():
        pytest.fail(f"{CHARTS_BUNDLE.name} is missing: run `make web`")
    steps = Steps(page, artifacts)
    await asyncio.to_thread(drive, web_centre.sessions)
    await add_user(web_centre, "sup1", role="supervisor", contact="", skills={})
    await page.set_viewport_size(WIDE)
    await page.goto(web_centre.url + "reports")
    await page.fill("input[name=user_id]", "sup1")
    await page.fill("input[name=password]", "pw-sup1")
    await page.click("#signin-form button[type=submit]")
    await expect(page.get_by_test_id("report-form")).to_be_visible()

    await page.get_by_test_id("period").select_option("week")
    await page.get_by_test_id("date").fill(DAY)
    await page.get_by_test_id("view").select_option("departments")
    await page.get_by_test_id("run").click()
    await expect(page.get_by_test_id("sanlv-title")).to_have_text(
        "部门三率·全市周报（2026-11-23 至 2026-11-29）"
    )
    await expect(page.get_by_test_id("report-table")).to_be_hidden()
    await expect(_cell(page, "sthjj", "dispatched")).to_have_text("3")
    await expect(_cell(page, "sthjj", "response_rate")).to_have_text("66.7%")
    await expect(_cell(page, "sthjj", "satisfaction_rate")).to_have_text("100.0%")
    await expect(_cell(page, "cgj", "returns")).to_have_text("1")
    await expect(_cell(page, "cgj", "satisfaction_rate")).to_have_text("—")
    await expect(_cell(page, "zjj", "extensions_requested")).to_have_text("1")
    await expect(_cell(page, "__total__", "name")).to_have_text("合计（全市）")
    await expect(_cell(page, "__total__", "dispatched")).to_have_text("6")
    await expect(page.locator("#sanlv-chart-volume canvas")).to_have_count(1)
    await expect(page.locator("#sanlv-chart-rates canvas")).to_have_count(1)
    await steps.shot("departments-week")

    await page.get_by_test_id("department").select_option("sthjj")
    await page.get_by_test_id("run").click()
    await expect(page.get_by_test_id("sanlv-title")).to_contain_text("部门三率·市生态环境局周报")
    await expect(page.locator("#sanlv-rows tr")).to_have_count(3)
    await expect(_cell(page, "sthjj_gusu_shuangta", "extensions_requested")).to_have_text("1")
    await steps.shot("departments-sthjj")
    async with page.expect_download() as got:
        await page.get_by_test_id("download-xlsx").click()
    download = await got.value
    assert download.suggested_filename == "sanlv-week-2026-11-23-sthjj.xlsx"
    saved = artifacts / download.suggested_filename
    await download.save_as(saved)
    rows = [[c.value for c in row] for row in load_workbook(saved)["部门三率"].iter_rows()]
    by_code = {str(r[0]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert sorted(by_code) == ["sthjj", "sthjj_gusu", "sthjj_gusu_shuangta"]
    assert by_code["sthjj"]["派单量"] == 3
    assert by_code["sthjj"]["满意率"] == pytest.approx(1.0)

    await page.get_by_test_id("view").select_option("queues")
    await page.get_by_test_id("run").click()
    await expect(page.get_by_test_id("sanlv")).to_be_hidden()
    await expect(page.get_by_test_id("report-table")).to_be_visible()
    await expect(page.get_by_test_id("report-title")).to_contain_text("队列周报")
