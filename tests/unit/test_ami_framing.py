"""AMI framing: a large event in small TCP segments costs linear work; headers are kept as sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hotline.ami.client import AmiClient, AmiEvent
from hotline.ami.connection import AmiConnection
from hotline.ami.framing import FrameBuffer
from tests.unit.ami_fake_server import FakeAmi

pytestmark = pytest.mark.timeout(30)

SEGMENT = 1460
BIG_VALUE = "x" * (2 * 1024 * 1024)


def _big_event() -> bytes:
    return f"Event: UserEvent\r\nUserEvent: Big\r\nPayload: {BIG_VALUE}\r\nTail: end\r\n\r\n".encode()


def test_given_a_2_mib_event_in_1460_byte_segments_when_fed_then_each_byte_is_searched_about_once() -> None:
    received: list[AmiEvent] = []
    conn = AmiConnection(lambda event, _follows_login: received.append(event))
    raw = b"Asterisk Call Manager/11.0.0\r\n" + _big_event()

    for start in range(0, len(raw), SEGMENT):
        conn.data_received(raw[start : start + SEGMENT])

    assert [e.get("Tail") for e in received] == ["end"]
    assert len(received[0]["Payload"]) == len(BIG_VALUE)
    assert conn._buffer.scanned <= 2 * len(raw)


def test_given_frames_split_inside_their_terminator_when_fed_bytewise_then_all_frames_come_out() -> None:
    buffer = FrameBuffer()
    out: list[bytes] = []
    stream = b"Event: A\r\n\r\nEvent: B\r\nX: 1\r\n\r\nEvent: C"

    for byte in stream:
        buffer.feed(bytes([byte]))
        out.extend(buffer.frames())

    assert out == [b"Event: A", b"Event: B\r\nX: 1"]
    assert bytes(buffer.data) == b"Event: C"
    assert buffer.scanned <= 4 * len(stream)  # at most the 3 bytes before each new byte again


@pytest.fixture
async def client() -> AsyncIterator[tuple[FakeAmi, AmiClient, list[AmiEvent]]]:
    server = FakeAmi()
    await server.start()
    ami = AmiClient(host="127.0.0.1", port=server.port, username="hotline", secret=server.secret)
    events: list[AmiEvent] = []
    ami.on_event("UserEvent", events.append)
    await ami.start(connect_timeout=3.0)
    yield server, ami, events
    await ami.close()
    await server.stop()


async def test_given_a_real_socket_when_a_2_mib_event_arrives_in_small_writes_then_it_is_delivered_whole(
    client: tuple[FakeAmi, AmiClient, list[AmiEvent]],
) -> None:
    server, ami, events = client
    raw = _big_event().decode()

    for start in range(0, len(raw), SEGMENT):
        await server.push(raw[start : start + SEGMENT])
    await server.push("Event: UserEvent\r\nUserEvent: After\r\n\r\n")
    await FakeAmi.wait_until(lambda: len(events) == 2)

    assert [e["UserEvent"] for e in events] == ["Big", "After"]
    assert events[0]["Tail"] == "end"
    assert ami.connected


async def test_given_an_event_whose_last_header_is_empty_when_received_then_the_header_is_kept(
    client: tuple[FakeAmi, AmiClient, list[AmiEvent]],
) -> None:
    server, _ami, events = client

    await server.push("Event: UserEvent\r\nUserEvent: HotlineQueued\r\nTargetAgent: \r\n\r\n")
    await server.push("Event: UserEvent\r\nUserEvent: Bare\r\nTags:\r\n\r\n")
    await FakeAmi.wait_until(lambda: len(events) == 2)

    assert "TargetAgent" in events[0]
    assert events[0]["TargetAgent"] == ""
    assert events[1]["Tags"] == ""
