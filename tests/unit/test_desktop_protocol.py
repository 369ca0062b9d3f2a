"""Malformed desktop frames get a precise error, never an exception out of the parser."""

from __future__ import annotations

import pytest

from agent_desktop.protocol import PingFrame, ProtocolError, StatusFrame, error_frame, parse_client_frame


def test_given_valid_status_frame_when_parsed_then_typed() -> None:
    frame = parse_client_frame('{"v":1,"type":"status","status":"paused","reason":"就餐"}')
    assert isinstance(frame, StatusFrame)
    assert (frame.status, frame.reason) == ("paused", "就餐")


def test_given_ping_without_version_when_parsed_then_accepted() -> None:
    assert isinstance(parse_client_frame(b'{"type":"ping","id":"7"}'), PingFrame)


@pytest.mark.parametrize(
    ("raw", "error_id"),
    [
        ("not json", "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        ("[1,2]", "invalid_frame"),
        ('{"type":"status","status":"asleep"}', "invalid_frame"),
        ('{"type":"launch_missiles"}', "invalid_frame"),
        ('{"type":"ping","extra":1}', "invalid_frame"),
        ('{"v":2,"type":"ping"}', "unsupported_version"),
        ('{"v":true,"type":"ping"}', "unsupported_version"),
        ('{"v":"1","type":"ping"}', "unsupported_version"),
        ('{"type":"ping","id":"' + "x" * 70000 + '"}', "frame_too_large"),
    ],
)
def test_given_bad_frame_when_parsed_then_protocol_error(raw: str | bytes, error_id: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_client_frame(raw)
    assert info.value.error_id == error_id


def test_given_version_written_as_a_float_when_parsed_then_accepted() -> None:
    assert isinstance(parse_client_frame('{"v":1.0,"type":"ping"}'), PingFrame)


@pytest.mark.parametrize(
    ("raw", "loc", "says"),
    [
        ('{"type":"status","status":"asleep"}', ["status"], "'available', 'paused' or 'logged_out'"),
        ('{"type":"status"}', ["status"], "required"),
        ('{"type":"ping","extra":1}', ["extra"], "not permitted"),
        (
            '{"type":"launch_missiles"}',
            ["type"],
            'unknown frame type "launch_missiles"; expected one of auth, ping',
        ),
        ('{"type":null}', ["type"], "unknown frame type null"),
        ('{"v":1}', ["type"], "a frame needs a type: one of auth, ping, status, sync"),
        ('{"type":"status","status":"paused","reason":"' + "长" * 65 + '"}', ["reason"], "at most 64"),
    ],
)
def test_given_invalid_frame_when_parsed_then_each_error_names_the_field_inside_the_frame(
    raw: str, loc: list[str], says: str
) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_client_frame(raw)
    assert info.value.error_id == "invalid_frame"
    errors = info.value.details["errors"]
    assert [e["loc"] for e in errors] == [loc]
    assert says in errors[0]["msg"]


def test_given_rejected_frame_when_reported_then_error_frame_keeps_its_shape() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_client_frame('{"type":"status","status":"asleep","id":"9"}')
    frame = error_frame(info.value.error_id, str(info.value), info.value.details, reply_to="9")
    assert frame == {
        "v": 1,
        "type": "error",
        "error_id": "invalid_frame",
        "message": "frame does not match the protocol",
        "details": {
            "errors": [{"loc": ["status"], "msg": "Input should be 'available', 'paused' or 'logged_out'"}]
        },
        "reply_to": "9",
    }
