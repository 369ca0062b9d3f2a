"""The FastAGI server Asterisk connects to (``AGI(agi://host:port/<route>)``).

Built on asyncio streams rather than panoramisk's ``fast_agi.Application``: its header loop spins
forever on a client that disconnects mid-header (freezing the event loop), and its ``add_route`` calls
``asyncio.coroutine``, which Python 3.11 removed. Here every connection gets ``header_timeout`` to send
its header block, routes are async callables checked when added, and nothing a session does can stop
the server: an unknown route, a handler error or a hangup only closes that one socket, after which the
dialplan continues (``AGISTATUS``) and takes its fallback path. Connections from peers outside
``allowed_peers`` (hotline.fastagi.peers; loopback by default) are closed at accept, unread, and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence

from hotline.fastagi.peers import LOOPBACK, PeerFilter
from hotline.fastagi.protocol import AgiError, AgiHangup, AgiResult, read_headers, route_name
from hotline.fastagi.session import AgiSession

__all__ = ["AgiError", "AgiHangup", "AgiResult", "AgiSession", "FastAgiServer"]

log = logging.getLogger(__name__)

AgiHandler = Callable[[AgiSession], Awaitable[None]]


def _is_async(handler: object) -> bool:
    """An ``async def`` function, or an instance whose ``__call__`` is one."""
    if inspect.iscoroutinefunction(handler):
        return True
    return callable(handler) and inspect.iscoroutinefunction(type(handler).__call__)


class FastAgiServer:
    """Routes FastAGI connections by ``agi_network_script`` to async handlers."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        header_timeout: float = 5.0,
        command_timeout: float = 30.0,
        allowed_peers: Sequence[str] = LOOPBACK,
    ) -> None:
        self._host = host
        self._allowed_peers = tuple(allowed_peers)
        self._peers = PeerFilter(())
        self._port = port
        self._header_timeout = header_timeout
        self._command_timeout = command_timeout
        self._routes: dict[str, AgiHandler] = {}
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The port actually listened on (useful with ``port=0``)."""
        if self._server is not None and self._server.sockets:
            port: int = self._server.sockets[0].getsockname()[1]
            return port
        return self._port

    def add_route(self, script: str, handler: AgiHandler) -> None:
        """Serve ``agi://host:port/<script>`` with ``handler(session)``; the handler must be async."""
        if not _is_async(handler):
            raise TypeError(
                f"FastAGI route {script!r}: handler {handler!r} must be an async function "
                "(async def, or an object with an async __call__)"
            )
        name = route_name(script)
        if name in self._routes:
            raise ValueError(f"FastAGI route {name!r} already exists")
        self._routes[name] = handler

    async def start(self) -> None:
        """Start listening."""
        if self._server is not None:
            raise RuntimeError("FastAgiServer already started")
        self._peers = await PeerFilter.resolve(self._allowed_peers)
        self._server = await asyncio.start_server(self._on_connection, self._host, self._port)
        log.info("FastAGI listening on %s:%d (routes: %s)", self._host, self.port, ", ".join(self._routes))

    async def close(self) -> None:
        """Stop listening, cancel running sessions and wait until their sockets are closed."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        connections = list(self._connections)
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        peer = writer.get_extra_info("peername")
        try:
            if self._peers.allows(peer):
                await self._serve(reader, writer, peer)
            else:
                log.warning("FastAGI connection from %s refused: not an allowed Asterisk peer", peer)
        except asyncio.CancelledError:
            log.info("FastAGI session from %s cancelled by shutdown", peer)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: object) -> None:
        try:
            headers = await read_headers(reader, timeout_s=self._header_timeout)
        except AgiError as exc:
            log.warning("FastAGI connection from %s dropped: %s", peer, exc)
            return
        script = route_name(headers.get("agi_network_script", ""))
        handler = self._routes.get(script)
        if handler is None:
            log.warning(
                "FastAGI: no route %r (from %s, channel %s); closing",
                script,
                peer,
                headers.get("agi_channel"),
            )
            return
        session = AgiSession(
            headers=headers, reader=reader, writer=writer, command_timeout=self._command_timeout
        )
        try:
            await handler(session)
        except AgiHangup as exc:
            log.info("FastAGI %s: channel %s hung up (%s)", script, session.channel, exc)
        except Exception:
            log.exception("FastAGI handler for %r failed on channel %s", script, session.channel)
