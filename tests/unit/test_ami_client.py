"""AmiClient against a real TCP peer (tests/unit/ami_fake_server.py) replaying Asterisk transcripts.

Each panoramisk 1.4 defect the adapter closes has a test that exercises the defect path; the docstring
says what plain panoramisk does there.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

import hotline.ami
from hotline.ami.client import AmiClient, AmiError, AmiEvent, AmiNotConnected
from hotline.ami.messages import parse_frame
from tests.unit.ami_fake_server import FakeAmi, frame_get, frame_get_all

pytestmark = pytest.mark.timeout(15)

ClientFactory = Callable[..., Awaitable[AmiClient]]


@pytest.fixture
async def ami_server() -> AsyncIterator[FakeAmi]:
    server = FakeAmi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make_client(ami_server: FakeAmi) -> AsyncIterator[ClientFactory]:
    clients: list[AmiClient] = []

    async def make(start: bool = True, **overrides: float | str) -> AmiClient:
        options: dict[str, float | str] = {
            "ping_interval": 5.0,
            "ping_timeout": 1.0,
            "reconnect_delay": 0.05,
            "action_timeout": 2.0,
        }
        options.update(overrides)
        client = AmiClient(
            host="127.0.0.1",
            port=ami_server.port,
            username="hotline",
            secret=str(options.pop("secret", ami_server.secret)),
            ping_interval=float(options["ping_interval"]),
            ping_timeout=float(options["ping_timeout"]),
            reconnect_delay=float(options["reconnect_delay"]),
            action_timeout=float(options["action_timeout"]),
        )
        clients.append(client)
        if start:
            await client.start(connect_timeout=3.0)
        return client

    yield make
    for client in clients:
        await client.close()


class Counter:
    """An ``on_connected`` callback that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1


async def test_given_server_when_started_then_logged_in_and_actions_answered(
    ami_server: FakeAmi, make_client: ClientFactory
) -> None:
    client = await make_client()
    response = await client.send_action({"Action": "DBPut", "Family": "hotline", "Key": "k", "Val": "v"})
    assert client.connected
    assert response.success
    assert response.message == "Updated database successfully"
    assert response["message"] == response["Message"]
    login = ami_server.frames_for("Login")[0]
    assert (frame_get(login, "Username"), frame_get(login, "Events")) == ("hotline", "on")


async def test_when_response_is_error_then_ami_error_with_stable_id(make_client: ClientFactory) -> None:
    client = await make_client()
    with pytest.raises(AmiError) as caught:
        await client.send_action({"Action": "Hangup", "Channel": "PJSIP/1001-00000009"})
    assert caught.value.error_id == "ami.action_failed"
    assert caught.value.details["action"] == "Hangup"
    assert client.connected


async def test_when_list_action_then_events_until_complete(make_client: ClientFactory) -> None:
    client = await make_client()
    events = await client.send_action_list(
        {"Action": "CoreShowChannels"}, complete_event="CoreShowChannelsComplete"
    )
    assert [e.name for e in events] == ["CoreShowChannel", "CoreShowChannel"]
    assert [e["Uniqueid"] for e in events] == ["1763000000.1", "1763000000.0"]


async def test_when_no_reply_then_action_timeout_error_and_connection_kept(
    ami_server: FakeAmi, make_client: ClientFactory
) -> None:
    ami_server.transcripts["dbget"] = ""
    client = await make_client()
    with pytest.raises(AmiError) as caught:
        await client.send_action({"Action": "DBGet", "Family": "f", "Key": "k"}, timeout=0.2)
    assert caught.value.error_id == "ami.action_timeout"
    assert (await client.send_action({"Action": "Ping"})).success


async def test_originate_always_async_and_each_variable_is_its_own_header(
    ami_server: FakeAmi, make_client: ClientFactory
) -> None:
    client = await make_client()
    seen: list[AmiEvent] = []
    client.on_event("OriginateResponse", seen.append)
    action_id = await client.originate(
        channel="PJSIP/1001",
        application="Bridge",
        data="PJSIP/trunk-0001,F(hotline-after^s^1)",
        caller_id='"12345 13800138000" <13800138000>',
        channel_id="leg-1",
        other_channel_id="leg-1-2",
        variables={"HOTLINE_CALL_ID": "c-1", "HOTLINE_AGENT_ID": "a-7", "NOTE": "x,y (z)"},
        timeout_ms=20000,
    )
    frame = ami_server.frames_for("Originate")[0]
    assert frame_get(frame, "Async") == "true"
    assert frame_get(frame, "ActionID") == action_id
    assert frame_get_all(frame, "Variable") == [
        "HOTLINE_CALL_ID=c-1",
        "HOTLINE_AGENT_ID=a-7",
        "NOTE=x\\,y \\(z\\)",
    ]
    assert frame_get(frame, "Data") == "PJSIP/trunk-0001,F(hotline-after^s^1)"
    assert (frame_get(frame, "ChannelId"), frame_get(frame, "Timeout")) == ("leg-1", "20000")
    await ami_server.push(
        f"Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: {action_id}\r\nResponse: Success\r\n"
        "Channel: PJSIP/1001-00000002\r\nReason: 4\r\nUniqueid: leg-1\r\n\r\n"
    )
    await ami_server.wait_until(lambda: bool(seen))
    assert (seen[0].name, seen[0]["ActionID"], seen[0]["Reason"]) == ("OriginateResponse", action_id, "4")


async def test_originate_needs_exactly_one_target(make_client: ClientFactory) -> None:
    client = await make_client()
    with pytest.raises(AmiError) as caught:
        await client.originate(
            channel="PJSIP/1001", application="Playback", context="c", exten="s", priority=1
        )
    assert caught.value.error_id == "ami.invalid_originate"


async def test_panoramisk_reply_bookkeeping_raises_on_originate_without_async() -> None:
    """The premise of the next test: panoramisk's ``Action.multi`` reads ``self['async']``.

    For ``Message: Originate successfully queued`` that raises ``KeyError`` when the action dict has no
    ``Async`` key; inside ``AMIProtocol.data_received`` that exception makes asyncio drop the connection.
    """
    action = Action({"Action": "Originate", "Channel": "PJSIP/1001", "Application": "Playback"})
    reply = Message(
        {"Response": "Success", "ActionID": action.id, "Message": "Originate successfully queued"}
    )
    with pytest.raises(KeyError):
        action.add_message(reply)


async def test_given_garbage_and_unexpected_frames_then_connection_stays_up(
    ami_server: FakeAmi, make_client: ClientFactory
) -> None:
    """Unpatched panoramisk drops the connection on the first frame below (``KeyError`` raised inside
    ``data_received`` for an ``Originate`` reply without ``Async``); the adapter keeps the connection,
    skips what it cannot use and still answers later actions on the same login.
    """
    client = await make_client()
    raw_originate = {"Action": "Originate", "Channel": "PJSIP/1001", "Application": "Playback", "Data": "x"}
    assert (await client.send_action(raw_originate)).message == "Originate successfully queued"
    await ami_server.push(
        "\x00\xff not a frame at all\r\n\r\n"
        "Response: Success\r\nActionID: nobody-asked\r\nMessage: Originate successfully queued\r\n\r\n"
        "Response: Follows\r\n\r\n"
        "Event: \r\n\r\n"
        ": : :\r\nActionID\r\n\r\n"
        "Response: Error\r\n\r\n"
    )
    await asyncio.sleep(0.05)
    events = await client.send_action_list(
        {"Action": "CoreShowChannels"}, complete_event="CoreShowChannelsComplete"
    )
    assert len(events) == 2
    assert client.connected
    assert (client.connections_made, ami_server.logins) == (1, 1)


async def test_event_callbacks_cannot_kill_the_reader(
    ami_server: FakeAmi, make_client: ClientFactory
) -> None:
    client = await make_client()
    seen: list[str] = []

    def broken(event: AmiEvent) -> None:
        raise RuntimeError("sync callback bug")

    async def broken_async(event: AmiEvent) -> None:
        raise RuntimeError("async callback bug")

    client.on_event("Hangup", broken)
    client.on_event("hangup", broken_async)
    client.on_event("*", lambda event: seen.append(event.name))
    for n in range(3):
        await ami_server.push(
            f"Event: Hangup\r\nUniqueid: 1.{n}\r\nCause: 16\r\n\r\nEvent: Newchannel\r\n\r\n"
        )
    await ami_server.wait_until(lambda: len(seen) == 6)
    assert seen == ["Hangup", "Newchannel"] * 3
    assert client.connected
    assert client.connections_made == 1


async def test_given_silent_peer_when_ping_unanswered_then_reconnects_and_resyncs(
    ami_server: FakeAmi, make_client: ClientFactory
) -> None:
    """A half-open connection: the server keeps the socket but never answers again.

    panoramisk sends ``Ping`` but never looks at the reply, so it keeps the dead connection forever (and
    every later action waits forever). The watchdog here needs the Pong within ``ping_timeout``.
    """
    counter = Counter()
    client = await make_client(start=False, ping_interval=0.2, ping_timeout=0.2)
    client.on_connected(counter)
    await client.start(connect_timeout=3.0)
    await ami_server.wait_until(lambda: counter.calls == 1)
    ami_server.freeze()
    took = await ami_server.wait_until(lambda: client.connections_made == 2 and client.connected, within=3.0)
    assert took < 1.5
    assert ami_server.logins == 2
    await ami_server.wait_until(lambda: counter.calls == 2)
    assert (await client.send_action({"Action": "Ping"})).success


async def test_given_asterisk_restart_then_reconnects_logs_in_and_calls_on_connected(
    ami_server: FakeAmi, make_client: ClientFactory
) -> None:
    counter = Counter()
    client = await make_client(start=False)
    client.on_connected(counter)
    await client.start(connect_timeout=3.0)
    await ami_server.stop()
    await ami_server.wait_until(lambda: not client.connected)
    with pytest.raises(AmiNotConnected):
        await client.send_action({"Action": "Ping"})
    await asyncio.sleep(0.3)
    await ami_server.start()
    await ami_server.wait_until(lambda: client.connected and counter.calls == 2, within=5.0)
    assert (client.connections_made, ami_server.logins) == (2, 2)


async def test_fullybooted_on_open_connection_calls_on_connected_but_login_echo_does_not(
    ami_server: FakeAmi, make_client: ClientFactory
) -> None:
    counter = Counter()
    client = await make_client(start=False)
    client.on_connected(counter)
    await client.start(connect_timeout=3.0)
    await asyncio.sleep(0.1)
    assert counter.calls == 1
    await ami_server.push("Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n")
    await ami_server.wait_until(lambda: counter.calls == 2)
    assert client.connections_made == 1


async def test_given_mute_server_when_start_then_not_connected_error(
    ami_server: FakeAmi, make_client: ClientFactory
) -> None:
    ami_server.silent = True
    client = await make_client(start=False, action_timeout=0.3)
    with pytest.raises(AmiNotConnected) as caught:
        await client.start(connect_timeout=1.0)
    assert caught.value.error_id == "ami.not_connected"
    assert not client.connected


async def test_given_wrong_secret_when_start_then_not_connected_names_login(
    make_client: ClientFactory,
) -> None:
    client = await make_client(start=False, secret="wrong")
    with pytest.raises(AmiNotConnected) as caught:
        await client.start(connect_timeout=0.5)
    assert "login" in str(caught.value.details["last_error"]).lower()


async def test_after_close_no_action_and_no_reconnect(
    ami_server: FakeAmi, make_client: ClientFactory
) -> None:
    client = await make_client()
    await client.close()
    with pytest.raises(AmiNotConnected):
        await client.send_action({"Action": "Ping"})
    await asyncio.sleep(0.3)
    assert (client.connections_made, ami_server.logins) == (1, 1)


def test_frame_parsing_keeps_repeated_headers_case_insensitively() -> None:
    frame = parse_frame("Event: Newchannel\r\nChanVariable: A=1\r\nChanVariable: B=2\r\nUniqueid: 9.1")
    assert isinstance(frame, AmiEvent)
    assert frame.get_all("chanvariable") == ["A=1", "B=2"]
    assert frame["UNIQUEID"] == "9.1"
    assert frame.name == "Newchannel"


def test_panoramisk_save_stream_writes_bytes_to_a_text_file(tmp_path: Path) -> None:
    """The premise of the next test: with ``save_stream`` set to a path, panoramisk opens it in text
    mode and writes ``bytes``, so every chunk from Asterisk raises ``TypeError`` in ``data_received``.
    """

    class Factory:
        save_stream = str(tmp_path / "ami.log")

    protocol = AMIProtocol()
    protocol.factory = Factory()
    with pytest.raises(TypeError):
        protocol.data_received(b"Event: Newchannel\r\n\r\n")


def test_adapter_never_uses_panoramisk_stream_saving() -> None:
    """No module of the adapter touches ``save_stream`` or the panoramisk classes that implement it."""
    for info in pkgutil.iter_modules(hotline.ami.__path__, "hotline.ami."):
        source = inspect.getsource(importlib.import_module(info.name))
        assert "save_stream" not in source, info.name
        assert "panoramisk.manager" not in source, info.name
        assert "panoramisk.ami_protocol" not in source, info.name


async def test_a_server_refusing_event_filters_is_used_unfiltered(ami_server: FakeAmi) -> None:
    client = AmiClient(
        host="127.0.0.1",
        port=ami_server.port,
        username="hotline",
        secret=ami_server.secret,
        action_timeout=2.0,
        only_handled_events=True,
    )
    client.on_event("Newchannel", lambda event: None)
    await client.start(connect_timeout=5.0)
    try:
        assert client.connected
        asked = [frame_get(f, "MatchCriteria") for f in ami_server.frames_for("Filter")]
        assert asked == ["action(include),name(Newchannel)"]
        assert (await client.send_action({"Action": "Ping"})).success
    finally:
        await client.close()
