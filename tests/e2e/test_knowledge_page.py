"""The knowledge-base editor (/knowledge) in a real browser: the list with filters, an edit that keeps the
previous version, retiring, and an import refused with its error report, then accepted. And the agent's
knowledge panel beside the order form during a real call: entries matching the typed content, with the
match highlighted, the article opened and the order answered from it.

Real parts: Debian's Chromium, the centre over HTTP on the real Asterisk sandbox, the browser phone, SQLite.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from tests.e2e.agent_page import Steps, admin_client, answer, create_browser_agent, sign_in_and_register
from tests.integration.calls import CallDriver
from tests.integration.supervision import add_user
from tickets import knowledge, knowledge_admin
from tickets.knowledge_admin import ArticleFields

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(150)]

SUPERVISOR = "7401"
BAD_CSV = (
    "title,body,category,expires_on\n"
    "停车收费,咨询停车收费标准,咨询,\n"
    ",缺少标题,咨询,\n"
    "燃气,燃气报修,不存在,2027-13-01\n"
)
GOOD_CSV = (
    "\ufefftitle,body,tags,category\n停车收费标准,路内停车按时段收费，详见交通部门公告,停车；收费,咨询\n"
)


async def sign_in(page: Page, centre: Centre, user: str) -> None:
    """Open /knowledge and sign in as ``user``."""
    await page.goto(centre.url + "knowledge")
    await page.fill("input[name=user_id]", user)
    await page.fill("input[name=password]", f"pw-{user}")
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#who")).not_to_be_empty()


async def test_given_articles_when_supervisor_edits_retires_and_imports_then_page_and_store_follow(
    centre: Centre, page: Page, artifacts: Path, tmp_path: Path
) -> None:
    steps = Steps(page, artifacts)
    day = knowledge.today()
    noise = knowledge_admin.create_article(
        centre.sessions,
        ArticleFields(
            title="夜间施工噪音投诉", body="夜间22时至次日6时禁止施工。", tags=["噪音"], category="complaint"
        ),
        by="admin",
    )
    old = knowledge_admin.create_article(
        centre.sessions,
        ArticleFields(
            title="2026年供暖缴费", body="供暖费缴纳截止11月30日。", expires_on=day - timedelta(days=3)
        ),
        by="admin",
    )
    await add_user(centre, SUPERVISOR, role="supervisor", contact="", skills={})
    await sign_in(page, centre, SUPERVISOR)
    rows = page.get_by_test_id("kb-row")
    await expect(rows).to_have_count(2)
    await expect(page.get_by_test_id("count")).to_have_text("共 2 条")
    await expect(page.locator(f"tr[data-id='{old.id}']")).to_contain_text("已过期待复核")
    await steps.shot("list")

    await page.get_by_test_id("f-status").select_option("expired")
    await expect(rows).to_have_count(1)
    await page.locator(f"tr[data-id='{old.id}']").get_by_test_id("kb-edit").click()
    await expect(page.get_by_test_id("e-title")).to_have_value("2026年供暖缴费")
    await page.get_by_test_id("e-body").fill("2027年供暖费缴纳截止12月15日，可在线缴纳。")
    await page.get_by_test_id("e-expires").fill((day + timedelta(days=200)).isoformat())
    await page.get_by_test_id("e-save").click()
    await expect(page.get_by_test_id("edit-ok")).to_have_text("已保存（v2）")
    await expect(page.get_by_test_id("version")).to_have_count(1)
    await expect(page.get_by_test_id("version").first).to_contain_text("供暖费缴纳截止11月30日")
    await expect(page.get_by_test_id("empty")).to_be_visible()
    await steps.shot("edited-with-version")

    await page.get_by_test_id("f-status").select_option("")
    await page.locator(f"tr[data-id='{noise.id}']").get_by_test_id("kb-edit").click()
    await page.get_by_test_id("e-retire").click()
    await expect(page.get_by_test_id("edit-ok")).to_contain_text("已下架")
    await expect(page.locator(f"tr[data-id='{noise.id}']")).to_contain_text("已下架")
    assert knowledge.search_articles(centre.sessions, query="夜间施工噪音") == []

    bad = tmp_path / "知识库.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    await page.get_by_test_id("import-file").set_input_files(str(bad))
    await page.get_by_test_id("import-submit").click()
    await expect(page.get_by_test_id("import-ok")).to_contain_text("文件有错误，未导入任何条目")
    errors = page.get_by_test_id("import-error")
    await expect(errors).to_have_count(3)
    await expect(errors.nth(0)).to_contain_text("第 3 行")
    await expect(errors.nth(0)).to_contain_text("标题")
    await expect(errors.nth(0)).to_contain_text("不能为空")
    await expect(errors.nth(1)).to_contain_text("取值无效，应为咨询")
    await expect(errors.nth(1)).to_contain_text("第 4 行")
    await expect(rows).to_have_count(2)
    await steps.shot("import-refused")

    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    await page.get_by_test_id("import-file").set_input_files(str(good))
    await page.get_by_test_id("import-submit").click()
    await expect(page.get_by_test_id("import-ok")).to_have_text("已导入 1 条")
    await expect(rows).to_have_count(3)
    await steps.shot("imported")
    [hit] = knowledge.search_articles(centre.sessions, query="停车收费")
    assert hit.article.tags == ("停车", "收费")


async def test_given_agent_when_opening_editor_then_denied(centre: Centre, page: Page) -> None:
    await add_user(centre, "7402", role="agent", contact="", skills={"general": 1})
    await sign_in(page, centre, "7402")
    await expect(page.get_by_test_id("denied")).to_be_visible()


async def test_given_a_call_when_agent_types_the_content_then_matching_entries_show_and_answer_the_order(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    day = knowledge.today()
    guide = knowledge_admin.create_article(
        web_centre.sessions,
        ArticleFields(
            title="居住证办理指南",
            body="办理居住证需携带身份证、租房合同到社区服务中心。",
            category="consult",
        ),
        by="admin",
    )
    retired = knowledge_admin.create_article(
        web_centre.sessions, ArticleFields(title="旧版居住证说明", body="居住证旧规定"), by="admin"
    )
    knowledge_admin.set_retired(web_centre.sessions, retired.id, retired=True, by="admin")
    knowledge_admin.create_article(
        web_centre.sessions,
        ArticleFields(title="居住证临时政策", body="居住证过期政策", expires_on=day - timedelta(days=1)),
        by="admin",
    )
    await create_browser_agent(web_centre, skills={"general": 1})
    await sign_in_and_register(page, web_centre, steps)
    call = await driver.call("13800138003", keys="0")
    try:
        await answer(page, driver, call.call_id, steps)
        await page.get_by_test_id("wo-content").press_sequentially("市民咨询居住证怎么办理", delay=20)
        hits = page.get_by_test_id("kb-article")
        await expect(hits).to_have_count(1, timeout=5_000)
        await expect(hits.first).to_contain_text("居住证办理指南")
        await expect(hits.first.get_by_test_id("kb-snippet").locator("mark").first).to_have_text("办理居住证")
        await expect(hits.first.get_by_test_id("kb-detail")).to_be_hidden()
        await hits.first.get_by_test_id("kb-title").click()
        await expect(hits.first.get_by_test_id("kb-detail")).to_contain_text("租房合同")
        await hits.first.get_by_test_id("kb-answer").click()
        await expect(page.get_by_test_id("wo-answered")).to_be_checked()
        await steps.shot("knowledge-panel")
        await page.get_by_test_id("wo-save").click()
        await expect(page.get_by_test_id("wo-number")).not_to_be_empty()
        number = await page.get_by_test_id("wo-number").inner_text()
        admin = await admin_client(web_centre)
        try:
            order = (await admin.http.get(f"/api/work-orders/{number}", headers=admin.auth)).json()
        finally:
            await admin.close()
        assert (order["answered_directly"], order["answer_article_id"]) == (True, guide.id)
    finally:
        await driver.dialer.hang_up(call)
