"""The flow editor of the admin console in a real browser, with real calls through the real Asterisk.

An admin opens the live 12345 flow at /admin, starts a draft, points key 3 of the main menu at a node
with a typo and sees the finding marked at its line (lint mark, gutter, findings list, the node on the
graph), fixes it by swapping keys 3 and 4, dry-runs key 3, and publishes after a confirmation naming the
change; a real call pressing 3 then reaches the accessibility queue on the new version. While a second
call sits in the main menu the admin rolls back: the next call pressing 3 reaches the enterprise queue
on version 1, the call in progress still follows version 2. Each change is in admin_changes with its diff.
A supervisor signing in next is refused the console.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from admin.audit import list_changes
from hotline.app import Centre
from ivr.flow.loader import DEFAULT_PACK_PATH
from tests.e2e.agent_page import Steps
from tests.e2e.supervisor_page import WIDE
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.ivr_calls import ScriptedCall, ScriptedDialer
from tests.integration.ivr_support import call_row, clock, ivr_centre, queued, where
from tests.integration.supervision import add_user

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(300)]
__all__ = ["clock", "ivr_centre"]

SHIPPED = DEFAULT_PACK_PATH.read_text(encoding="utf-8")
SWAP = (
    "流程 12345 · 节点 main_menu：按键 3 由 enterprise_queue 改为 accessibility_queue；"
    "按键 4 由 accessibility_queue 改为 enterprise_queue"
)
SLOW = 20_000
"""How long to wait for the page on a loaded machine (the checks go through the server)."""


def _line_of(needle: str) -> int:
    return SHIPPED[: SHIPPED.index(needle)].count("\n") + 1


async def _sign_in(page: Page, centre: Centre, user_id: str, password: str) -> None:
    await page.set_viewport_size(WIDE)
    await page.goto(centre.url + "admin#flows")
    await page.fill("input[name=user_id]", user_id)
    await page.fill("input[name=password]", password)
    await page.click("#signin-form button[type=submit]")


async def _replace_target(page: Page, line_text: str, new_target: str) -> None:
    """Find ``line_text`` with the editor's search, select its last word and type ``new_target``."""
    await page.locator(".cm-line").first.click()
    await page.keyboard.press("Control+f")
    search = page.locator(".cm-search input[name=search]")
    await search.fill("")
    await search.type(line_text)
    await search.press("Enter")
    await search.press("Escape")
    await page.keyboard.press("End")
    await page.keyboard.press("Control+Shift+ArrowLeft")
    await page.keyboard.type(new_target)


async def _graph_node(page: Page, node_id: str) -> dict[str, object]:
    found: dict[str, object] = await page.evaluate(
        """(id) => { const n = window.AdminFlows.graph.cy.$id(id);
             return { present: n.nonempty(), issue: n.hasClass("issue"), type: n.data("type") || "" }; }""",
        node_id,
    )
    return found


async def _ready_in_menu(call: ScriptedCall) -> None:
    await eventually(lambda: call.last_prompt == "main_menu" or None, timeout=60)


async def _press(driver: CallDriver, call: ScriptedCall, digit: str) -> None:
    action = {"Action": "PlayDTMF", "Channel": call.local_channel, "Digit": digit, "Duration": "120"}
    await driver.ami.send_action(action)


async def _edit_and_check(page: Page, steps: Steps) -> None:
    key_3 = _line_of('"3": enterprise_queue')
    await _replace_target(page, '"3": enterprise_queue', "accessibilty_queue")
    finding = page.locator("[data-testid=finding][data-code=unknown_target]")
    await expect(finding).to_have_attribute("data-line", str(key_3), timeout=SLOW)
    await expect(finding).to_have_attribute("data-node", "main_menu")
    await page.locator(".cm-line").first.click()
    await finding.get_by_role("button").click()
    await expect(page.locator(".cm-activeLine")).to_have_text('      "3": accessibilty_queue')
    marked = page.locator(".cm-line", has_text='"3": accessibilty_queue').locator(".cm-lintRange-error")
    await expect(marked).to_have_count(1)
    await expect(page.locator(".cm-lint-marker-error").first).to_be_visible()
    assert await _graph_node(page, "main_menu") == {"present": True, "issue": True, "type": "speech_menu"}
    assert await _graph_node(page, "accessibilty_queue") == {
        "present": True,
        "issue": True,
        "type": "missing",
    }
    await steps.shot("typo-marked-at-its-line")

    await _replace_target(page, '"3": accessibilty_queue', "accessibility_queue")
    unreachable = page.locator("[data-testid=finding][data-code=unreachable_node]")
    await expect(unreachable).to_have_attribute("data-node", "enterprise_queue", timeout=SLOW)
    await _replace_target(page, '"4": accessibility_queue', "enterprise_queue")
    await expect(page.get_by_test_id("flow-check-state")).to_have_text("检查通过", timeout=SLOW)
    await expect(page.get_by_test_id("finding")).to_have_count(0)
    await page.get_by_test_id("flow-save").click()
    await expect(page.get_by_test_id("admin-message")).to_have_text("草稿 版本 2 已保存", timeout=SLOW)


async def _dry_run(page: Page, steps: Steps) -> None:
    await page.get_by_test_id("dry-at").fill("2026-11-25T10:00")
    await page.get_by_test_id("dry-keys").fill("3")
    await page.get_by_test_id("dry-run").click()
    await expect(page.get_by_test_id("dry-outcome")).to_have_text("进入队列 accessibility", timeout=SLOW)
    await expect(page.locator("[data-testid=dry-path] li[data-node=accessibility_queue]")).to_have_count(1)
    await expect(page.get_by_test_id("dry-prompts")).to_have_text(
        "welcome：您好，欢迎致电12345政务服务便民热线。"
    )
    await steps.shot("dry-run-key-3")


async def _confirm(page: Page, steps: Steps, title: str, change: str, name: str) -> None:
    dialog = page.get_by_test_id("flow-confirm")
    await expect(dialog.get_by_test_id("confirm-title")).to_have_text(title, timeout=SLOW)
    await expect(dialog.get_by_test_id("confirm-changes")).to_have_text(change)
    await steps.shot(name)
    await dialog.get_by_test_id("confirm-ok").click()


async def test_given_the_live_flow_when_an_admin_edits_publishes_and_rolls_back_then_calls_follow_each(
    ivr_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    steps = Steps(page, artifacts)
    await _sign_in(page, ivr_centre, "admin", ADMIN_PASSWORD)
    await expect(page.get_by_test_id("flow-status")).to_have_text("线上版本（只读）", timeout=SLOW)
    await expect(page.get_by_test_id("flow-check-state")).to_have_text("检查通过", timeout=SLOW)
    assert await _graph_node(page, "main_menu") == {"present": True, "issue": False, "type": "speech_menu"}
    await page.evaluate("() => window.AdminFlows.graph.cy.$id('special_menu').emit('tap')")
    await expect(page.locator(".cm-activeLine")).to_have_text("  special_menu:")
    await steps.shot("live-flow")

    await page.get_by_test_id("flow-new-draft").click()
    await expect(page.get_by_test_id("flow-status")).to_have_text("草稿（可编辑）", timeout=SLOW)
    await _edit_and_check(page, steps)
    await _dry_run(page, steps)

    await page.get_by_test_id("flow-publish").click()
    await _confirm(page, steps, "发布版本 2，替换线上版本 1？", SWAP, "publish-confirmation")
    await expect(page.get_by_test_id("admin-message")).to_have_text(
        "版本 2 已发布，新来电将按此版本处理", timeout=SLOW
    )

    dialer = ScriptedDialer(driver.ami)
    after = await dialer.dial("13300000021", [("main_menu", "3")])
    assert where(await queued(driver, after))[0] == "accessibility"
    assert (await call_row(ivr_centre, after.call_id)).ivr_flow_version == "12345:2"

    during = await dialer.dial("13300000022")
    await _ready_in_menu(during)
    await page.get_by_test_id("flow-rollback").click()
    back = (
        "流程 12345 · 节点 main_menu：按键 3 由 accessibility_queue 改为 enterprise_queue；"
        "按键 4 由 enterprise_queue 改为 accessibility_queue"
    )
    await _confirm(page, steps, "回滚：线上版本 2 换回版本 1？", back, "rollback-confirmation")
    await expect(page.get_by_test_id("admin-message")).to_have_text("已回滚，线上版本为 1", timeout=SLOW)
    await _press(driver, during, "3")
    following = await dialer.dial("13300000023", [("main_menu", "3")])
    assert where(await queued(driver, during))[0] == "accessibility"
    assert where(await queued(driver, following))[0] == "enterprise"
    assert (await call_row(ivr_centre, during.call_id)).ivr_flow_version == "12345:2"
    assert (await call_row(ivr_centre, following.call_id)).ivr_flow_version == "12345:1"
    await steps.shot("rolled-back")

    rows = list_changes(ivr_centre.sessions, area="flow", object_id="12345")
    assert [r.action for r in rows] == ["rollback", "publish", "draft_update", "draft_create"]
    assert {r.user_id for r in rows} == {"admin"}
    for row, sign in ((rows[2], "+"), (rows[1], "+"), (rows[0], "-")):
        assert f'{sign}      "3": accessibility_queue' in row.diff, row.action
    for call in (after, during, following):
        await dialer.hang_up(call)

    await add_user(ivr_centre, "1002", role="supervisor", contact="", skills={})
    await page.get_by_test_id("signout").click()
    await page.fill("input[name=user_id]", "1002")
    await page.fill("input[name=password]", "pw-1002")
    await page.click("#signin-form button[type=submit]")
    await expect(page.get_by_test_id("denied")).to_be_visible(timeout=SLOW)
    await expect(page.get_by_test_id("admin-console")).to_be_hidden()


def _prompt_cell(page: Page, prompt: str, field: str) -> Locator:
    return page.locator(f"[data-testid=prompt-rows] tr[data-prompt='{prompt}'] td[data-field='{field}']")


async def test_given_the_prompts_panel_when_an_admin_listens_uploads_and_generates_then_files_follow(
    ivr_centre: Centre, page: Page, artifacts: Path, tmp_path: Path
) -> None:
    steps = Steps(page, artifacts)
    await page.route("**/static/admin_queues.js", lambda route: route.fulfill(status=404, body="missing"))
    failing = 'window.AdminTabs.register("audit", {title: "审计", mount() { throw new Error("boom"); }});'
    await page.route("**/static/admin_audit.js", lambda route: route.fulfill(body=failing))
    await _sign_in(page, ivr_centre, "admin", ADMIN_PASSWORD)
    await expect(_prompt_cell(page, "order_number", "used_by")).to_have_text(
        "工单办理进度自助查询（work_order_query）：ask_order", timeout=SLOW
    )
    await expect(_prompt_cell(page, "invalid_input", "used_by")).to_contain_text(
        "off_hours_menu、repeat_menu、main_menu、special_menu"
    )
    row = page.locator("[data-testid=prompt-rows] tr[data-prompt='leave_message']")
    await expect(_prompt_cell(page, "leave_message", "source")).to_have_text("语音合成")

    await row.get_by_test_id("prompt-play").click()
    await expect(page.get_by_test_id("prompt-playing")).to_have_text("正在播放：leave_message", timeout=SLOW)
    duration = "document.querySelector('[data-testid=prompt-player]').duration"
    await page.wait_for_function(f"{duration} > 1", timeout=SLOW)

    recording = tmp_path / "leave_message.wav"
    sox = ["sox", "-n", "-r", "16000", "-c", "2", str(recording), "synth", "1.5", "sine", "440"]
    await asyncio.to_thread(subprocess.run, sox, check=True)
    await row.get_by_test_id("prompt-file").set_input_files(recording)
    await expect(_prompt_cell(page, "leave_message", "source")).to_have_text("管理员提供", timeout=SLOW)
    await expect(page.get_by_test_id("admin-message")).to_have_text("提示音 leave_message 已替换为上传的录音")
    await steps.shot("prompt-uploaded")
    await row.get_by_test_id("prompt-generate").click()
    await expect(_prompt_cell(page, "leave_message", "source")).to_have_text("语音合成", timeout=SLOW)

    await page.get_by_test_id("dry-keys").fill("3")
    await page.locator("input[name=caller]").fill("not-a-number")
    await page.get_by_test_id("dry-run").click()
    message = page.get_by_test_id("admin-message")
    await expect(message).to_contain_text("输入有误", timeout=SLOW)
    await expect(message).to_contain_text("有误的字段：caller（422，invalid_request）")
    await expect(message).to_have_attribute("data-kind", "error")
    await steps.shot("dry-run-refused")

    await page.get_by_test_id("tab-queues").click()
    await expect(page.get_by_test_id("panel-queues").get_by_test_id("tab-missing")).to_have_text(
        "「队列」功能尚未提供。"
    )
    await page.get_by_test_id("tab-audit").click()
    await expect(message).to_have_text("「审计」加载失败：boom")
    await page.get_by_test_id("tab-flows").click()
    await expect(page.get_by_test_id("panel-flows")).to_be_visible()
    await expect(page.get_by_test_id("tab-flows")).to_have_attribute("aria-selected", "true")

    rows = list_changes(ivr_centre.sessions, area="flow", object_id="prompt:leave_message")
    assert [r.action for r in rows] == ["prompt_generate", "prompt_upload"]
    assert '+  "source": "admin"' in rows[1].diff
    assert '+  "source": "generated"' in rows[0].diff
