"""The pure parts of the flow editor: change summaries, finding lines in a pack's YAML, the graph."""

from __future__ import annotations

from ivr.admin_flow_changes import pack_changes
from ivr.admin_flow_graph import flow_graph
from ivr.admin_flow_lines import with_lines
from ivr.catalog import PackIssue
from ivr.flow import load_flow_pack
from ivr.flow.loader import DEFAULT_PACK_PATH

SHIPPED = DEFAULT_PACK_PATH.read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_given_nodes_added_removed_and_changed_when_compared_then_each_change_is_named() -> None:
    old = load_flow_pack(SHIPPED)
    edited = (
        SHIPPED.replace("    priority: 10\n", "    priority: 20\n")
        .replace("  leave_message:\n    type: leave_message\n", "  leave_note:\n    type: leave_message\n")
        .replace('"1": leave_message, "0": to_person', '"1": leave_note, "0": to_person')
        .replace("  order_number: 请输入您的工单编号，以井号键结束。", "  order_number: 请输入工单编号。")
    )
    changes = pack_changes(old, load_flow_pack(edited))
    assert changes == [
        {"flow": "12345", "node": "elderly_queue", "change": "changed",
         "fields": [{"field": "priority", "before": 10, "after": 20}]},
        {"flow": "12345", "node": "off_hours_menu", "change": "changed",
         "fields": [{"field": "options.1", "before": "leave_message", "after": "leave_note"}]},
        {"flow": "12345", "node": "leave_message", "change": "removed", "fields": []},
        {"flow": "12345", "node": "leave_note", "change": "added", "fields": []},
        {"flow": "work_order_query", "node": None, "change": "changed",
         "fields": [{"field": "prompts.order_number", "before": "请输入您的工单编号，以井号键结束。",
                     "after": "请输入工单编号。"}]},
    ]  # fmt: skip
    assert pack_changes(old, old) == []
    only_main = {"12345": old["12345"]}
    assert pack_changes(only_main, old) == [
        {"flow": "work_order_query", "node": None, "change": "added", "fields": []}
    ]
    assert pack_changes(old, only_main)[-1]["change"] == "removed"


def test_given_issues_in_the_second_document_when_placed_then_lines_are_in_that_document() -> None:
    text = SHIPPED.replace("    next: lookup\n", "    next: lokup\n")
    flows = load_flow_pack(text)
    issues = [
        PackIssue("work_order_query", "ask_order", "unknown_target", "node 'ask_order': next -> 'lokup'"),
        PackIssue("work_order_query", "lookup", "unreachable_node", "node 'lookup' is not reachable"),
        PackIssue("12345", None, "unknown_queue", "fallback_queue 'general' is not a known queue"),
        PackIssue("12345", "welcome", "unknown_prompt", "node 'welcome': prompt 'welcome' has no recording"),
    ]
    lines = [i["line"] for i in with_lines(text, issues, flows)]
    assert lines == [
        _line_of(text, "next: lokup"),
        _line_of(text, "  lookup:\n"),
        _line_of(text, "fallback_queue: general"),
        _line_of(text, "    prompt: welcome"),
    ]
    json_text = '[{"id": "12345"}]'
    assert with_lines(json_text, issues[:1], {})[0]["line"] is None


def test_given_a_flow_when_drawn_then_keys_branches_and_missing_targets_are_labelled() -> None:
    off_hours = 'options: {"1": leave_message, "0": to_person}'
    ghost = 'options: {"1": leave_message, "0": ghost}'
    flow = load_flow_pack(SHIPPED.replace(off_hours, ghost))["12345"]
    graph = flow_graph(flow, issues={"off_hours_menu": ["unknown_target"]})
    edges = {(e["source"], e["label"]): e["target"] for e in graph["edges"]}
    assert edges[("off_hours_menu", "按0")] == "ghost"
    assert edges[("off_hours_menu", "无按键")] == "to_person"
    assert edges[("off_hours_menu", "按错")] == "to_person"
    assert edges[("hours_check", "是")] == "repeat_check"
    assert edges[("hours_check", "否")] == "off_hours_tag"
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["ghost"]["type"] == "missing"
    assert nodes["off_hours_menu"]["issues"] == ["unknown_target"]
    assert nodes["hours_check"]["detail"] == "工作时间内"
    assert nodes["elderly_check"]["detail"] == "来电人：老年人"
    assert nodes["social_security_queue"]["detail"] == "队列 social_security 技能 social_security"
    assert nodes["welcome"]["start"] is True
