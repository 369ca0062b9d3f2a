"""One TCP connection to the Asterisk Manager Interface.

Rules of this module:
- Frames end with a blank line (``\\r\\n\\r\\n``); the greeting line ``Asterisk Call Manager/x.y.z`` is
  stripped first.
- A reply is matched to its action by ``ActionID`` only. A reply nobody waits for is dropped.
- Nothing that arrives can raise out of ``data_received``: a frame that cannot be understood is logged and
  skipped, so garbage from the server never drops the connection (panoramisk lets a ``KeyError`` from its
  reply bookkeeping escape there, and asyncio then closes the transport).
- Actions are never re-sent after a reconnection: a lost connection fails every waiting action with
  :class:`AmiNotConnected`; the caller decides (re-sending an ``Originate`` could ring a phone twice).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hotline.ami.framing import FrameBuffer
from hotline.ami.messages import (
    AmiError,
    AmiEvent,
    AmiNotConnected,
    AmiResponse,
    HeaderValue,
    encode_action,
    parse_frame,
)
from privacy.masking import for_log

log = logging.getLogger(__name__)

GREETING = b"Asterisk Call Manager/"
MAX_BUFFER = 4 * 1024 * 1024

EventSink = Callable[[AmiEvent, bool], None]
Reply = AmiResponse | list[AmiEvent]


@dataclass
class _Pending:
    action: str
    future: asyncio.Future[Reply]
    complete_event: str | None = None
    events: list[AmiEvent] = field(default_factory=list)


class AmiConnection(asyncio.Protocol):
    """Frames in, actions out; events go to ``sink(event, follows_login)``."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink
        self._transport: asyncio.Transport | None = None
        self._buffer = FrameBuffer()
        self._greeted = False
        self._pending: dict[str, _Pending] = {}
        self._previous_reply_id = ""
        self.login_action_id = ""
        self.version = ""
        self.lost = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport (always a stream transport here)."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail every waiting action and wake whoever watches ``lost``."""
        self.lost.set()
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(AmiNotConnected("AMI connection lost", action=pending.action))
        self._pending.clear()

    @property
    def is_open(self) -> bool:
        """True until the transport is closing or gone."""
        return self._transport is not None and not self._transport.is_closing() and not self.lost.is_set()

    def close(self) -> None:
        """Close the transport; ``connection_lost`` follows."""
        if self._transport is not None:
            self._transport.close()

    async def request(
        self,
        action: Mapping[str, HeaderValue],
        *,
        action_id: str,
        wait_s: float,
        complete_event: str | None = None,
    ) -> Reply:
        """Send ``action`` and wait for its reply (or, for a list, every event up to ``complete_event``)."""
        if not self.is_open or self._transport is None:
            raise AmiNotConnected(action=str(action.get("Action", "")))
        name = str(action.get("Action", ""))
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = _Pending(name, future, complete_event.lower() if complete_event else None)
        try:
            self._transport.write(encode_action(action, action_id))
            return await asyncio.wait_for(future, wait_s)
        finally:
            self._pending.pop(action_id, None)

    def data_received(self, data: bytes) -> None:
        """Split the stream into frames and handle each; never raises."""
        self._buffer.feed(data)
        if not self._greeted and not self._strip_greeting():
            return
        for raw in self._buffer.frames():
            try:
                self._handle_frame(raw.decode("utf-8", "replace"))
            except Exception:
                log.exception("AMI frame could not be handled; skipped: %s", for_log(repr(raw[:200])))
        if len(self._buffer) > MAX_BUFFER:
            log.error("AMI sent %d bytes without a frame end; closing the connection", len(self._buffer))
            self._buffer.clear()
            self.close()

    def _strip_greeting(self) -> bool:
        buffer = self._buffer.data
        head = bytes(buffer[: len(GREETING)])
        if not head.startswith(GREETING):
            if GREETING.startswith(head) and len(head) < len(GREETING):
                return False
            self._greeted = True
            return True
        end = buffer.find(b"\r\n")
        if end < 0:
            return False
        self.version = buffer[len(GREETING) : end].decode("ascii", "replace").strip()
        self._buffer.drop_head(end + 2)
        self._greeted = True
        log.info("AMI protocol version %s", self.version)
        return True

    def _handle_frame(self, text: str) -> None:
        frame = parse_frame(text)
        previous, self._previous_reply_id = self._previous_reply_id, ""
        if frame is None:
            if text.strip():
                log.warning("AMI frame without Event or Response header skipped: %s", for_log(text[:200]))
            return
        if isinstance(frame, AmiResponse):
            self._previous_reply_id = frame.get("ActionID", "")
            self._on_response(frame)
            return
        if not self._on_list_event(frame):
            follows_login = bool(self.login_action_id) and previous == self.login_action_id
            self._sink(frame, follows_login)

    def _on_response(self, response: AmiResponse) -> None:
        pending = self._pending.get(response.get("ActionID", ""))
        if pending is None or pending.future.done():
            log.debug("AMI reply nobody waits for: %s", for_log(repr(response)))
            return
        if not response.success:
            pending.future.set_exception(
                AmiError(
                    "ami.action_failed",
                    f"AMI {pending.action} failed: {response.message or response.get('Response', '')}",
                    action=pending.action,
                    action_id=response.get("ActionID", ""),
                    response=dict(response),
                )
            )
        elif pending.complete_event is None:
            pending.future.set_result(response)

    def _on_list_event(self, event: AmiEvent) -> bool:
        pending = self._pending.get(event.get("ActionID", ""))
        if pending is None or pending.complete_event is None:
            return False
        if event.name.lower() == pending.complete_event:
            if not pending.future.done():
                pending.future.set_result(pending.events)
        else:
            pending.events.append(event)
        return True
