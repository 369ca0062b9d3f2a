"""FastAgiServer over real sockets, with the test playing Asterisk's side of the FastAGI protocol.

Each panoramisk 1.4 defect the server closes has a test that exercises the defect path; the docstring
says what plain panoramisk does there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from panoramisk.fast_agi import Application

from hotline.fastagi.protocol import AgiResult, parse_result
from hotline.fastagi.server import AgiError, AgiHangup, AgiSession, FastAgiServer

pytestmark = pytest.mark.timeout(15)

HEADER = (
    "agi_network: yes\nagi_network_script: {script}\nagi_request: agi://127.0.0.1/{script}\n"
    "agi_channel: PJSIP/trunk-00000001\nagi_language: zh\nagi_type: PJSIP\nagi_uniqueid: 1763000000.7\n"
    "agi_version: 22.10.0\nagi_callerid: 13800138000\nagi_calleridname: 市民\nagi_context: hotline-inbound\n"
    "agi_extension: 12345\nagi_priority: 3\nagi_enhanced: 0.0\nagi_accountcode: \nagi_threadid: 140\n"
    "agi_arg_1: zh\nagi_arg_2: night mode\n\n"
)


class AsteriskSide:
    """The Asterisk end of one FastAGI connection: sends the header, reads commands, replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, raw: str) -> AsteriskSide:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw.encode("utf-8"))
        await writer.drain()
        return cls(reader, writer)

    async def expect(self) -> str:
        line = await asyncio.wait_for(self.reader.readline(), 3.0)
        return line.decode("utf-8").rstrip("\n")

    async def reply(self, *lines: str) -> None:
        self.writer.write("".join(f"{line}\n" for line in lines).encode("utf-8"))
        await self.writer.drain()

    async def rest_until_closed(self, within: float = 3.0) -> bytes | None:
        """What the server still sends before closing the socket; None if it stays open ``within`` s."""
        try:
            return await asyncio.wait_for(self.reader.read(), within)
        except TimeoutError:
            return None

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


Handler = Callable[[AgiSession], Awaitable[None]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[FastAgiServer]]]:
    servers: list[FastAgiServer] = []

    async def start(
        routes: dict[str, Handler], *, header_timeout: float = 5.0, command_timeout: float = 30.0
    ) -> FastAgiServer:
        server = FastAgiServer(
            host="127.0.0.1", port=0, header_timeout=header_timeout, command_timeout=command_timeout
        )
        for name, handler in routes.items():
            server.add_route(name, handler)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


class Recorder:
    """A route that runs ``body`` and keeps what happened."""

    def __init__(self, body: Callable[[AgiSession], Awaitable[object]] | None = None) -> None:
        self.body = body
        self.sessions: list[AgiSession] = []
        self.outcomes: list[object] = []
        self.done = asyncio.Event()

    async def __call__(self, session: AgiSession) -> None:
        self.sessions.append(session)
        try:
            self.outcomes.append(await self.body(session) if self.body else None)
        except (AgiError, AgiHangup) as exc:
            self.outcomes.append(exc)
        finally:
            self.done.set()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("200 result=1", AgiResult(200, 1, "", "1")),
        ("200 result=0 endpos=1234", AgiResult(200, 0, "", "0", 1234)),
        ("200 result=1 (timeout)", AgiResult(200, 1, "timeout", "1")),
        ("200 result=-1", AgiResult(200, -1, "", "-1")),
        ("200 result= (timeout)", AgiResult(200, 0, "timeout", "")),
        ("200 result=007 (timeout)", AgiResult(200, 7, "timeout", "007")),
        ("200 result=1 (a (nested) value)", AgiResult(200, 1, "a (nested) value", "1")),
        ("200 result=0 (dtmf) endpos=880", AgiResult(200, 0, "dtmf", "0", 880)),
    ],
)
def test_parse_success_replies(line: str, expected: AgiResult) -> None:
    assert parse_result(line) == expected


def test_parse_error_replies() -> None:
    with pytest.raises(AgiError) as caught:
        parse_result("510 Invalid or unknown command")
    assert caught.value.error_id == "agi.invalid_command"
    with pytest.raises(AgiHangup):
        parse_result("511 Command Not Permitted on a dead channel or intercept routine")
    with pytest.raises(AgiError) as caught:
        parse_result("garbage")
    assert caught.value.error_id == "agi.unexpected_reply"


async def test_session_exposes_headers_and_routes_ignore_slash_and_query(
    serve: Callable[..., Awaitable[FastAgiServer]],
) -> None:
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


async def test_commands_are_quoted_and_replies_typed(serve: Callable[..., Awaitable[FastAgiServer]]) -> None:
    async def body(session: AgiSession) -> object:
        await session.answer()
        digit = await session.stream_file("hotline/welcome", escape_digits="123")
        digits = await session.get_data("hotline/menu", timeout_ms=5000, max_digits=4)
        nothing = await session.get_data("hotline/menu", timeout_ms=5000, max_digits=1)
        await session.set_variable("HOTLINE_NOTE", 'says "hi" \\ bye')
        value = await session.get_variable("CALLERID(name)")
        unset = await session.get_variable("NOPE")
        await session.verbose("ivr start", level=3)
        waited = await session.wait_for_digit(2000)
        ran = await session.exec("Playback", "beep,noanswer")
        return (digit, digits, nothing, value, unset, waited, ran.result)

    route = Recorder(body)
    server = await serve({"ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    script = [
        ("ANSWER", ["200 result=0"]),
        ('STREAM FILE "hotline/welcome" "123"', ["200 result=50 endpos=8000"]),
        ('GET DATA "hotline/menu" 5000 4', ["200 result=0071 (timeout)"]),
        ('GET DATA "hotline/menu" 5000 1', ["200 result= (timeout)"]),
        ('SET VARIABLE HOTLINE_NOTE "says \\"hi\\" \\\\ bye"', ["200 result=1"]),
        ("GET VARIABLE CALLERID(name)", ["200 result=1 (市民 (张))"]),
        ("GET VARIABLE NOPE", ["200 result=0"]),
        ('VERBOSE "ivr start" 3', ["200 result=1"]),
        ("WAIT FOR DIGIT 2000", ["200 result=0"]),
        ('EXEC Playback "beep,noanswer"', ["100 result=0 Trying...", "200 result=0"]),
    ]
    for command, replies in script:
        assert await peer.expect() == command
        await peer.reply(*replies)
    await asyncio.wait_for(route.done.wait(), 3.0)
    assert route.outcomes == [("2", "0071", "", "市民 (张)", None, "", 0)]
    await peer.close()


async def test_several_variables_go_in_one_mset_unless_a_value_is_not_plain(
    serve: Callable[..., Awaitable[FastAgiServer]],
) -> None:
    async def body(session: AgiSession) -> object:
        await session.set_variables({"HOTLINE_TAGS": "a,b", "HOTLINE_AGENT": "", "HOTLINE_ROUTE": "acd"})
        await session.set_variables({"HOTLINE_NOTE": "two words", "HOTLINE_ROUTE": "acd"})
        await session.set_variables({"HOTLINE_Q": "general", "HOTLINE_ROUTE": "acd"})
        return None

    route = Recorder(body)
    server = await serve({"ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    script = [
        ('EXEC MSet "HOTLINE_TAGS=a\\\\,b,HOTLINE_AGENT=,HOTLINE_ROUTE=acd"', ["200 result=0"]),
        ('SET VARIABLE HOTLINE_NOTE "two words"', ["200 result=1"]),
        ('SET VARIABLE HOTLINE_ROUTE "acd"', ["200 result=1"]),
        ('EXEC MSet "HOTLINE_Q=general,HOTLINE_ROUTE=acd"', ["200 result=-2"]),
        ('SET VARIABLE HOTLINE_Q "general"', ["200 result=1"]),
        ('SET VARIABLE HOTLINE_ROUTE "acd"', ["200 result=1"]),
    ]
    for command, replies in script:
        assert await peer.expect() == command
        await peer.reply(*replies)
    await asyncio.wait_for(route.done.wait(), 3.0)
    await peer.close()


async def test_510_and_multiline_520_raise_and_the_session_goes_on(
    serve: Callable[..., Awaitable[FastAgiServer]],
) -> None:
    errors: list[AgiError] = []

    async def body(session: AgiSession) -> object:
        for line in ("FROB", "STREAM FILE"):
            try:
                await session.command(line)
            except AgiError as exc:
                errors.append(exc)
        return await session.get_variable("X")

    route = Recorder(body)
    server = await serve({"ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    assert await peer.expect() == "FROB"
    await peer.reply("510 Invalid or unknown command")
    assert await peer.expect() == "STREAM FILE"
    await peer.reply(
        "520-Invalid command syntax.  Proper usage follows:",
        " Usage: STREAM FILE <filename> <escape_digits> [<sample offset>]",
        "520 End of proper usage.",
    )
    assert await peer.expect() == "GET VARIABLE X"
    await peer.reply("200 result=1 (ok)")
    await asyncio.wait_for(route.done.wait(), 3.0)
    assert [e.error_id for e in errors] == ["agi.invalid_command", "agi.usage"]
    assert "Usage: STREAM FILE" in str(errors[1].details["usage"])
    assert route.outcomes == ["ok"]
    await peer.close()


async def test_hangup_line_then_minus_one_raises_hangup_and_dead_channel_commands_still_work(
    serve: Callable[..., Awaitable[FastAgiServer]],
) -> None:
    seen: list[object] = []

    async def body(session: AgiSession) -> object:
        try:
            await session.stream_file("hotline/welcome", "12")
        except AgiHangup:
            seen.append("hangup")
        seen.append(await session.get_variable("HOTLINE_QUEUE"))
        await session.answer()
        return "answered"

    route = Recorder(body)
    server = await serve({"ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    await peer.expect()
    await peer.reply("HANGUP", "200 result=-1 endpos=1200")
    assert await peer.expect() == "GET VARIABLE HOTLINE_QUEUE"
    await peer.reply("200 result=1 (general)")
    assert await peer.expect() == "ANSWER"
    await peer.reply("511 Command Not Permitted on a dead channel or intercept routine")
    await asyncio.wait_for(route.done.wait(), 3.0)
    assert seen == ["hangup", "general"]
    assert isinstance(route.outcomes[0], AgiHangup)
    await peer.close()


async def test_minus_one_without_hangup_is_a_command_failure(
    serve: Callable[..., Awaitable[FastAgiServer]],
) -> None:
    route = Recorder(lambda session: session.stream_file("missing-prompt"))
    server = await serve({"ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    await peer.expect()
    await peer.reply("200 result=-1 endpos=0")
    await asyncio.wait_for(route.done.wait(), 3.0)
    assert isinstance(route.outcomes[0], AgiError)
    assert route.outcomes[0].error_id == "agi.command_failed"
    await peer.close()


async def test_socket_closed_mid_command_is_a_hangup(serve: Callable[..., Awaitable[FastAgiServer]]) -> None:
    route = Recorder(lambda session: session.answer())
    server = await serve({"ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    await peer.expect()
    await peer.close()
    await asyncio.wait_for(route.done.wait(), 3.0)
    assert isinstance(route.outcomes[0], AgiHangup)


async def test_slow_reply_is_a_command_timeout(serve: Callable[..., Awaitable[FastAgiServer]]) -> None:
    route = Recorder(lambda session: session.command("ANSWER", timeout=0.2))
    server = await serve({"ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    await asyncio.wait_for(route.done.wait(), 3.0)
    assert isinstance(route.outcomes[0], AgiError)
    assert route.outcomes[0].error_id == "agi.command_timeout"
    assert await peer.rest_until_closed() == b"ANSWER\n"
    await peer.close()


async def test_half_header_then_silence_does_not_block_other_calls(
    serve: Callable[..., Awaitable[FastAgiServer]],
) -> None:
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


async def test_half_header_then_eof_is_closed_at_once_and_the_loop_keeps_running(
    serve: Callable[..., Awaitable[FastAgiServer]],
) -> None:
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


async def test_unknown_route_and_failing_handler_close_only_that_socket(
    serve: Callable[..., Awaitable[FastAgiServer]],
) -> None:
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


async def test_close_cancels_running_sessions(serve: Callable[..., Awaitable[FastAgiServer]]) -> None:
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
