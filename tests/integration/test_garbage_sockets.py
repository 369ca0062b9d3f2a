"""Garbage through real sockets into a running centre: as the AMI server its client talks to, and as
FastAGI peers of its FastAGI server. The centre is built as hotline/app.py builds it; its AMI peer is a
real TCP server in this test (tests/unit/ami_fake_server.py) that greets, logs it in, and then sends
random bytes, truncated frames, absurd events and enormous headers, or goes silent (half-open).

After the garbage: the centre's AMI link is up (reconnected where it had to be), answers an action and
still acts on a valid event; the FastAGI server closes every broken session, serves a valid call flow
session to its end, and the HTTP server answers; the memory Python holds grew by less than
``MEMORY_BOUND`` while several times that much garbage went in.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest

from tests.integration.garbage import agi_garbage, ami_garbage, seed
from tests.integration.garbage_rig import MEMORY_BOUND, Rig, python_memory, rig
from tests.unit.ami_fake_server import FakeAmi

pytestmark = pytest.mark.timeout(240)

__all__ = ["rig"]

UNTERMINATED = 6 * 1024 * 1024
"""More than the AMI connection buffers without a frame end (it must drop the connection instead)."""
FASTAGI_CLOSE_S = 45.0
"""Within this a broken FastAGI session must be closed (the server gives a header 5 s and a command's
reply 30 s: a peer that stops in the middle of a reply is waited for that long)."""
VALID_HEADER = (
    "agi_network: yes\nagi_network_script: ivr\nagi_request: agi://127.0.0.1/ivr\n"
    "agi_channel: PJSIP/trunk-00000001\nagi_language: zh\nagi_type: PJSIP\nagi_uniqueid: 1763000000.7\n"
    "agi_version: 22.10.0\nagi_callerid: 13800138000\nagi_calleridname: 市民\n"
    "agi_context: hotline-inbound\nagi_extension: 12345\nagi_priority: 3\n\n"
)


async def test_ami_garbage_leaves_the_link_up_and_valid_events_working(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(seed())
    dispatched: list[str] = []
    rig.centre.ami.on_event("*", lambda event: dispatched.append(event.name))
    await rig.ami_usable()
    with python_memory() as growth:
        for _ in range(400):
            await rig.ami.push_bytes(ami_garbage(rng) + rng.choice([b"", b"\r\n\r\n"]))
        await rig.ami.push_bytes(b"Event: Newchannel\r\nChannel: " + b"x" * 1_000_000 + b"\r\n\r\n")
        await rig.ami_usable()
        for _ in range(3):
            await rig.relogin_after(b"Event: Hangup\r\nCause: " + b"y" * UNTERMINATED)
    assert growth[0] < MEMORY_BOUND
    resyncs = len(rig.ami.frames_for("CoreShowChannels"))
    await rig.ami.push_bytes(b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n")
    await FakeAmi.wait_until(lambda: len(rig.ami.frames_for("CoreShowChannels")) > resyncs, within=10)
    assert await rig.healthz() == 200
    assert len(dispatched) > 100
    assert not [r for r in caplog.records if r.exc_info and r.name != "hotline.ami.connection"]


async def test_ami_server_gone_silent_is_left_and_logged_into_again(rig: Rig) -> None:
    await rig.ami_usable()
    logins = rig.ami.logins
    rig.ami.freeze()
    await FakeAmi.wait_until(lambda: rig.ami.logins > logins, within=60)
    await rig.ami_usable()
    assert await rig.healthz() == 200


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Read until the server closes the socket; False if it is still open after ``FASTAGI_CLOSE_S``."""
    try:
        async with asyncio.timeout(FASTAGI_CLOSE_S):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


async def _send_and_wait_close(port: int, raw: bytes, *, half_close: bool) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        with contextlib.suppress(ConnectionError):
            writer.write(raw)
            await writer.drain()
            if half_close:
                writer.write_eof()
        return await _closed_by_server(reader)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _valid_ivr_session(port: int) -> list[str]:
    """Play Asterisk for one call through the ``ivr`` route: every command answered ``200 result=0``
    (no key pressed) until the server ends the session; the commands it sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(VALID_HEADER.encode("utf-8"))
    commands: list[str] = []
    try:
        async with asyncio.timeout(60):
            while line := await reader.readline():
                commands.append(line.decode("utf-8", "replace").strip())
                writer.write(b"200 result=0\n")
                await writer.drain()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return commands


async def _garbage_replies_session(port: int, rng: random.Random) -> bool:
    """A session with a valid header whose every command gets a garbage reply; closed by the server?"""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(VALID_HEADER.encode("utf-8"))
    try:
        async with asyncio.timeout(FASTAGI_CLOSE_S):
            while await reader.readline():
                writer.write(rng.choice([b"999 what\n", b"\x00\xff\n", b"200\n", b"520-\n", b"x" * 70000]))
                await writer.drain()
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return True


async def test_fastagi_garbage_closes_each_session_and_valid_calls_still_run(rig: Rig) -> None:
    rng = random.Random(seed())
    port = rig.centre.settings.fastagi_port
    silent = [await asyncio.open_connection("127.0.0.1", port) for _ in range(30)]
    try:
        with python_memory() as growth:
            sent = [agi_garbage(rng) for _ in range(60)]
            sent += [b"agi_network_script: ivr\nagi_x: " + b"z" * 2_000_000 + b"\n\n"]
            sent += [b"".join(b"agi_%d: v\n" % i for i in range(50_000)) + b"\n"]
            closed = await asyncio.gather(
                *(_send_and_wait_close(port, raw, half_close=i % 2 == 0) for i, raw in enumerate(sent)),
                *(_garbage_replies_session(port, random.Random(rng.random())) for _ in range(5)),
                *(_closed_by_server(reader) for reader, _ in silent),
            )
    finally:
        for _, writer in silent:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
    assert all(closed), [i for i, c in enumerate(closed) if not c]
    assert growth[0] < MEMORY_BOUND
    commands = await _valid_ivr_session(port)
    assert commands[-1].startswith('EXEC MSet "'), commands
    assert commands[-1].endswith(',HOTLINE_ROUTE=acd"'), commands
    assert await rig.healthz() == 200
