"""Loading flows from YAML and JSON, errors with line numbers, the JSON Schema, round trips."""

from __future__ import annotations

import json

import pytest

from ivr.flow import Flow, FlowError, dump_flow, flow_json_schema, load_flow, load_flow_pack
from ivr.flow.loader import DEFAULT_PACK_PATH
from ivr.flow.nodes import ConditionNode, QueueNode

SMALL_YAML = """\
id: small
name: small
schema_version: 1
start: hi
prompts: [hi]
nodes:
  hi:
    type: play
    prompt: hi
    next: gate
  gate:
    type: condition
    test: {kind: time_of_day, ranges: [{start: "22:00", end: "06:00"}]}
    then: night
    else: day
  night: {type: hangup}
  day: {type: queue, queue: general}
"""


def test_given_yaml_when_loaded_then_typed_nodes() -> None:
    flow = load_flow(SMALL_YAML)
    assert flow.prompts == {"hi": ""}
    gate = flow.nodes["gate"]
    assert isinstance(gate, ConditionNode)
    assert (gate.then, gate.else_) == ("night", "day")
    assert isinstance(flow.nodes["day"], QueueNode)


def test_given_json_when_loaded_then_same_flow_as_yaml() -> None:
    flow = load_flow(SMALL_YAML)
    text = dump_flow(flow, fmt="json")
    assert json.loads(text)["nodes"]["gate"]["else"] == "day"
    assert load_flow(text) == flow
    assert load_flow(dump_flow(flow, fmt="yaml"), fmt="yaml") == flow


def test_given_bad_yaml_syntax_when_loaded_then_error_names_the_line() -> None:
    broken = SMALL_YAML.replace("    next: gate", "    next: [gate")
    with pytest.raises(FlowError) as info:
        load_flow(broken)
    assert info.value.error_id == "flow_parse_error"
    assert info.value.details["line"] == 11
    assert "line 11" in info.value.message


def test_given_bad_json_syntax_when_loaded_then_error_names_the_line() -> None:
    with pytest.raises(FlowError) as info:
        load_flow('{\n  "id": "x",\n  "name": \n}', fmt="json")
    assert (info.value.error_id, info.value.details["line"]) == ("flow_parse_error", 4)


def test_given_a_schema_error_when_loaded_then_error_names_field_and_line() -> None:
    broken = SMALL_YAML.replace("  day: {type: queue, queue: general}", "  day: {type: queue, queu: general}")
    with pytest.raises(FlowError) as info:
        load_flow(broken)
    err = info.value
    assert err.error_id == "flow_invalid"
    locs = {p["loc"]: p["line"] for p in err.details["errors"]}
    assert locs == {"nodes.day.queue.queue": 17, "nodes.day.queue.queu": 17}
    assert "nodes.day.queue.queue: Field required (line 17)" in err.message


def test_given_an_unknown_node_type_when_loaded_then_rejected_with_line() -> None:
    with pytest.raises(FlowError) as info:
        load_flow(SMALL_YAML.replace("night: {type: hangup}", "night: {type: explode}"))
    assert info.value.details["errors"][0]["line"] == 16
    assert "nodes.night" in info.value.message


def test_given_an_unquoted_time_when_loaded_then_explains_quoting() -> None:
    with pytest.raises(FlowError) as info:
        load_flow(SMALL_YAML.replace('start: "22:00"', "start: 22:00"))
    assert "quoted 'HH:MM'" in info.value.message


def test_given_another_schema_version_when_loaded_then_rejected() -> None:
    with pytest.raises(FlowError) as info:
        load_flow(SMALL_YAML.replace("schema_version: 1", "schema_version: 2"))
    assert "schema_version" in info.value.message


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("    next: gate", "    next: gate\n    interruptible_digits: 'x'", "interruptible_digits"),
        (
            "  night: {type: hangup}",
            "  night: {type: collect_digits, prompt: hi, variable: v, next: day, "
            "on_invalid: day, min_digits: 5, max_digits: 2}",
            "min_digits 5 is greater than max_digits 2",
        ),
        ("  night: {type: hangup}", "  night: {type: work_order_status}", "exactly one of"),
        ("  night: {type: hangup}", "  night: {type: transfer, number: abc}", "nodes.night.transfer.number"),
        (
            "  night: {type: hangup}",
            "  night: {type: menu, prompt: hi, options: {'0': day}, on_timeout: day, on_invalid: day, "
            "retries: 1, silence_retries: 2}",
            "silence_retries 2 is greater than retries 1",
        ),
    ],
)
def test_given_malformed_node_fields_when_loaded_then_rejected(old: str, new: str, fragment: str) -> None:
    assert old in SMALL_YAML
    with pytest.raises(FlowError) as info:
        load_flow(SMALL_YAML.replace(old, new))
    assert fragment in info.value.message


def test_given_two_documents_when_loaded_as_one_flow_then_rejected_but_pack_accepts() -> None:
    second = SMALL_YAML.replace("id: small", "id: other")
    text = SMALL_YAML + "---\n" + second
    with pytest.raises(FlowError, match="exactly one flow document"):
        load_flow(text)
    assert sorted(load_flow_pack(text)) == ["other", "small"]
    with pytest.raises(FlowError) as info:
        load_flow_pack(SMALL_YAML + "---\n" + SMALL_YAML)
    assert info.value.error_id == "duplicate_flow_id"


def test_json_schema_lists_every_node_type_and_round_trips_as_json() -> None:
    schema = flow_json_schema()
    json.dumps(schema)
    (node_schema,) = schema["properties"]["nodes"]["patternProperties"].values()
    mapping = node_schema["discriminator"]["mapping"]
    assert set(mapping) == {
        "play", "menu", "speech_menu", "collect_digits", "condition", "set_tags", "queue", "transfer",
        "leave_message", "work_order_status", "survey", "hangup", "subflow", "return",
    }  # fmt: skip
    assert schema["properties"]["schema_version"]["const"] == 1
    assert "else" in schema["$defs"]["ConditionNode"]["properties"]


def test_the_default_pack_lists_every_prompt_it_uses() -> None:
    for flow in load_flow_pack(DEFAULT_PACK_PATH.read_text(encoding="utf-8")).values():
        used = {p for node in flow.nodes.values() for p in node.prompt_ids()}
        assert used == set(flow.prompts)
        assert all(text for text in flow.prompts.values())


def test_flow_is_frozen() -> None:
    flow = load_flow(SMALL_YAML)
    with pytest.raises(ValueError, match="frozen"):
        flow.start = "x"  # type: ignore[misc]
    assert isinstance(flow, Flow)
