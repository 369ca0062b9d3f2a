"""Malformed desktop frames get a precise error, never an exception out of the parser."""

from __future__ import annotations

import pytest

from agent_desktop.protocol import PingFrame, ProtocolError, StatusFrame, parse_client_frame


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
        ('{"type":"ping","id":"' + "x" * 70000 + '"}', "frame_too_large"),
    ],
)
def test_given_bad_frame_when_parsed_then_protocol_error(raw: str | bytes, error_id: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_client_frame(raw)
    assert info.value.error_id == error_id
