"""A TCP relay in front of Asterisk's AMI that loses chosen events, as a lossy link would.

Actions pass through untouched; what Asterisk sends back is split into messages (blank-line
separated, after the one-line banner) and each is forwarded unless ``drop`` says otherwise. The
dropped messages are kept in ``dropped`` for the test to look at; ``cut`` breaks the link as an
outage would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

Headers = dict[str, str]


def headers_of(message: bytes) -> Headers:
    """The ``Key: value`` lines of one AMI message."""
    out: Headers = {}
    for line in message.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip(), value.strip())
    return out


class AmiProxy:
    """Relays AMI connections from ``port`` (chosen on start) to ``127.0.0.1:target_port``."""

    def __init__(self, target_port: int, drop: Callable[[Headers], bool]) -> None:
        self.target_port = target_port
        self.drop = drop
        self.dropped: list[Headers] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._relays: set[asyncio.Task[object]] = set()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and cut every relayed connection."""
        if self._server is not None:
            self._server.close()
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._relays, return_exceptions=True)

    async def cut(self) -> None:
        """Break every relayed connection (the peers see the link drop); new connections are accepted."""
        relays = tuple(self._relays)
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*relays, return_exceptions=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        relay = asyncio.current_task()
        if relay is not None:
            self._relays.add(relay)
            relay.add_done_callback(self._relays.discard)
        try:
            await self._relay(client_r, client_w)
        except (asyncio.CancelledError, ConnectionError, OSError):
            client_w.close()  # cut (close, cut, or the event loop ending): the link just drops

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        ups = asyncio.ensure_future(self._pipe(client_r, server_w))
        downs = asyncio.ensure_future(self._filter(server_r, client_w))
        self._tasks.update((ups, downs))
        try:
            await asyncio.wait((ups, downs), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (ups, downs):
                task.cancel()
                self._tasks.discard(task)
            for writer in (client_w, server_w):
                writer.close()
                with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                    await writer.wait_closed()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()

    async def _filter(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readuntil(b"\r\n"))
        while True:
            message = await reader.readuntil(b"\r\n\r\n")
            headers = headers_of(message)
            if self.drop(headers):
                self.dropped.append(headers)
                continue
            writer.write(message)
            await writer.drain()
