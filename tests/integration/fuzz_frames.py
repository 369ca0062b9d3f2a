"""Hypothesis strategies for hostile desktop websocket frames, from agent_desktop/protocol.schema.json.

Each client frame type in the schema gives valid frames (its properties' ``const``, ``enum``, ``type`` and
``maxLength``), which are then mutated: an unknown field, a field of the wrong type or size, a missing
field. Beside those come raw texts no schema describes: numbers too long to convert, deep nesting,
``NaN``, lone surrogates, duplicate keys, frames over the size limit, non-JSON text and binary frames.
The schema itself is the judge of what the server must accept (:func:`schema_accepts`).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from agent_desktop.protocol import MAX_FRAME_BYTES, json_schema

Frame = str | bytes


def _defs() -> dict[str, Any]:
    defs: dict[str, Any] = json_schema()["$defs"]
    return defs


def client_frame_types() -> list[str]:
    """The frame types a desktop may send, as the schema lists them."""
    types: list[str] = _defs()["client_frame"]["properties"]["type"]["enum"]
    return types


def _validator(definition: str) -> Draft202012Validator:
    return Draft202012Validator({"$defs": _defs(), "$ref": f"#/$defs/{definition}"})


CLIENT = _validator("client_frame")
SERVER = _validator("server_frame")


def schema_accepts(raw: Frame) -> bool:
    """Whether the schema calls ``raw`` a valid client frame (a JSON text within the size limit; the
    server reads a binary frame holding UTF-8 JSON as that text)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return False
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        return False
    try:
        data = json.loads(raw, parse_constant=_reject)
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return False
    return CLIENT.is_valid(data)


def _reject(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _resolve(prop: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    if isinstance(ref, str):
        return _resolve(_defs()[ref.removeprefix("#/$defs/")])
    return prop


def _value(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    prop = _resolve(prop)
    if "const" in prop:
        return st.just(prop["const"])
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    kinds = prop.get("type", "string")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    options: list[st.SearchStrategy[Any]] = []
    for kind in kinds:
        if kind == "string":
            options.append(st.text(min_size=prop.get("minLength", 0), max_size=prop.get("maxLength", 80)))
        elif kind == "null":
            options.append(st.none())
        elif kind == "integer":
            options.append(st.integers(prop.get("minimum"), prop.get("maximum")))
        elif kind == "boolean":
            options.append(st.booleans())
    return st.one_of(options) if options else json_values()


def valid_frame(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """Frames of type ``kind`` that match the schema: required fields and any subset of optional ones."""
    definition = _defs()[kind]
    props: dict[str, Any] = definition["properties"]
    required = set(definition.get("required", ()))
    return st.fixed_dictionaries(
        {name: _value(p) for name, p in props.items() if name in required},
        optional={name: _value(p) for name, p in props.items() if name not in required},
    )


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value, with the awkward ones likely: huge integers, non-finite floats, nesting."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**30, max_value=10**60),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=200),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=12,
    )


@st.composite
def mutated_frame(draw: st.DrawFn) -> dict[str, Any]:
    """A valid frame with one field added, retyped or removed."""
    frame = dict(draw(valid_frame(draw(st.sampled_from(client_frame_types())))))
    how = draw(st.sampled_from(["add", "retype", "drop", "long"]))
    if how == "add":
        frame[draw(st.text(min_size=1, max_size=20))] = draw(json_values())
    elif how == "retype":
        frame[draw(st.sampled_from(sorted(frame)))] = draw(json_values())
    elif how == "drop":
        frame.pop(draw(st.sampled_from(sorted(frame))))
    else:
        frame[draw(st.sampled_from(sorted(frame)))] = "字" * draw(st.integers(60, 3000))
    return frame


def _nested(depth: int) -> str:
    return '{"type": "ping", "id": ' + "[" * depth + "]" * depth + "}"


RAW_FRAMES: dict[str, Frame] = {
    "id_of_5000_digits": '{"type": "ping", "id": ' + "9" * 5000 + "}",
    "v_of_5000_digits": '{"type": "ping", "v": ' + "1" * 5000 + "}",
    "reason_overflowing_float": '{"type": "status", "status": "paused", "reason": 1e999999}',
    "v_nan": '{"type": "ping", "v": NaN}',
    "v_infinity": '{"type": "ping", "v": Infinity}',
    "lone_surrogate": '{"type": "ping", "id": "\\ud800"}',
    "duplicate_type": '{"type": "ping", "type": "status", "status": "available"}',
    "v_true": '{"type": "ping", "v": true}',
    "v_float_one": '{"type": "ping", "v": 1.0}',
    "nested_100": _nested(100),
    "nested_5000": _nested(5000),
    "nested_200000": _nested(200000),
    "open_brackets_30000": "[" * 30000,
    "over_size_limit": '{"type": "ping", "id": "' + "x" * (MAX_FRAME_BYTES + 1) + '"}',
    "empty": "",
    "null": "null",
    "empty_array": "[]",
    "bare_string": '"ping"',
    "not_json": "ping",
    "binary_garbage": b"\xff\xfe\x00garbage",
    "binary_json": b'{"type": "ping"}',
    "binary_all_bytes": bytes(range(256)),
}
"""Texts (and binary frames) that no schema-driven generator produces."""


def generated_frames() -> st.SearchStrategy[Frame]:
    """Frames from the schema (valid and mutated), any JSON value, any text, any bytes, as sent."""

    def dumps(frame: Any) -> str:
        return json.dumps(frame, ensure_ascii=False)

    kinds: list[st.SearchStrategy[Frame]] = [
        st.sampled_from(client_frame_types()).flatmap(valid_frame).map(dumps),
        mutated_frame().map(dumps),
        json_values().map(dumps),
        st.text(max_size=300),
        st.binary(max_size=300),
    ]
    return st.one_of(kinds)
