"""Validator: one broken-flow class per row, each reported with its node, stable code and exact message."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from ivr.flow import Flow, FlowIssue, IssueCode, default_pack, validate_flow

Doc = dict[str, Any]


def base() -> Doc:
    return {
        "id": "t",
        "name": "test flow",
        "schema_version": 1,
        "start": "hello",
        "prompts": ["hello", "menu"],
        "nodes": {
            "hello": {"type": "play", "prompt": "hello", "next": "menu"},
            "menu": {
                "type": "menu",
                "prompt": "menu",
                "options": {"1": "bye", "0": "person"},
                "on_timeout": "person",
                "on_invalid": "person",
            },
            "person": {"type": "queue", "queue": "general"},
            "bye": {"type": "hangup"},
        },
    }


def menu(options: dict[str, str], on_timeout: str = "person", prompt: str = "menu") -> Doc:
    return {
        "type": "menu",
        "prompt": prompt,
        "options": options,
        "on_timeout": on_timeout,
        "on_invalid": "person",
    }


def flow_of(edit: Callable[[Doc], None]) -> Flow:
    doc = copy.deepcopy(base())
    edit(doc)
    return Flow.model_validate(doc)


def issues(flow: Flow, **kwargs: Any) -> list[tuple[str | None, str, str]]:
    return [(i.node_id, i.code.value, i.message) for i in validate_flow(flow, **kwargs)]


def test_given_the_base_flow_when_validated_then_no_issue() -> None:
    assert validate_flow(flow_of(lambda d: None)) == []


def unreachable(*names: str) -> list[tuple[str | None, str, str]]:
    return [(n, "unreachable_node", f"node {n!r} is not reachable from start") for n in names]


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        *parents, last = path.split("/")
        target = doc
        for part in parents:
            target = target[part]
        target[last] = value

    return edit


def _steps(*edits: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        for e in edits:
            e(doc)

    return edit


CASES: list[tuple[str, Callable[[Doc], None], list[tuple[str | None, str, str]]]] = [
    (
        "unknown target",
        _set("nodes/menu/options/1", "nowhere"),
        [
            ("menu", "unknown_target", "node 'menu': options.1 -> 'nowhere': no such node"),
            ("bye", "unreachable_node", "node 'bye' is not reachable from start"),
        ],
    ),
    (
        "unknown start",
        _set("start", "begin"),
        [
            (None, "unknown_start", "start node 'begin' does not exist"),
            *unreachable("hello", "menu", "person", "bye"),
        ],
    ),
    (
        "unreachable node",
        _set("nodes/orphan", {"type": "hangup"}),
        [("orphan", "unreachable_node", "node 'orphan' is not reachable from start")],
    ),
    (
        "loop without exit",
        _steps(
            _set("nodes/hello/next", "spin"),
            _set("nodes/spin", {"type": "set_tags", "tags": ["x"], "next": "turn"}),
            _set(
                "nodes/turn",
                {
                    "type": "condition",
                    "test": {"kind": "caller", "attribute": "vip"},
                    "then": "spin",
                    "else": "spin",
                },
            ),
        ),
        [
            *unreachable("menu", "person", "bye"),
            (
                "spin",
                "loop_without_exit",
                "loop spin -> turn -> spin has no exit: "
                "no queue, transfer, message or hangup can be reached from it",
            ),
        ],
    ),
    (
        "prompt not listed",
        _set("prompts", ["hello"]),
        [("menu", "prompt_not_listed", "node 'menu': prompt 'menu' is not listed in the flow's prompts")],
    ),
    (
        "menu too deep",
        _steps(
            _set("nodes/menu/options/2", "sub"),
            _set("nodes/sub", menu({"2": "subsub", "0": "person"})),
            _set("nodes/subsub", menu({"0": "person"})),
        ),
        [
            (
                "subsub",
                "menu_too_deep",
                "menu 'subsub' is at depth 3 (menu -> sub -> subsub); max_menu_depth is 2",
            )
        ],
    ),
    (
        "silence not to a person",
        _set("nodes/menu/on_timeout", "bye"),
        [
            (
                "menu",
                "silence_not_to_person",
                "menu 'menu': silence (on_timeout -> 'bye') can end in hangup instead of a queue (a person)",
            )
        ],
    ),
    (
        "key 0 not to a person",
        _set("nodes/menu/options/0", "bye"),
        [("menu", "key_zero_not_to_person", "menu 'menu': key 0 -> 'bye' can end in hangup, not a person")],
    ),
    (
        "no person from the first menu",
        _steps(
            _set("nodes/menu/options", {"1": "bye"}),
            _set("nodes/menu/on_timeout", "msg"),
            _set("nodes/menu/on_invalid", "bye"),
            _set("nodes/msg", {"type": "leave_message"}),
            _set("nodes/person", {"type": "hangup"}),
        ),
        [
            ("person", "unreachable_node", "node 'person' is not reachable from start"),
            (
                "menu",
                "no_person_from_first_menu",
                "no queue (a person) can be reached from the first menu 'menu'",
            ),
            (
                "menu",
                "silence_not_to_person",
                "menu 'menu': silence (on_timeout -> 'msg') can end in leave_message "
                "instead of a queue (a person)",
            ),
        ],
    ),
    (
        "speech keywords for a missing option",
        _set(
            "nodes/menu",
            {
                **menu({"1": "bye", "0": "person"}),
                "type": "speech_menu",
                "keywords": {"1": ["再见"], "7": ["七"]},
            },
        ),
        [("menu", "unknown_speech_choice", "speech menu 'menu': keywords for '7', which is not an option")],
    ),
    (
        "undeclared flag",
        _steps(
            _set("nodes/hello/next", "gate"),
            _set(
                "nodes/gate",
                {
                    "type": "condition",
                    "test": {"kind": "flag", "flag": "surge"},
                    "then": "menu",
                    "else": "menu",
                },
            ),
        ),
        [("gate", "unknown_flag", "condition 'gate': flag 'surge' is not declared in the flow's flags")],
    ),
    (
        "working hours test without working hours",
        _steps(
            _set("nodes/hello/next", "gate"),
            _set(
                "nodes/gate",
                {"type": "condition", "test": {"kind": "working_hours"}, "then": "menu", "else": "menu"},
            ),
        ),
        [
            (
                "gate",
                "no_working_hours",
                "condition 'gate': tests working_hours but the flow has no working_hours",
            )
        ],
    ),
    (
        "status lookup of a variable nobody sets",
        _steps(
            _set("nodes/menu/options/1", "status"),
            _set("nodes/status", {"type": "work_order_status", "variable": "order"}),
            _set("nodes/bye", {"type": "hangup"}),
            _set("nodes/hello/next", "menu"),
            _set("post_call_survey", "bye"),
        ),
        [
            (
                "status",
                "unknown_variable",
                "node 'status': variable 'order' is never set by a collect_digits node",
            ),
            ("bye", "bad_post_call_survey", "post_call_survey 'bye' is not a survey node"),
        ],
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_given_a_broken_flow_when_validated_then_exact_issues(
    edit: Callable[[Doc], None], expected: list[tuple[str | None, str, str]]
) -> None:
    assert issues(flow_of(edit)) == expected


def test_given_known_prompts_and_queues_when_missing_then_reported() -> None:
    found = issues(flow_of(lambda d: None), known_prompts={"hello"}, known_queues={"enterprise"})
    assert found == [
        ("menu", "unknown_prompt", "node 'menu': prompt 'menu' has no recording"),
        (None, "unknown_queue", "fallback_queue 'general' is not a known queue"),
        ("person", "unknown_queue", "node 'person': queue 'general' is not a known queue"),
    ]


def _caller(sub_flow: str) -> Flow:
    return flow_of(
        _steps(
            _set("nodes/menu/options/2", "sub"),
            _set("nodes/sub", {"type": "subflow", "flow": sub_flow, "next": "person"}),
        )
    )


def _callee(flow_id: str, calls: str | None = None, menus: int = 0) -> Flow:
    nodes: Doc = {"out": {"type": "return"}}
    first = "out"
    for i in range(menus):
        nodes[f"m{i}"] = menu({"1": first, "0": "out"}, on_timeout="out", prompt="menu")
        first = f"m{i}"
    if calls:
        nodes["call"] = {"type": "subflow", "flow": calls, "next": first}
        first = "call"
    doc = {
        "id": flow_id,
        "name": flow_id,
        "schema_version": 1,
        "start": first,
        "prompts": ["menu"],
        "nodes": nodes,
    }
    return Flow.model_validate(doc)


def test_given_an_unknown_subflow_when_validated_with_flows_then_reported() -> None:
    main = _caller("ghost")
    assert issues(main, flows={"t": main}) == [("sub", "unknown_subflow", "subflow 'sub': no flow 'ghost'")]


def test_given_without_flows_when_validated_then_subflows_not_checked() -> None:
    assert issues(_caller("ghost")) == []


def test_given_a_subflow_cycle_when_validated_then_reported_with_the_chain() -> None:
    main = _caller("a")
    flows = {"t": main, "a": _callee("a", calls="b"), "b": _callee("b", calls="a")}
    assert issues(main, flows=flows) == [
        ("sub", "subflow_cycle", "subflow 'sub' starts a cycle: t -> a -> b -> a")
    ]


def test_given_a_subflow_with_a_menu_when_nested_too_deep_then_reported() -> None:
    main = _caller("deep")
    found = issues(main, flows={"t": main, "deep": _callee("deep", menus=2)})
    assert found == [
        (
            "sub",
            "menu_too_deep",
            "subflow 'sub' -> flow 'deep' adds 2 menu level(s) at depth 1: 3 > max_menu_depth 2",
        )
    ]


def test_given_the_default_pack_when_validated_then_clean() -> None:
    pack = default_pack()
    queues = {"general", "surge", "enterprise", "accessibility", "social_security", "women_children"}
    queues |= {"elderly_services", "wage_arrears"}
    for flow in pack.values():
        assert validate_flow(flow, flows=pack, known_queues=queues, known_prompts=set(flow.prompts)) == []


def test_issue_codes_are_stable_strings() -> None:
    assert IssueCode("silence_not_to_person") is IssueCode.SILENCE_NOT_TO_PERSON
    issue = FlowIssue("n", IssueCode.UNKNOWN_TARGET, "m")
    assert issue.code == "unknown_target"
