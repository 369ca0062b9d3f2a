"""Graph questions about a flow: reachability, exits, loops, where silence leads, menu depth.

Pure functions over the node graph. An *exit* is a terminal node (queue, transfer, leave_message,
work_order_status, hangup, return) or a node with no outgoing edge (a survey without ``next``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

from ivr.flow.model import Flow
from ivr.flow.nodes import (
    CollectDigitsNode,
    ConditionNode,
    MenuNode,
    Node,
    PlayNode,
    SetTagsNode,
    SpeechMenuNode,
    SubflowNode,
    SurveyNode,
)

PERSON_ENDS = frozenset({"queue", "return"})


def is_exit(node: Node) -> bool:
    """Whether the flow ends at ``node``."""
    return node.terminal or not node.targets()


def is_menu(node: Node) -> bool:
    """Whether ``node`` asks the caller to choose (DTMF or speech)."""
    return isinstance(node, MenuNode | SpeechMenuNode)


def reachable(flow: Flow, roots: Iterable[str]) -> list[str]:
    """Existing nodes reachable from ``roots``, in breadth-first order."""
    order: list[str] = []
    seen: set[str] = set()
    queue = deque(r for r in roots if r in flow.nodes)
    while queue:
        node_id = queue.popleft()
        if node_id in seen:
            continue
        seen.add(node_id)
        order.append(node_id)
        queue.extend(t for _, t in flow.nodes[node_id].targets() if t in flow.nodes and t not in seen)
    return order


def trapped_loops(flow: Flow, within: Iterable[str]) -> list[list[str]]:
    """Cycles among ``within`` from which no exit node can be reached, each in flow order."""
    preds: dict[str, set[str]] = {n: set() for n in flow.nodes}
    for node_id, node in flow.nodes.items():
        for _, target in node.targets():
            if target in preds:
                preds[target].add(node_id)
    can_exit = set()
    queue = deque(n for n, node in flow.nodes.items() if is_exit(node))
    while queue:
        node_id = queue.popleft()
        if node_id not in can_exit:
            can_exit.add(node_id)
            queue.extend(preds[node_id] - can_exit)
    trapped = [n for n in within if n not in can_exit]
    order = {n: i for i, n in enumerate(flow.nodes)}
    loops: list[list[str]] = []
    placed: set[str] = set()
    for node_id in sorted(trapped, key=order.__getitem__):
        if node_id in placed:
            continue
        ahead = set(reachable(flow, [t for _, t in flow.nodes[node_id].targets()]))
        if node_id not in ahead:
            continue
        members = [n for n in ahead if node_id in reachable(flow, [n])]
        placed.update(members)
        loops.append(sorted(members, key=order.__getitem__))
    return loops


def _silence_next(node: Node) -> list[str]:
    if isinstance(node, PlayNode | SetTagsNode):
        return [node.next]
    if isinstance(node, ConditionNode):
        return [node.then, node.else_]
    if isinstance(node, MenuNode | SpeechMenuNode):
        return [node.on_timeout]
    if isinstance(node, CollectDigitsNode):
        return [node.on_invalid]
    if isinstance(node, SurveyNode) and node.next:
        return [node.next]
    return []


def silence_ends(
    flow: Flow,
    node_id: str,
    flows: Mapping[str, Flow] | None,
    _seen: frozenset[tuple[str, str]] = frozenset(),
) -> set[str]:
    """How a caller who never presses or says anything can end up, starting at ``node_id``.

    Results are terminal node types, plus ``loop`` (silence goes round forever), ``unknown`` (a missing
    node or flow) and ``return`` (the calling flow decides; at the top the fallback queue).
    """
    key = (flow.id, node_id)
    node = flow.nodes.get(node_id)
    if key in _seen:
        return {"loop"}
    if node is None:
        return {"unknown"}
    seen = _seen | {key}
    if isinstance(node, SubflowNode):
        sub = (flows or {}).get(node.flow)
        if sub is None:
            return {"unknown"}
        inner = silence_ends(sub, sub.start, flows, seen)
        if "return" in inner:
            inner = (inner - {"return"}) | silence_ends(flow, node.next, flows, seen)
        return inner
    if node.terminal:
        return {node.type}
    ends: set[str] = set()
    for target in _silence_next(node) or []:
        ends |= silence_ends(flow, target, flows, seen)
    return ends or {"hangup"}


def menu_depths(flow: Flow) -> dict[str, tuple[str, ...]]:
    """For every reachable node, the deepest chain of menus leading to it (the node itself included).

    Paths that revisit a menu (going back to a main menu) do not nest deeper.
    """
    best: dict[str, tuple[str, ...]] = {}
    stack: list[tuple[str, tuple[str, ...]]] = [(flow.start, ())]
    while stack:
        node_id, menus = stack.pop()
        node = flow.nodes.get(node_id)
        if node is None or node_id in menus:
            continue
        if is_menu(node):
            menus = (*menus, node_id)
        if node_id in best and len(best[node_id]) >= len(menus):
            continue
        best[node_id] = menus
        stack.extend((t, menus) for _, t in node.targets())
    return best


def max_menu_depth(flow: Flow, flows: Mapping[str, Flow] | None, _seen: frozenset[str] = frozenset()) -> int:
    """The deepest menu nesting of ``flow`` counting the subflows it calls."""
    deepest = 0
    for node_id, menus in menu_depths(flow).items():
        node = flow.nodes[node_id]
        extra = 0
        if isinstance(node, SubflowNode) and node.flow not in _seen and node.flow in (flows or {}):
            extra = max_menu_depth((flows or {})[node.flow], flows, _seen | {flow.id})
        deepest = max(deepest, len(menus) + extra)
    return deepest


def subflow_cycle(start: str, flows: Mapping[str, Flow]) -> list[str] | None:
    """A chain of flow ids from ``start`` that comes back to a flow already on it, if any."""
    stack: list[tuple[str, tuple[str, ...]]] = [(start, ())]
    while stack:
        flow_id, chain = stack.pop()
        if flow_id in chain:
            return [*chain, flow_id]
        flow = flows.get(flow_id)
        if flow is None:
            continue
        subs = {n.flow for n in flow.nodes.values() if isinstance(n, SubflowNode)}
        stack.extend((s, (*chain, flow_id)) for s in sorted(subs))
    return None
