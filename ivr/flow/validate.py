"""Flow validation: every problem an admin must fix before a flow goes live, as stable issue codes.

Structure (types, formats) is checked when loading; this module checks the graph and the 12345 rules
(GB/T 33358 spirit): shallow menus, key 0 and silence reach a person, no dead ends, no loops without exit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ivr.flow import graph
from ivr.flow.model import Flow
from ivr.flow.nodes import (
    CollectDigitsNode,
    ConditionNode,
    MenuNode,
    QueueNode,
    SpeechMenuNode,
    SubflowNode,
    SurveyNode,
    WorkOrderStatusNode,
)
from ivr.flow.predicates import FlagTest, WorkingHoursTest


class IssueCode(StrEnum):
    """Stable identifiers of validation problems."""

    UNKNOWN_START = "unknown_start"
    UNKNOWN_TARGET = "unknown_target"
    UNREACHABLE_NODE = "unreachable_node"
    LOOP_WITHOUT_EXIT = "loop_without_exit"
    PROMPT_NOT_LISTED = "prompt_not_listed"
    UNKNOWN_PROMPT = "unknown_prompt"
    UNKNOWN_QUEUE = "unknown_queue"
    MENU_TOO_DEEP = "menu_too_deep"
    NO_PERSON_FROM_FIRST_MENU = "no_person_from_first_menu"
    SILENCE_NOT_TO_PERSON = "silence_not_to_person"
    KEY_ZERO_NOT_TO_PERSON = "key_zero_not_to_person"
    UNKNOWN_SPEECH_CHOICE = "unknown_speech_choice"
    UNKNOWN_FLAG = "unknown_flag"
    NO_WORKING_HOURS = "no_working_hours"
    UNKNOWN_VARIABLE = "unknown_variable"
    BAD_POST_CALL_SURVEY = "bad_post_call_survey"
    UNKNOWN_SUBFLOW = "unknown_subflow"
    SUBFLOW_CYCLE = "subflow_cycle"


@dataclass(frozen=True, slots=True)
class FlowIssue:
    """One problem: the node it is about (None for the flow as a whole), a stable code, a message."""

    node_id: str | None
    code: IssueCode
    message: str


def _targets(flow: Flow) -> Iterator[FlowIssue]:
    if flow.start not in flow.nodes:
        yield FlowIssue(None, IssueCode.UNKNOWN_START, f"start node {flow.start!r} does not exist")
    for node_id, node in flow.nodes.items():
        for field, target in node.targets():
            if target not in flow.nodes:
                msg = f"node {node_id!r}: {field} -> {target!r}: no such node"
                yield FlowIssue(node_id, IssueCode.UNKNOWN_TARGET, msg)


def _roots(flow: Flow) -> list[str]:
    return [flow.start] + ([flow.post_call_survey] if flow.post_call_survey else [])


def _reachability(flow: Flow) -> Iterator[FlowIssue]:
    seen = graph.reachable(flow, _roots(flow))
    for node_id in flow.nodes:
        if node_id not in seen:
            yield FlowIssue(
                node_id, IssueCode.UNREACHABLE_NODE, f"node {node_id!r} is not reachable from start"
            )
    for loop in graph.trapped_loops(flow, seen):
        chain = " -> ".join([*loop, loop[0]])
        msg = f"loop {chain} has no exit: no queue, transfer, message or hangup can be reached from it"
        yield FlowIssue(loop[0], IssueCode.LOOP_WITHOUT_EXIT, msg)


def _prompts(flow: Flow, known: set[str] | None) -> Iterator[FlowIssue]:
    for node_id, node in flow.nodes.items():
        for prompt in node.prompt_ids():
            if prompt not in flow.prompts:
                msg = f"node {node_id!r}: prompt {prompt!r} is not listed in the flow's prompts"
                yield FlowIssue(node_id, IssueCode.PROMPT_NOT_LISTED, msg)
            elif known is not None and prompt not in known:
                msg = f"node {node_id!r}: prompt {prompt!r} has no recording"
                yield FlowIssue(node_id, IssueCode.UNKNOWN_PROMPT, msg)


def _queues(flow: Flow, known: set[str] | None) -> Iterator[FlowIssue]:
    if known is None:
        return
    if flow.fallback_queue not in known:
        msg = f"fallback_queue {flow.fallback_queue!r} is not a known queue"
        yield FlowIssue(None, IssueCode.UNKNOWN_QUEUE, msg)
    for node_id, node in flow.nodes.items():
        if isinstance(node, QueueNode) and node.queue not in known:
            msg = f"node {node_id!r}: queue {node.queue!r} is not a known queue"
            yield FlowIssue(node_id, IssueCode.UNKNOWN_QUEUE, msg)


def _depth(flow: Flow, flows: Mapping[str, Flow] | None) -> Iterator[FlowIssue]:
    limit = flow.max_menu_depth
    for node_id, menus in graph.menu_depths(flow).items():
        node = flow.nodes[node_id]
        if graph.is_menu(node) and len(menus) > limit:
            msg = (
                f"menu {node_id!r} is at depth {len(menus)} ({' -> '.join(menus)}); max_menu_depth is {limit}"
            )
            yield FlowIssue(node_id, IssueCode.MENU_TOO_DEEP, msg)
        if isinstance(node, SubflowNode) and flows and node.flow in flows:
            if graph.subflow_cycle(node.flow, flows):
                continue
            inner = graph.max_menu_depth(flows[node.flow], flows)
            if len(menus) + inner > limit:
                msg = (
                    f"subflow {node_id!r} -> flow {node.flow!r} adds {inner} menu level(s) at depth "
                    f"{len(menus)}: {len(menus) + inner} > max_menu_depth {limit}"
                )
                yield FlowIssue(node_id, IssueCode.MENU_TOO_DEEP, msg)


def _reaches_queue(flow: Flow, start: str, flows: Mapping[str, Flow] | None) -> bool:
    for node_id in graph.reachable(flow, [start]):
        node = flow.nodes[node_id]
        if isinstance(node, QueueNode):
            return True
        sub = (flows or {}).get(node.flow) if isinstance(node, SubflowNode) else None
        if sub is not None and sub.id != flow.id and _reaches_queue(sub, sub.start, None):
            return True
    return False


def _person(flow: Flow, flows: Mapping[str, Flow] | None) -> Iterator[FlowIssue]:
    order = graph.reachable(flow, [flow.start])
    menus = [n for n in order if graph.is_menu(flow.nodes[n])]
    if menus and not _reaches_queue(flow, menus[0], flows):
        msg = f"no queue (a person) can be reached from the first menu {menus[0]!r}"
        yield FlowIssue(menus[0], IssueCode.NO_PERSON_FROM_FIRST_MENU, msg)
    for node_id in menus:
        node = flow.nodes[node_id]
        assert isinstance(node, MenuNode | SpeechMenuNode)
        ends = graph.silence_ends(flow, node.on_timeout, flows) - graph.PERSON_ENDS
        if ends:
            msg = (
                f"menu {node_id!r}: silence (on_timeout -> {node.on_timeout!r}) can end in "
                f"{', '.join(sorted(ends))} instead of a queue (a person)"
            )
            yield FlowIssue(node_id, IssueCode.SILENCE_NOT_TO_PERSON, msg)
        zero = node.options.get("0")
        ends = graph.silence_ends(flow, zero, flows) - graph.PERSON_ENDS if zero else set()
        if ends:
            msg = f"menu {node_id!r}: key 0 -> {zero!r} can end in {', '.join(sorted(ends))}, not a person"
            yield FlowIssue(node_id, IssueCode.KEY_ZERO_NOT_TO_PERSON, msg)


def _node_rules(flow: Flow) -> Iterator[FlowIssue]:
    variables = {n.variable for n in flow.nodes.values() if isinstance(n, CollectDigitsNode)}
    for node_id, node in flow.nodes.items():
        if isinstance(node, SpeechMenuNode):
            for choice in sorted(set(node.keywords) - set(node.options)):
                msg = f"speech menu {node_id!r}: keywords for {choice!r}, which is not an option"
                yield FlowIssue(node_id, IssueCode.UNKNOWN_SPEECH_CHOICE, msg)
        if (
            isinstance(node, ConditionNode)
            and isinstance(node.test, FlagTest)
            and node.test.flag not in flow.flags
        ):
            msg = f"condition {node_id!r}: flag {node.test.flag!r} is not declared in the flow's flags"
            yield FlowIssue(node_id, IssueCode.UNKNOWN_FLAG, msg)
        if (
            isinstance(node, ConditionNode)
            and isinstance(node.test, WorkingHoursTest)
            and not flow.working_hours
        ):
            msg = f"condition {node_id!r}: tests working_hours but the flow has no working_hours"
            yield FlowIssue(node_id, IssueCode.NO_WORKING_HOURS, msg)
        if isinstance(node, WorkOrderStatusNode) and node.variable and node.variable not in variables:
            msg = f"node {node_id!r}: variable {node.variable!r} is never set by a collect_digits node"
            yield FlowIssue(node_id, IssueCode.UNKNOWN_VARIABLE, msg)
    survey = flow.post_call_survey
    if survey and not isinstance(flow.nodes.get(survey), SurveyNode):
        msg = f"post_call_survey {survey!r} is not a survey node"
        yield FlowIssue(survey, IssueCode.BAD_POST_CALL_SURVEY, msg)


def _subflows(flow: Flow, flows: Mapping[str, Flow] | None) -> Iterator[FlowIssue]:
    if flows is None:
        return
    everything = {**flows, flow.id: flow}
    for node_id, node in flow.nodes.items():
        if not isinstance(node, SubflowNode):
            continue
        if node.flow not in everything:
            yield FlowIssue(node_id, IssueCode.UNKNOWN_SUBFLOW, f"subflow {node_id!r}: no flow {node.flow!r}")
            continue
        cycle = graph.subflow_cycle(node.flow, everything)
        if node.flow == flow.id or cycle:
            chain = " -> ".join([flow.id, *(cycle or [flow.id])])
            yield FlowIssue(node_id, IssueCode.SUBFLOW_CYCLE, f"subflow {node_id!r} starts a cycle: {chain}")


def validate_flow(
    flow: Flow,
    *,
    known_prompts: set[str] | None = None,
    known_queues: set[str] | None = None,
    flows: Mapping[str, Flow] | None = None,
) -> list[FlowIssue]:
    """All problems of ``flow``; an empty list means it may go live.

    ``known_prompts``/``known_queues`` enable the recording and queue checks; ``flows`` (all flows by id)
    enables the subflow checks. Without ``flows`` subflows are not followed.
    """
    return [
        *_targets(flow),
        *_reachability(flow),
        *_prompts(flow, known_prompts),
        *_queues(flow, known_queues),
        *_depth(flow, flows),
        *_person(flow, flows),
        *_node_rules(flow),
        *_subflows(flow, flows),
    ]
