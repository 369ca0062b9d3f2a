"""What publishing or rolling back would change, in the flow's own terms rather than as lines of text.

Two parsed packs are compared flow by flow: flows and nodes added or removed, and for a node or a flow
that stays, each field whose value differs. Mappings (a menu's ``options``, the flow's ``prompts`` and
``flags``) are compared key by key, so the change reads ``options.3: enterprise_queue -> wage_arrears_queue``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ivr.flow import Flow

Change = dict[str, Any]


def _fields(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        name = f"{prefix}{key}"
        if isinstance(old, Mapping) and isinstance(new, Mapping) and key != "test":
            out.extend(_fields(old, new, f"{name}."))
        else:
            out.append({"field": name, "before": old, "after": new})
    return out


def _node_dump(flow: Flow) -> dict[str, dict[str, Any]]:
    return {n: node.model_dump(mode="json", by_alias=True) for n, node in flow.nodes.items()}


def _flow_dump(flow: Flow) -> dict[str, Any]:
    data = flow.model_dump(mode="json", by_alias=True)
    data.pop("nodes")
    return data


def _flow_changes(flow_id: str, old: Flow, new: Flow) -> list[Change]:
    changes: list[Change] = []
    fields = _fields(_flow_dump(old), _flow_dump(new))
    if fields:
        changes.append({"flow": flow_id, "node": None, "change": "changed", "fields": fields})
    before, after = _node_dump(old), _node_dump(new)
    for node_id in [*before, *(n for n in after if n not in before)]:
        if node_id not in after:
            changes.append({"flow": flow_id, "node": node_id, "change": "removed", "fields": []})
        elif node_id not in before:
            changes.append({"flow": flow_id, "node": node_id, "change": "added", "fields": []})
        elif before[node_id] != after[node_id]:
            diff = _fields(before[node_id], after[node_id])
            changes.append({"flow": flow_id, "node": node_id, "change": "changed", "fields": diff})
    return changes


def pack_changes(old: Mapping[str, Flow], new: Mapping[str, Flow]) -> list[Change]:
    """Every change from pack ``old`` to pack ``new``, flows in the new pack's order then removed ones."""
    changes: list[Change] = []
    for flow_id, flow in new.items():
        if flow_id not in old:
            changes.append({"flow": flow_id, "node": None, "change": "added", "fields": []})
        else:
            changes.extend(_flow_changes(flow_id, old[flow_id], flow))
    for flow_id in old:
        if flow_id not in new:
            changes.append({"flow": flow_id, "node": None, "change": "removed", "fields": []})
    return changes
