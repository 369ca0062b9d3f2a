"""The protocol's JSON Schema against the documentation, the server's parser and the frames the server emits.

- the schema is a valid draft 2020-12 schema, versioned like the protocol;
- every example in PROTOCOL.md validates, and every frame type has one;
- the parser accepts exactly the client frames the schema accepts, and its error frames validate;
- every event published towards desktops carries exactly the fields the schema names.

Frames a running core emits: tests/unit/test_desktop_frames_emitted.py.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

from agent_desktop.protocol import (
    CLIENT_FRAME_TYPES,
    PROTOCOL_VERSION,
    SCHEMA_PATH,
    AuthFrame,
    PingFrame,
    ProtocolError,
    StatusFrame,
    SyncFrame,
    error_frame,
    json_schema,
    parse_client_frame,
)
from tests.integration.desktop import Frame, schema_violations, strict_schema

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_MD = ROOT / "agent_desktop" / "PROTOCOL.md"
PUBLISHING_PACKAGES = ("acd", "agent_desktop", "chat", "hotline", "ivr", "tickets", "supervisor")
DESKTOP_TOPICS = ("agent.", "call.", "queue.")


def _examples() -> list[Frame]:
    """Every JSON value in the ```json blocks of PROTOCOL.md (several per block, one per line)."""
    decoder = json.JSONDecoder()
    found: list[Frame] = []
    for block in re.findall(r"```json\n(.*?)```", PROTOCOL_MD.read_text(encoding="utf-8"), re.S):
        pos = 0
        while (pos := _skip_space(block, pos)) < len(block):
            value, pos = decoder.raw_decode(block, pos)
            found.append(value)
    return found


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _server_types() -> list[str]:
    types: list[str] = json_schema()["$defs"]["server_frame"]["properties"]["type"]["enum"]
    return types


def _client_types() -> list[str]:
    types: list[str] = json_schema()["$defs"]["client_frame"]["properties"]["type"]["enum"]
    return types


EXAMPLES = _examples()


# --- the schema itself -----------------------------------------------------------------------------


def test_given_schema_file_when_checked_against_the_2020_12_metaschema_then_valid() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert validator_for(schema) is Draft202012Validator
    Draft202012Validator.check_schema(schema)
    Draft202012Validator.check_schema(strict_schema(schema))


def test_given_schema_when_read_then_its_version_is_the_protocol_version() -> None:
    schema = json_schema()
    major, minor = schema["x-protocol-version"].split(".")
    assert (int(major), minor.isdigit()) == (PROTOCOL_VERSION, True)
    assert schema["$defs"]["v"]["const"] == PROTOCOL_VERSION
    assert schema["$id"].endswith(f":{PROTOCOL_VERSION}")


def test_given_schema_when_walked_then_every_object_states_its_additional_properties_policy() -> None:
    """Client frames are closed, server frames open for minor versions; no object is left to chance.

    (``client_frame`` and ``server_frame`` only dispatch on ``type`` to a frame's own definition.)
    """
    defs = json_schema()["$defs"]

    def undecided(node: object, path: str) -> Iterator[str]:
        if isinstance(node, dict):
            if node.get("type") == "object" and "additionalProperties" not in node and "allOf" not in node:
                yield path
            for key, value in node.items():
                yield from undecided(value, f"{path}/{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                yield from undecided(value, f"{path}/{n}")

    assert list(undecided(defs, "#/$defs")) == []
    assert all(defs[t]["additionalProperties"] is False for t in _client_types())
    assert all(defs[t]["additionalProperties"] is True for t in _server_types())


def test_given_schema_when_compared_with_the_parser_models_then_client_frames_match() -> None:
    assert tuple(_client_types()) == CLIENT_FRAME_TYPES
    for model in (AuthFrame, PingFrame, StatusFrame, SyncFrame):
        definition = json_schema()["$defs"][get_args(model.model_fields["type"].annotation)[0]]
        assert set(definition["properties"]) == set(model.model_fields)
        required = {name for name, field in model.model_fields.items() if field.is_required()}
        assert set(definition["required"]) == required


def test_given_frames_in_both_directions_then_their_types_do_not_overlap() -> None:
    assert set(_client_types()).isdisjoint(_server_types())


# --- PROTOCOL.md -----------------------------------------------------------------------------------


def test_given_protocol_md_then_it_has_examples_and_names_the_schema() -> None:
    text = PROTOCOL_MD.read_text(encoding="utf-8")
    assert "protocol.schema.json" in text
    assert len(EXAMPLES) >= len(_client_types()) + len(_server_types())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: str(e.get("type")))
def test_given_an_example_in_protocol_md_when_validated_then_it_matches_the_schema(example: Frame) -> None:
    direction = "client_frame" if example.get("type") in _client_types() else "server_frame"
    assert schema_violations(example, direction) == []
    assert schema_violations(example, "client_frame" if direction == "server_frame" else "server_frame")
    if direction == "client_frame":
        parse_client_frame(json.dumps(example))


def test_given_protocol_md_then_every_frame_type_has_an_example() -> None:
    shown = {e.get("type") for e in EXAMPLES}
    assert set(_client_types()) | set(_server_types()) <= shown
    for kind in (*_client_types(), *_server_types()):
        assert f"`{kind}`" in PROTOCOL_MD.read_text(encoding="utf-8"), f"{kind} is not in the tables"


# --- strictness is real ----------------------------------------------------------------------------


def test_given_an_unnamed_server_field_when_validated_then_only_strict_mode_refuses_it() -> None:
    frame = {"v": 1, "type": "pong", "reply_to": "7", "later": True}
    data = {"queue": "q", "waiting": 0, "available_agents": 0, "at": 1.0, "later": 1}
    nested = {"v": 1, "type": "queue_changed", "data": data}
    for candidate in (frame, nested):
        assert schema_violations(candidate, strict=False) == []
        assert any("later" in p for p in schema_violations(candidate))


@pytest.mark.parametrize(
    ("frame", "where"),
    [
        ({"v": 1, "type": "telepathy"}, "type"),
        ({"type": "pong", "reply_to": None}, "(frame)"),
        ({"v": 2, "type": "pong", "reply_to": None}, "v"),
        ({"v": 1, "type": "resync_needed", "dropped": -1}, "dropped"),
        ({"v": 1, "type": "agent_changed", "data": {"agent_id": "1"}}, "data"),
        ({"v": 1, "type": "offer", "call": {"call_id": "c", "caller": 138}}, "call"),
    ],
)
def test_given_a_broken_server_frame_when_validated_then_the_problem_is_located(
    frame: Frame, where: str
) -> None:
    problems = schema_violations(frame)
    assert problems
    assert any(p.startswith(f"{where}:") or p.startswith(f"{where}/") for p in problems), problems


# --- the parser and the schema agree ---------------------------------------------------------------

JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.text(max_size=5)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=5,
)
AROUND_64 = st.text(max_size=3) | st.text(min_size=63, max_size=66)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "v": st.sampled_from([1, 1.0, 2, 0, True, "1", None]) | JSON_VALUES,
    "type": st.sampled_from([*CLIENT_FRAME_TYPES, "pong", "hello", "", "PING"]) | JSON_VALUES,
    "id": AROUND_64 | st.none() | st.integers(),
    "status": st.sampled_from(["available", "paused", "logged_out", "asleep"]) | JSON_VALUES,
    "reason": AROUND_64 | st.none() | JSON_VALUES,
    "token": st.text(max_size=3) | st.text(min_size=255, max_size=257) | JSON_VALUES,
    "extra": JSON_VALUES,
}
VALID_FRAMES = [
    {"type": "auth", "token": "t0k3n"},
    {"type": "ping"},
    {"v": 1, "type": "sync", "id": "7"},
    {"type": "status", "status": "available"},
    {"v": 1, "type": "status", "status": "paused", "reason": "就餐", "id": "42"},
]


@st.composite
def near_valid_frames(draw: st.DrawFn) -> dict[str, Any]:
    """A valid client frame with up to two fields dropped or replaced."""
    frame = dict(draw(st.sampled_from(VALID_FRAMES)))
    for key in draw(st.lists(st.sampled_from(list(FIELDS)), max_size=2, unique=True)):
        if key in frame and draw(st.booleans()):
            del frame[key]
        else:
            frame[key] = draw(FIELDS[key])
    return frame


FRAMES = near_valid_frames() | st.fixed_dictionaries({}, optional=FIELDS) | JSON_VALUES


def _assert_parser_agrees_with_schema(frame: Any) -> None:
    raw = json.dumps(frame, ensure_ascii=False)
    in_schema = not schema_violations(frame, "client_frame", strict=False)
    refusal: ProtocolError | None = None
    try:
        parse_client_frame(raw)
    except ProtocolError as exc:
        refusal = exc
    if refusal is None:
        assert in_schema, f"parser accepted a frame the schema refuses: {raw}"
    else:
        assert not in_schema, f"parser refused a frame the schema accepts: {raw} ({refusal.details})"
        reply = error_frame(refusal.error_id, str(refusal), refusal.details)
        assert schema_violations(json.loads(json.dumps(reply))) == []


@settings(max_examples=400, deadline=None)
@given(FRAMES)
def test_given_any_client_frame_then_parser_accepts_it_exactly_when_the_schema_does(frame: Any) -> None:
    _assert_parser_agrees_with_schema(frame)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "ping"},
        {"v": 1.0, "type": "ping"},
        {"v": True, "type": "ping"},
        {"v": "1", "type": "ping"},
        {"v": None, "type": "ping"},
        {"type": "ping", "id": "x" * 64},
        {"type": "ping", "id": "x" * 65},
        {"type": "ping", "id": "😀" * 64},
        {"type": "ping", "id": None},
        {"type": "sync", "id": 7},
        {"type": "status", "status": "paused", "reason": "长" * 64},
        {"type": "status", "status": "paused", "reason": "长" * 65},
        {"type": "status", "status": "paused", "reason": None},
        {"type": "status", "status": "PAUSED"},
        {"type": "status", "reason": "就餐"},
        {"type": "ping", "status": "available"},
        {"type": None},
        {},
        [],
        "ping",
    ],
    ids=lambda frame: repr(frame)[:30],
)
def test_given_a_boundary_client_frame_then_parser_and_schema_agree(frame: Any) -> None:
    _assert_parser_agrees_with_schema(frame)


# --- what the publishers put on the bus ------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """One ``*.publish("topic", data)`` call; ``fields`` are the keys of ``data`` when they can be read.

    ``data`` must be a dict literal, or a name bound to one dict literal in the same module (``payload =
    {...}``, possibly handed on as an argument of the same name).
    """

    where: str
    topic: str
    fields: frozenset[str] | None


def _publications() -> list[Publication]:
    found: list[Publication] = []
    for package in PUBLISHING_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ast.parse(path.read_text(encoding="utf-8"))
            dicts = _dicts_bound_once(module)
            for node in ast.walk(module):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "publish"
                    and len(node.args) == 2
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and node.args[0].value.startswith(DESKTOP_TOPICS)
                ):
                    data = node.args[1]
                    data = dicts.get(data.id, data) if isinstance(data, ast.Name) else data
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.append(Publication(where, node.args[0].value, _literal_keys(data)))
    return found


def _dicts_bound_once(module: ast.Module) -> dict[str, ast.Dict]:
    bindings: dict[str, list[ast.expr]] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            bindings.setdefault(node.targets[0].id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            bindings.setdefault(node.target.id, []).append(node.value)
    return {
        name: values[0]
        for name, values in bindings.items()
        if len(values) == 1 and isinstance(values[0], ast.Dict)
    }


def _literal_keys(data: ast.expr) -> frozenset[str] | None:
    if not isinstance(data, ast.Dict):
        return None
    keys = [k.value for k in data.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return frozenset(keys) if len(keys) == len(data.keys) else None


PUBLICATIONS = _publications()


def test_given_the_sources_then_desktop_events_are_found() -> None:
    topics = {p.topic for p in PUBLICATIONS}
    assert {"agent.changed", "call.changed", "queue.changed", "agent.offer", "call.transferred"} <= topics


@pytest.mark.parametrize("publication", PUBLICATIONS, ids=lambda p: f"{p.topic}@{p.where}")
def test_given_an_event_published_towards_desktops_then_the_schema_names_exactly_its_fields(
    publication: Publication,
) -> None:
    """The hub forwards every ``agent.``/``call.``/``queue.`` event (but the offer) to supervisors."""
    defs = json_schema()["$defs"]
    assert publication.fields is not None, f"{publication.where}: publish a dict literal to keep this check"
    if publication.topic == "agent.offer":
        named = set(defs["offered_call"]["properties"]) - {"masked"}
    else:
        kind = publication.topic.replace(".", "_")
        assert kind in _server_types(), f"{publication.where}: no frame type {kind!r} in the schema"
        named = set(defs[kind]["properties"]["data"]["properties"])
    assert set(publication.fields) == named, publication.where


def test_given_every_event_frame_in_the_schema_then_some_code_publishes_it() -> None:
    published = {p.topic.replace(".", "_") for p in PUBLICATIONS}
    with_data = {t for t in _server_types() if "data" in json_schema()["$defs"][t]["properties"]}
    assert with_data <= published, f"schema frames nobody publishes: {sorted(with_data - published)}"
