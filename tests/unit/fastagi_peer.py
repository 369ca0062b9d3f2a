"""The Asterisk side of FastAGI for the FastAgiServer unit tests: a call's header, a peer that
reads commands and replies, a route that records what happened, and servers on free ports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from hotline.fastagi.server import AgiError, AgiHangup, AgiSession, FastAgiServer

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
StartServer = Callable[..., Awaitable[FastAgiServer]]


@asynccontextmanager
async def fastagi_servers() -> AsyncIterator[StartServer]:
    """Start FastAgiServers with the given routes on free ports; all are closed on leaving."""
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

    try:
        yield start
    finally:
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
