"""Where in a pack's YAML each validator finding points, for the flow editor's line markers.

The catalog's findings name a flow and a node (or neither, for a parse error). Each gets the 1-based line
of the most precise place in the text: the field of an unknown target (``options.3``, ``else``), the
``prompt``/``queue`` field a prompt or queue finding is about, the node's key for other node findings,
the flow's own field (``start``, ``fallback_queue``, ``post_call_survey``) for whole-flow findings, and
the line the parser or schema check reported for text that does not load. JSON packs get no lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from ivr.catalog import PackIssue
from ivr.flow import Flow

FLOW_FIELDS = {
    "unknown_start": ["start"],
    "unknown_queue": ["fallback_queue"],
    "bad_post_call_survey": ["post_call_survey"],
    "pack_id_mismatch": ["id"],
}
NODE_FIELDS = {
    "unknown_queue": ["queue"],
    "prompt_not_listed": ["prompt"],
    "unknown_prompt": ["prompt"],
    "unknown_flag": ["test"],
    "no_working_hours": ["test"],
    "unknown_subflow": ["flow"],
    "subflow_cycle": ["flow"],
    "unknown_variable": ["variable"],
    "silence_not_to_person": ["on_timeout"],
    "key_zero_not_to_person": ["options", "0"],
}


def _is_yaml(source: str) -> bool:
    return source.lstrip()[:1] not in ("{", "[")


def _documents(source: str) -> list[str]:
    """Flow ids in document order (as the loader numbers documents), '' for one without an id."""
    try:
        docs = [d for d in yaml.safe_load_all(source) if d is not None]
    except yaml.YAMLError:
        return []
    return [str(d.get("id", "")) if isinstance(d, dict) else "" for d in docs]


def _field_path(issue: PackIssue, flows: Mapping[str, Flow]) -> list[str]:
    if issue.node_id is None:
        return FLOW_FIELDS.get(issue.code, [])
    path = ["nodes", issue.node_id]
    flow = flows.get(issue.flow_id or "")
    node = flow.nodes.get(issue.node_id) if flow else None
    if issue.code == "unknown_target" and flow is not None and node is not None:
        missing = [f for f, target in node.targets() if target not in flow.nodes]
        return [*path, *missing[0].split(".")] if missing else path
    if issue.code == "unknown_prompt" and node is not None and hasattr(node, "invalid_prompt"):
        bad = [p for p in node.prompt_ids() if p not in flow.prompts] if flow else []
        if bad and bad[0] == node.invalid_prompt:
            return [*path, "invalid_prompt"]
    return [*path, *NODE_FIELDS.get(issue.code, [])]


def _deepest(node: yaml.Node, loc: Sequence[int | str], matched: int = 0) -> tuple[int, int]:
    """(parts matched, line) of the longest part of ``loc`` found in order, skipping parts the text does
    not have (pydantic puts a union's tag, e.g. ``queue``, in the path, which may also be a field name).
    A mapping or list value is placed at its key's line, a plain value at its own."""
    if not loc:
        return matched, node.start_mark.line + 1
    part, rest = loc[0], loc[1:]
    best = _deepest(node, rest, matched)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                inner = _deepest(value, rest, matched + 1)
                if not rest or inner[0] == matched + 1:
                    plain = isinstance(value, yaml.ScalarNode)
                    inner = (inner[0], value.start_mark.line + 1 if plain else key.start_mark.line + 1)
                best = max(best, inner, key=lambda found: found[0])
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        best = max(best, _deepest(node.value[part], rest, matched + 1), key=lambda found: found[0])
    return best


def _roots(source: str) -> list[yaml.Node]:
    try:
        return [r for r in yaml.compose_all(source) if r is not None]
    except yaml.YAMLError:
        return []


def _place(source: str, path: Sequence[int | str], document: int) -> int | None:
    roots = _roots(source)
    return _deepest(roots[document], path)[1] if document < len(roots) else None


def _schema_lines(source: str, document: int) -> list[int | None]:
    """The line of each schema error of document ``document``, in pydantic's order."""
    try:
        raw = [d for d in yaml.safe_load_all(source) if d is not None][document]
        Flow.model_validate(raw)
    except ValidationError as exc:
        return [_place(source, err["loc"], document) for err in exc.errors()]
    except (yaml.YAMLError, IndexError):
        return []
    return []


def _schema_findings(source: str, issue: PackIssue) -> list[dict[str, Any]]:
    errors: Sequence[Mapping[str, Any]] = issue.details.get("errors", [])
    lines = _schema_lines(source, int(issue.details.get("document", 0))) if _is_yaml(source) else []
    return [
        {
            **issue.as_dict(),
            "message": f"{e['loc']}: {e['message']}",
            "line": lines[i] if i < len(lines) else e.get("line"),
            "loc": e["loc"],
        }
        for i, e in enumerate(errors)
    ]


def with_lines(source: str, issues: Sequence[PackIssue], flows: Mapping[str, Flow]) -> list[dict[str, Any]]:
    """The issues as dicts, each with ``line`` (1-based, or None when it cannot be placed)."""
    yaml_text = _is_yaml(source)
    order = _documents(source) if yaml_text else []
    found: list[dict[str, Any]] = []
    for issue in issues:
        if issue.node_id is None and issue.details.get("errors"):
            found.extend(_schema_findings(source, issue))
            continue
        line = issue.details.get("line")
        if line is None and yaml_text:
            flow_id = issue.flow_id if issue.flow_id is not None else (order[0] if order else "")
            index = order.index(flow_id) if flow_id in order else 0
            line = _place(source, _field_path(issue, flows), index)
        found.append({**issue.as_dict(), "line": line})
    return found
