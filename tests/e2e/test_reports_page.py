"""The reports page in a real browser: a supervisor signs in at /reports, sees the figures of the records
this test wrote (per queue, per agent, the total row and both charts), downloads the XLSX and CSV files,
which read back with the same figures; an agent is refused.

Real parts: Debian's Chromium, the centre over HTTP (on the real Asterisk sandbox), its database.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import Locator, Page, expect

from hotline.app import Centre
from tests.conftest import REPO_ROOT
from tests.e2e.agent_page import Steps
from tests.e2e.supervisor_page import SUPERVISOR, WIDE, create_supervisor, sign_in
from tests.integration.supervision import add_user, set_queues
from tests.report_records import AGENT, DAY, seed

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]

CHARTS_BUNDLE = REPO_ROOT / "agent_desktop" / "static" / "vendor" / "echarts.min.js"


@pytest.fixture(autouse=True)
def charts_bundled() -> None:
    """The page's chart library is bundled (``make web``)."""
    if not CHARTS_BUNDLE.exists():
        pytest.fail(f"{CHARTS_BUNDLE.name} is missing: run `make web`")


async def _sign_in(page: Page, centre: Centre, user_id: str) -> None:
    await page.set_viewport_size(WIDE)
    await page.goto(centre.url + "reports")
    await page.fill("input[name=user_id]", user_id)
    await page.fill("input[name=password]", f"pw-{user_id}")
    await page.click("#signin-form button[type=submit]")


def _cell(page: Page, key: str, field: str) -> Locator:
    return page.locator(f"#report-rows tr[data-key='{key}'] td[data-field='{field}']")


async def _show(page: Page, period: str, view: str) -> None:
    await page.get_by_test_id("period").select_option(period)
    await page.get_by_test_id("date").fill(DAY.isoformat())
    await page.get_by_test_id("view").select_option(view)
    await page.get_by_test_id("run").click()


async def test_given_records_when_a_supervisor_opens_reports_then_figures_charts_and_downloads_match(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await add_user(web_centre, AGENT, role="agent", contact="", skills={"general": 1})
    await add_user(web_centre, "sup1", role="supervisor", contact="", skills={})
    await set_queues(web_centre, "sup1", ["general", "social_security"])
    seed(web_centre.sessions)
    await _sign_in(page, web_centre, "sup1")
    await expect(page.get_by_test_id("report-form")).to_be_visible()

    await _show(page, "day", "queues")
    await expect(page.get_by_test_id("report-title")).to_have_text("队列日报（2026-11-25）")
    await expect(_cell(page, "general", "offered")).to_have_text("3")
    await expect(_cell(page, "general", "queue")).to_have_text("综合（general）")
    await expect(_cell(page, "general", "service_level")).to_have_text("50.0%")
    await expect(_cell(page, "general", "three_way_110")).to_have_text("1")
    await expect(_cell(page, "social_security", "answered")).to_have_text("1")
    await expect(_cell(page, "__total__", "queue")).to_have_text("合计")
    await expect(_cell(page, "__total__", "answered")).to_have_text("3")
    await expect(page.locator("#chart-volume canvas")).to_have_count(1)
    await expect(page.locator("#volume-title")).to_have_text("所辖队列话务量")
    await expect(page.locator("#chart-rates canvas")).to_have_count(1)
    await steps.shot("queues-day")

    async with page.expect_download() as got:
        await page.get_by_test_id("download-xlsx").click()
    download = await got.value
    assert download.suggested_filename == "report-queues-day-2026-11-25.xlsx"
    saved = artifacts / download.suggested_filename
    await download.save_as(saved)
    book = load_workbook(saved)
    rows = [[c.value for c in row] for row in book["队列"].iter_rows()]
    header = rows[0]
    by_queue = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert by_queue["general"]["呼入量"] == 3
    assert by_queue["general"]["服务水平(15秒)"] == pytest.approx(0.5)
    assert by_queue["合计"]["接通量"] == 3
    assert len(list(book["分时段"].iter_rows())) == 1 + 24

    await _show(page, "week", "agents")
    await expect(page.get_by_test_id("report-title")).to_have_text("坐席周报（2026-11-23 至 2026-11-29）")
    await expect(_cell(page, AGENT, "answered")).to_have_text("3")
    await expect(_cell(page, AGENT, "pause:就餐")).to_have_text("1:00:00")
    await expect(_cell(page, "__total__", "agent_id")).to_have_text("合计")
    await steps.shot("agents-week")
    async with page.expect_download() as got:
        await page.get_by_test_id("download-csv").click()
    download = await got.value
    assert download.suggested_filename == "report-agents-week-2026-11-23.csv"
    saved = artifacts / download.suggested_filename
    await download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    agents = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["工号"], r["接听量"]) for r in agents] == [(AGENT, "3"), ("合计", "3")]


async def test_given_a_date_after_today_then_the_page_says_so_in_chinese(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    await add_user(web_centre, "sup1", role="supervisor", contact="", skills={})
    await _sign_in(page, web_centre, "sup1")
    await expect(page.get_by_test_id("report-form")).to_be_visible()
    await page.get_by_test_id("date").evaluate(
        "el => { el.removeAttribute('max'); el.value = '2999-01-01'; }"
    )
    await page.get_by_test_id("run").click()
    await expect(page.get_by_test_id("report-error")).to_contain_text("日期超出范围")
    await Steps(page, artifacts).shot("future-date")


async def test_given_an_agent_when_opening_reports_then_access_is_denied(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    await add_user(web_centre, "ag1", role="agent", contact="", skills={"general": 1})
    await _sign_in(page, web_centre, "ag1")
    await expect(page.get_by_test_id("denied")).to_be_visible()
    await expect(page.locator("#reports")).to_be_hidden()
    await Steps(page, artifacts).shot("agent-denied")


async def test_given_the_supervisor_page_when_following_its_reports_link_then_reports_open_signed_in(
    web_centre: Centre, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await create_supervisor(web_centre, ["general"])
    await page.set_viewport_size(WIDE)
    await sign_in(page, web_centre, SUPERVISOR, f"pw-{SUPERVISOR}")
    await expect(page.get_by_test_id("conn")).to_have_text("已连接")
    await steps.shot("supervisor-header")
    await page.get_by_test_id("reports-link").click()
    await expect(page).to_have_url(web_centre.url + "reports")
    await expect(page.get_by_test_id("report-form")).to_be_visible()
    await expect(page.get_by_test_id("report-title")).to_contain_text("队列日报")
    await steps.shot("reports-from-link")
