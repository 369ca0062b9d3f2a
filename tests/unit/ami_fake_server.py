"""A tiny real AMI server for unit tests: a TCP listener that answers from recorded wire transcripts.

The transcripts are Asterisk 22 replies (AMI 11.0.0) with ``{action_id}`` where Asterisk echoes the
ActionID. The server records every frame it receives and can misbehave on purpose: ``freeze()`` makes the
open connections go silent (a half-open TCP peer), ``silent`` makes new connections accept and say
nothing, ``stop()``/``start()`` restart it on the same port, ``push()`` sends raw bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

GREETING = "Asterisk Call Manager/11.0.0\r\n"

TRANSCRIPTS: dict[str, str] = {
    "login": (
        "Response: Success\r\nActionID: {action_id}\r\nMessage: Authentication accepted\r\n\r\n"
        "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 42\r\nLastReload: 42\r\n"
        "Status: Fully Booted\r\n\r\n"
    ),
    "ping": (
        "Response: Success\r\nActionID: {action_id}\r\nPing: Pong\r\nTimestamp: 1763000000.123456\r\n\r\n"
    ),
    "originate": (
        "Response: Success\r\nActionID: {action_id}\r\nMessage: Originate successfully queued\r\n\r\n"
    ),
    "dbput": "Response: Success\r\nActionID: {action_id}\r\nMessage: Updated database successfully\r\n\r\n",
    "hangup": "Response: Error\r\nActionID: {action_id}\r\nMessage: No such channel\r\n\r\n",
    "coreshowchannels": (
        "Response: Success\r\nActionID: {action_id}\r\nEventList: start\r\n"
        "Message: Channels will follow\r\n\r\n"
        "Event: CoreShowChannel\r\nActionID: {action_id}\r\nChannel: PJSIP/1001-00000001\r\n"
        "ChannelState: 6\r\nChannelStateDesc: Up\r\nCallerIDNum: 1001\r\nUniqueid: 1763000000.1\r\n"
        "Linkedid: 1763000000.0\r\nApplication: Bridge\r\n\r\n"
        "Event: CoreShowChannel\r\nActionID: {action_id}\r\n"
        "Channel: Local/12345@hotline-inbound-00000000;2\r\n"
        "ChannelState: 6\r\nChannelStateDesc: Up\r\nCallerIDNum: 13800138000\r\nUniqueid: 1763000000.0\r\n"
        "Linkedid: 1763000000.0\r\nApplication: AGI\r\n\r\n"
        "Event: CoreShowChannelsComplete\r\nActionID: {action_id}\r\nEventList: Complete\r\n"
        "ListItems: 2\r\n\r\n"
    ),
}

AUTH_FAILED = "Response: Error\r\nActionID: {action_id}\r\nMessage: Authentication failed\r\n\r\n"

Frame = list[tuple[str, str]]


def frame_get(frame: Frame, key: str) -> str:
    """First value of ``key`` in a received frame (empty when absent)."""
    return next((v for k, v in frame if k.lower() == key.lower()), "")


def frame_get_all(frame: Frame, key: str) -> list[str]:
    """Every value of ``key`` in a received frame."""
    return [v for k, v in frame if k.lower() == key.lower()]


class FakeAmi:
    """Real sockets, recorded replies, deliberate faults."""

    def __init__(self, *, secret: str = "s3cret") -> None:
        self.secret = secret
        self.port = 0
        self.received: list[Frame] = []
        self.logins = 0
        self.silent = False
        self.transcripts = dict(TRANSCRIPTS)
        self._server: asyncio.Server | None = None
        self._writers: dict[asyncio.StreamWriter, bool] = {}
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen on 127.0.0.1 (the same port again after a ``stop``)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listening socket and every connection, like an Asterisk restart."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    def freeze(self) -> None:
        """The open connections stay open but never answer again (a half-open TCP peer)."""
        for writer in self._writers:
            self._writers[writer] = False

    async def push(self, raw: str) -> None:
        """Send raw bytes to every live connection."""
        for writer, live in self._writers.items():
            if live:
                writer.write(raw.encode("utf-8"))
                await writer.drain()

    def frames_for(self, action: str) -> list[Frame]:
        """Received frames whose ``Action`` is ``action`` (any case)."""
        return [f for f in self.received if frame_get(f, "Action").lower() == action.lower()]

    @staticmethod
    async def wait_until(check: Callable[[], bool], *, within: float = 5.0) -> float:
        """Poll ``check`` until it holds and return the seconds it took; TimeoutError otherwise."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        for _ in range(int(within / 0.01) + 1):
            if check():
                return loop.time() - started
            await asyncio.sleep(0.01)
        raise TimeoutError(f"condition not met within {within}s")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers[writer] = not self.silent
        try:
            if self._writers[writer]:
                writer.write(GREETING.encode())
            while raw := await reader.readuntil(b"\r\n\r\n"):
                await self._answer(writer, raw.decode("utf-8"))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.pop(writer, None)
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(self, writer: asyncio.StreamWriter, text: str) -> None:
        frame = [tuple(line.split(": ", 1)) for line in text.strip().split("\r\n") if ": " in line]
        parsed: Frame = [(k, v) for k, v in frame]
        self.received.append(parsed)
        if not self._writers.get(writer):
            return
        action = frame_get(parsed, "Action").lower()
        template = self.transcripts.get(action)
        if action == "login":
            ok = frame_get(parsed, "Secret") == self.secret
            template = template if ok else AUTH_FAILED
            self.logins += int(ok)
        if template is None:
            template = "Response: Error\r\nActionID: {action_id}\r\nMessage: Invalid/unknown command\r\n\r\n"
        writer.write(template.format(action_id=frame_get(parsed, "ActionID")).encode("utf-8"))
        await writer.drain()
