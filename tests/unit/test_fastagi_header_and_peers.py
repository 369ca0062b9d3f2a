"""FastAgiServer's connections over real sockets: the AGI header and routing, peers that send half a
header, go silent or disconnect, failing handlers, closing the server, and routes it refuses; the test
plays Asterisk's side (tests.unit.fastagi_peer).

Each panoramisk 1.4 defect the server closes has a test that exercises the defect path; the docstring
says what plain panoramisk does there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from panoramisk.fast_agi import Application

from hotline.fastagi.server import AgiSession, FastAgiServer
from tests.unit.fastagi_peer import HEADER, AsteriskSide, Recorder, StartServer, fastagi_servers

pytestmark = pytest.mark.timeout(15)


@pytest.fixture
async def serve() -> AsyncIterator[StartServer]:
    async with fastagi_servers() as start:
        yield start


async def test_session_exposes_headers_and_routes_ignore_slash_and_query(serve: StartServer) -> None:
    route = Recorder()
    server = await serve({"/ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="/ivr?lang=zh"))
    await asyncio.wait_for(route.done.wait(), 3.0)
    session = route.sessions[0]
    assert (session.script, session.channel, session.uniqueid) == (
        "ivr",
        "PJSIP/trunk-00000001",
        "1763000000.7",
    )
    assert session.caller_id == "13800138000"
    assert session.args == ["zh", "night mode"]
    assert session.headers["agi_calleridname"] == "市民"
    assert session.headers["agi_accountcode"] == ""
    assert await peer.rest_until_closed() == b""
    await peer.close()


async def test_half_header_then_silence_does_not_block_other_calls(serve: StartServer) -> None:
    """A client sends half a header and then nothing.

    panoramisk keeps such a connection forever; here it is closed after ``header_timeout`` while a
    well-formed call arriving meanwhile is served at once.
    """
    route = Recorder()
    server = await serve({"ivr": route}, header_timeout=0.5)
    loop = asyncio.get_running_loop()
    half = await AsteriskSide.open(server.port, "agi_network: yes\nagi_channel: PJSIP/x")
    started = loop.time()
    good = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    await asyncio.wait_for(route.done.wait(), 3.0)
    assert loop.time() - started < 0.4
    assert await good.rest_until_closed() == b""
    assert await half.rest_until_closed(within=2.0) == b""
    assert 0.4 < loop.time() - started < 2.0
    await good.close()
    await half.close()


async def test_half_header_then_eof_is_closed_at_once_and_the_loop_keeps_running(serve: StartServer) -> None:
    """A client sends half a header and disconnects (EOF).

    Unpatched panoramisk's ``Application.handler`` loops on ``buffer += await reader.read(100)``
    waiting for ``\\n\\n``; after EOF ``read`` returns ``b""`` without suspending, so the loop spins
    forever and the whole event loop freezes (this test would then hang until pytest-timeout). Here
    EOF is detected and the socket closed long before the 5 s header timeout.
    """
    route = Recorder()
    server = await serve({"ivr": route}, header_timeout=5.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    eof = await AsteriskSide.open(server.port, "agi_network: yes\nagi_channel: PJSIP/x")
    eof.writer.write_eof()
    assert await eof.rest_until_closed(within=2.0) == b""
    assert loop.time() - started < 1.0
    good = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    await asyncio.wait_for(route.done.wait(), 1.0)
    await good.close()
    await eof.close()


async def test_unknown_route_and_failing_handler_close_only_that_socket(serve: StartServer) -> None:
    async def broken(session: AgiSession) -> None:
        raise RuntimeError("handler bug")

    route = Recorder()
    server = await serve({"ivr": route, "broken": broken})
    unknown = await AsteriskSide.open(server.port, HEADER.format(script="nope"))
    assert await unknown.rest_until_closed() == b""
    failing = await AsteriskSide.open(server.port, HEADER.format(script="broken"))
    assert await failing.rest_until_closed() == b""
    good = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    await asyncio.wait_for(route.done.wait(), 3.0)
    for peer in (unknown, failing, good):
        await peer.close()


async def test_close_cancels_running_sessions(serve: StartServer) -> None:
    cancelled = asyncio.Event()

    async def waits(session: AgiSession) -> None:
        try:
            await session.wait_for_digit(-1)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    server = await serve({"ivr": waits}, command_timeout=60.0)
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    assert await peer.expect() == "WAIT FOR DIGIT -1"
    await asyncio.wait_for(server.close(), 2.0)
    assert cancelled.is_set()
    assert await peer.rest_until_closed(within=1.0) == b""
    await peer.close()
    with pytest.raises(ConnectionRefusedError):
        await AsteriskSide.open(server.port, HEADER.format(script="ivr"))


async def test_add_route_refuses_a_plain_function() -> None:
    """Unpatched panoramisk wraps a plain function with ``asyncio.coroutine``, which Python 3.11 removed,
    so ``add_route`` dies with ``AttributeError``. Here it is a clear ``TypeError`` naming the route.
    """

    def plain(session: AgiSession) -> None:
        return None

    server = FastAgiServer(host="127.0.0.1", port=0)
    with pytest.raises(TypeError, match=r"'ivr'.*async"):
        server.add_route("ivr", plain)  # type: ignore[arg-type]
    server.add_route("ivr", Recorder())
    with pytest.raises(ValueError, match="already exists"):
        server.add_route("/ivr", Recorder())
    with pytest.raises(AttributeError):
        Application(loop=asyncio.get_running_loop()).add_route("ivr", plain)
