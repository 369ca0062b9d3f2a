"""Open desktop connections, grouped by user, and what each one is sent.

An agent may have several tabs open: each gets every frame meant for that agent. Screen-pops are
delivered directly (the ACD waits for them before ringing the phone); everything else flows from the bus.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from agent_desktop.auth import Principal, Role
from agent_desktop.protocol import server_frame
from hotline.bus import BusEvent, EventBus

log = logging.getLogger(__name__)

SendText = Callable[[str], Awaitable[None]]


class Connection:
    """One websocket of one user."""

    def __init__(self, principal: Principal, send_text: SendText) -> None:
        self.principal = principal
        self._send_text = send_text
        self._lock = asyncio.Lock()
        self.closed = False

    async def send(self, frame: dict[str, Any]) -> bool:
        """Send one frame; False when the socket is gone."""
        if self.closed:
            return False
        text = json.dumps(frame, ensure_ascii=False)
        async with self._lock:
            try:
                await self._send_text(text)
            except Exception:  # any transport failure means the peer is gone
                self.closed = True
                return False
        return True

    def wants(self, event: BusEvent) -> bool:
        """Whether this connection's user should see ``event``."""
        if self.principal.may(Role.SUPERVISOR, Role.ADMIN):
            return event.topic != "agent.offer"
        me = self.principal.user_id
        return event.topic in ("agent.changed", "call.changed") and event.data.get("agent_id") == me


class DesktopHub:
    """Registry of open connections; implements the ACD's offer notifier."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._by_user: dict[str, set[Connection]] = {}

    def add(self, conn: Connection) -> None:
        """Register a connection."""
        self._by_user.setdefault(conn.principal.user_id, set()).add(conn)

    def remove(self, conn: Connection) -> None:
        """Unregister a connection."""
        conns = self._by_user.get(conn.principal.user_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self._by_user[conn.principal.user_id]

    def connections_of(self, user_id: str) -> int:
        """Number of open desktops of ``user_id``."""
        return len(self._by_user.get(user_id, ()))

    @property
    def total(self) -> int:
        """Number of open connections."""
        return sum(len(c) for c in self._by_user.values())

    async def deliver_offer(self, agent_id: str, payload: dict[str, object]) -> int:
        """Send the screen-pop to every desktop of ``agent_id``; return how many got it."""
        frame = server_frame("offer", call=payload)
        conns = tuple(self._by_user.get(agent_id, ()))
        results = await asyncio.gather(*(c.send(frame) for c in conns))
        return sum(1 for ok in results if ok)

    async def forward_bus(self, conn: Connection) -> None:
        """Forward the bus events this connection should see until it closes."""
        sub = self._bus.subscribe("agent.", "call.", "queue.")
        try:
            while not conn.closed:
                event = await sub.get()
                if event.topic == "bus.overflow":
                    await conn.send(server_frame("resync_needed", dropped=event.data.get("dropped")))
                elif conn.wants(event):
                    await conn.send(server_frame(event.topic.replace(".", "_"), data=dict(event.data)))
        finally:
            sub.close()
