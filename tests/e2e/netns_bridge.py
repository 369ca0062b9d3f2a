"""TCP into the agent's namespace: the page there loads ``http://127.0.0.1:<port>`` as on the centre.

For each port, a listener on 127.0.0.1 inside the agent namespace connects out from that namespace to the
centre's outside address (so signalling crosses the NAT like the media does), where a second listener
forwards to 127.0.0.1 on the host. Sockets are made in a namespace by a short-lived thread that enters it
with setns(2); a socket stays in the namespace it was made in.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import socket
import threading
from collections.abc import Awaitable, Callable

__all__ = ["NamespaceBridge"]

CLONE_NEWNET = 0x40000000


def socket_in(netns: str) -> socket.socket:
    """A TCP socket made inside the named network namespace."""
    made: list[socket.socket] = []
    failed: list[BaseException] = []

    def make() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            with open(f"/run/netns/{netns}") as handle:
                if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {netns} failed")
            made.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        except BaseException as exc:
            failed.append(exc)

    worker = threading.Thread(target=make)
    worker.start()
    worker.join()
    if failed:
        raise failed[0]
    return made[0]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def _forward(
    connect: Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]],
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await connect()
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    return handle


class NamespaceBridge:
    """Forward 127.0.0.1:<port> in ``netns`` to 127.0.0.1:<port> on the host, via ``outside``."""

    def __init__(self, *, netns: str, outside: str) -> None:
        self.netns = netns
        self.outside = outside
        self.servers: list[asyncio.Server] = []

    async def add(self, port: int) -> None:
        """Bridge ``port``."""

        async def to_host() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            return await asyncio.open_connection("127.0.0.1", port)

        async def via_nat() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            sock = socket_in(self.netns)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (self.outside, port))
            return await asyncio.open_connection(sock=sock)

        self.servers.append(await asyncio.start_server(_forward(to_host), self.outside, port))
        inside = socket_in(self.netns)
        inside.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        inside.bind(("127.0.0.1", port))
        self.servers.append(await asyncio.start_server(_forward(via_nat), sock=inside))

    async def close(self) -> None:
        """Stop every listener."""
        for server in self.servers:
            server.close()
        for server in self.servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self.servers.clear()
