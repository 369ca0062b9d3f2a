"""A flow as a picture: nodes with a kind and a one-line description, edges labelled with what takes them.

What the editor draws (with Cytoscape.js): menus with their keys, conditions with 是/否 branches (time,
working hours, caller profile, admin switches), queues, transfers and the other ends. An edge to a node
that does not exist points to a ``missing`` node, so a broken target is visible in the picture too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ivr.flow import Flow
from ivr.flow.nodes import (
    CollectDigitsNode,
    ConditionNode,
    LeaveMessageNode,
    MenuNode,
    Node,
    PlayNode,
    QueueNode,
    SetTagsNode,
    SpeechMenuNode,
    SubflowNode,
    TransferNode,
)

EDGE_TEXT = {
    "then": "是",
    "else": "否",
    "next": "",
    "on_timeout": "无按键",
    "on_invalid": "按错",
}
CALLER_TEXT = {
    "elderly": "老年人",
    "repeat_caller": "重复来电",
    "has_open_work_order": "有未办结工单",
    "vip": "重点来电人",
}


def _test_text(node: ConditionNode) -> str:
    test = node.test.model_dump()
    kind = test.get("kind")
    if kind == "flag":
        return f"开关 {test['flag']}"
    if kind == "caller":
        return f"来电人：{CALLER_TEXT.get(test['attribute'], test['attribute'])}"
    if kind == "working_hours":
        return "工作时间内"
    if kind == "working_day":
        return "工作日"
    if kind == "time_of_day":
        return "时段 " + ",".join(f"{r['start']}-{r['end']}" for r in test.get("ranges", []))
    if kind == "caller_prefix":
        return f"号码前缀 {','.join(test.get('prefixes', []))}"
    return str(kind)


def _detail(node: Node) -> str:
    if isinstance(node, QueueNode):
        skills = f" 技能 {','.join(node.skills)}" if node.skills else ""
        return f"队列 {node.queue}{skills}" + (f" 优先级 {node.priority}" if node.priority else "")
    if isinstance(node, TransferNode):
        return f"转接 {node.number}"
    if isinstance(node, ConditionNode):
        return _test_text(node)
    if isinstance(node, MenuNode | SpeechMenuNode):
        return ("语音/按键菜单 " if isinstance(node, SpeechMenuNode) else "按键菜单 ") + "".join(node.options)
    if isinstance(node, PlayNode):
        return f"放音 {node.prompt}"
    if isinstance(node, CollectDigitsNode):
        return f"收号 → {node.variable}"
    if isinstance(node, SubflowNode):
        return f"子流程 {node.flow}"
    if isinstance(node, SetTagsNode):
        return f"标记 {','.join(node.tags)}"
    if isinstance(node, LeaveMessageNode):
        return "留言" + ("并回拨" if node.callback else "")
    return ""


def _edge_text(field: str) -> str:
    if field.startswith("options."):
        return f"按{field.split('.', 1)[1]}"
    return EDGE_TEXT.get(field, field)


def flow_graph(flow: Flow, *, issues: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """Nodes and edges of one flow; ``issues`` maps node ids to the codes found on them."""
    found = issues or {}
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    missing: set[str] = set()
    for node_id, node in flow.nodes.items():
        nodes.append(
            {
                "id": node_id,
                "type": node.type,
                "label": node.label,
                "detail": _detail(node),
                "start": node_id == flow.start,
                "issues": found.get(node_id, []),
            }
        )
        for field, target in node.targets():
            if target not in flow.nodes:
                missing.add(target)
            edges.append({"source": node_id, "target": target, "field": field, "label": _edge_text(field)})
    for target in sorted(missing):
        nodes.append({"id": target, "type": "missing", "label": "", "detail": "不存在的节点", "start": False,
                      "issues": ["unknown_target"]})  # fmt: skip
    return {"id": flow.id, "name": flow.name, "start": flow.start, "nodes": nodes, "edges": edges}


def pack_graph(flows: Mapping[str, Flow], issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``flow_graph`` of every flow of a pack, with the findings placed on their nodes."""
    graphs = []
    for flow_id, flow in flows.items():
        on_nodes: dict[str, list[str]] = {}
        for issue in issues:
            if issue.get("flow_id") == flow_id and issue.get("node_id"):
                on_nodes.setdefault(issue["node_id"], []).append(issue["code"])
        graphs.append(flow_graph(flow, issues=on_nodes))
    return graphs
