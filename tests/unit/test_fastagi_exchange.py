"""FastAgiServer's exchange with Asterisk over real sockets: commands quoted as Asterisk reads them,
replies parsed and typed (errors, multi-line usage, hang-up, failure, timeout), the test playing
Asterisk's side of the FastAGI protocol (tests.unit.fastagi_peer)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hotline.fastagi.protocol import AgiResult, parse_result
from hotline.fastagi.server import AgiError, AgiHangup, AgiSession
from tests.unit.fastagi_peer import HEADER, AsteriskSide, Recorder, StartServer, fastagi_servers

pytestmark = pytest.mark.timeout(15)


@pytest.fixture
async def serve() -> AsyncIterator[StartServer]:
    async with fastagi_servers() as start:
        yield start


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


async def test_commands_are_quoted_and_replies_typed(serve: StartServer) -> None:
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


async def test_several_variables_go_in_one_mset_unless_a_value_is_not_plain(serve: StartServer) -> None:
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


async def test_510_and_multiline_520_raise_and_the_session_goes_on(serve: StartServer) -> None:
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
    serve: StartServer,
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


async def test_minus_one_without_hangup_is_a_command_failure(serve: StartServer) -> None:
    route = Recorder(lambda session: session.stream_file("missing-prompt"))
    server = await serve({"ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    await peer.expect()
    await peer.reply("200 result=-1 endpos=0")
    await asyncio.wait_for(route.done.wait(), 3.0)
    assert isinstance(route.outcomes[0], AgiError)
    assert route.outcomes[0].error_id == "agi.command_failed"
    await peer.close()


async def test_socket_closed_mid_command_is_a_hangup(serve: StartServer) -> None:
    route = Recorder(lambda session: session.answer())
    server = await serve({"ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    await peer.expect()
    await peer.close()
    await asyncio.wait_for(route.done.wait(), 3.0)
    assert isinstance(route.outcomes[0], AgiHangup)


async def test_slow_reply_is_a_command_timeout(serve: StartServer) -> None:
    route = Recorder(lambda session: session.command("ANSWER", timeout=0.2))
    server = await serve({"ivr": route})
    peer = await AsteriskSide.open(server.port, HEADER.format(script="ivr"))
    await asyncio.wait_for(route.done.wait(), 3.0)
    assert isinstance(route.outcomes[0], AgiError)
    assert route.outcomes[0].error_id == "agi.command_timeout"
    assert await peer.rest_until_closed() == b"ANSWER\n"
    await peer.close()
