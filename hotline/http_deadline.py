"""A deadline for an HTTP request's head: the request line and headers must arrive within it.

uvicorn waits for a request's headers as long as the peer keeps the connection open, so a peer that
connects and sends nothing, or half a request (slowloris), holds a connection and its file descriptor
for ever; a few hundred such peers exhaust the process's descriptors. :func:`with_header_deadline`
gives uvicorn (``uvicorn.Config(http=...)``) its httptools protocol with a timer that runs while the
connection waits for a request's head: from the moment the connection is made, and from the first
byte of each later request on a kept-alive connection. When the headers are complete the timer is
cancelled, so a request body (an upload), a response (a download) and a websocket after its upgrade
take as long as they take. On expiry the connection is closed, after a ``408`` if part of a request
had arrived. Between requests uvicorn's own keep-alive timeout closes an idle connection.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

log = logging.getLogger(__name__)

TIMED_OUT_BODY = b"Request header timeout"


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request head is late."""

    header_timeout_s: float = 10.0
    """Seconds a connection may take to send a request's line and headers."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._head_started = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_deadline is None and self._between_requests():
            self._arm()
        if self._head_deadline is not None:
            self._head_started = True
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def _between_requests(self) -> bool:
        """No request is being answered (bytes arriving now start the next request's head)."""
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._head_started = False
        self._head_deadline = self.loop.call_later(self.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _expired(self) -> None:
        self._head_deadline = None
        transport = self.transport
        if transport.is_closing() or transport.get_protocol() is not self or not self._between_requests():
            return
        log.debug(
            "HTTP connection from %s closed: no complete request head within %gs (%s)",
            self.client,
            self.header_timeout_s,
            "part of a request received" if self._head_started else "nothing received",
        )
        if self._head_started:
            transport.write(self._timed_out_response())
        transport.close()

    def _timed_out_response(self) -> bytes:
        head = [STATUS_LINE[408]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(TIMED_OUT_BODY),
            b"connection: close\r\n",
            b"\r\n",
            TIMED_OUT_BODY,
        ]
        return b"".join(head)


def with_header_deadline(timeout_s: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with a ``timeout_s`` request-head deadline."""
    if not timeout_s > 0:
        raise ValueError(f"the request-head deadline must be positive, not {timeout_s!r}")

    class BoundHeaderDeadlineProtocol(HeaderDeadlineProtocol):
        header_timeout_s = timeout_s

    return BoundHeaderDeadlineProtocol
